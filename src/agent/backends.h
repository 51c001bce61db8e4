// The agent's two backends, chosen by URL (docs/design.md §1, docs/deployment.md):
//
//   metadata.url  sqlite://PATH                      embedded: a SQLite file
//                 postgres://… or postgresql://…     cluster: PostgreSQL
//   storage.url   file://DIR                         embedded: a local directory
//                 s3://BUCKET[/PREFIX]               cluster: S3 or an S3-compatible store
//
// Empty URLs mean the embedded defaults (AgentConfig::effective_*_url()).
// Errors: InvalidArgument (naming the setting) for a URL or setting that can
// never work, so the agent exits 2; whatever the backend's Open returns
// otherwise (Unavailable when the server cannot be reached), so it exits 1.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "agent/agent_config.h"
#include "base/status.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "objstore/s3_object_store.h"

namespace sh::agent {

// Opens (creating if needed) the metadata store of config.effective_metadata_url().
Result<std::unique_ptr<MetadataStore>> OpenMetadataStore(const AgentConfig& config);

// Opens the object store of config.effective_storage_url(). For file:// it
// first removes temp files left by a crash (the agent holds the directory).
// For s3:// the S3 settings come from config, then from env (AWS_*) for
// what is still empty; see S3OptionsFor.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const AgentConfig& config,
                                                     const std::map<std::string, std::string>& env);

// The S3Options an s3:// storage.url stands for: bucket and prefix from the
// URL, then the storage.s3_* settings, then AWS_* variables of env for the
// fields still empty, region us-east-1 if none. InvalidArgument if the URL is
// not s3:// or is malformed, or if the credentials are missing.
Result<S3Options> S3OptionsFor(const AgentConfig& config,
                               const std::map<std::string, std::string>& env);

// True if a backend keeps its files inside config.data_dir: the agent then
// creates the directory and locks it against a second process (streamctl's
// embedded mode takes the same lock). A cluster agent touches no local files.
bool BackendsUseDataDir(const AgentConfig& config);

// url with the password of a "scheme://user:password@host" URL replaced by
// "***", for log lines and error messages.
std::string RedactUrl(const std::string& url);

// The AWS_* variables of this process (the ones ApplyAwsEnvironment reads).
std::map<std::string, std::string> AwsEnvironment();

}  // namespace sh::agent
