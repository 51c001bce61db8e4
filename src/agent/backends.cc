#include "agent/backends.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <utility>

#include "broker/data_dir.h"
#include "metadata/postgres_metadata_store.h"

extern char** environ;

namespace sh::agent {
namespace {

constexpr char kSqlite[] = "sqlite://";
constexpr char kPostgres[] = "postgres://";
constexpr char kPostgresql[] = "postgresql://";
constexpr char kFile[] = "file://";
constexpr char kS3[] = "s3://";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The path after "scheme://" (prefix included in scheme).
std::string After(const std::string& url, const char* scheme) {
  return url.substr(std::string(scheme).size());
}

// Absolute and without "." or ".." parts, so that two spellings compare equal.
std::filesystem::path Normal(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) abs = path;
  return abs.lexically_normal();
}

bool Inside(const std::string& path, const std::string& dir) {
  std::filesystem::path p = Normal(path), d = Normal(dir);
  auto [dir_end, path_end] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  (void)path_end;
  // A trailing separator leaves an empty last component in d.
  return dir_end == d.end() || (std::next(dir_end) == d.end() && dir_end->empty());
}

Result<std::unique_ptr<MetadataStore>> OpenSqlite(const std::string& url) {
  std::string path = After(url, kSqlite);
  if (path.empty()) {
    return Status::InvalidArgument("metadata.url '" + url + "' names no file (sqlite://PATH)");
  }
  return broker::OpenSqliteMetadataStore(path);
}

Result<std::unique_ptr<ObjectStore>> OpenLocal(const std::string& url) {
  std::string dir = After(url, kFile);
  if (dir.empty()) {
    return Status::InvalidArgument("storage.url '" + url + "' names no directory (file://DIR)");
  }
  return broker::OpenLocalObjectStore(dir);
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> OpenMetadataStore(const AgentConfig& config) {
  std::string url = config.effective_metadata_url();
  if (StartsWith(url, kSqlite)) return OpenSqlite(url);
  if (StartsWith(url, kPostgres) || StartsWith(url, kPostgresql)) {
    PostgresOptions options;
    options.url = url;
    options.pool_size = static_cast<int>(config.metadata_pool_size);
    return OpenPostgresMetadataStore(options);
  }
  return Status::InvalidArgument("metadata.url '" + RedactUrl(url) +
                                 "': unknown scheme; expected sqlite://PATH or "
                                 "postgres://USER:PASSWORD@HOST:PORT/DATABASE");
}

Result<S3Options> S3OptionsFor(const AgentConfig& config,
                               const std::map<std::string, std::string>& env) {
  std::string url = config.effective_storage_url();
  if (!StartsWith(url, kS3)) {
    return Status::InvalidArgument("storage.url '" + url + "' is not s3://BUCKET/PREFIX");
  }
  S3Options o;
  if (Status st = ParseS3Url(url, &o); !st.ok()) {
    return Status::InvalidArgument("storage.url: " + st.message());
  }
  o.endpoint = config.s3_endpoint;
  o.region = config.s3_region;  // empty here lets AWS_REGION fill it
  o.path_style = config.s3_path_style;
  o.access_key_id = config.s3_access_key_id;
  o.secret_access_key = config.s3_secret_access_key;
  o.request_timeout_ms = config.s3_request_timeout_ms;
  o.max_retries = static_cast<int>(config.s3_max_retries);
  ApplyAwsEnvironment(env, &o);
  if (o.region.empty()) o.region = "us-east-1";
  if (o.access_key_id.empty() || o.secret_access_key.empty()) {
    return Status::InvalidArgument(
        "storage.url " + url +
        ": no S3 credentials: set storage.s3_access_key_id and "
        "storage.s3_secret_access_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  }
  return o;
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(
    const AgentConfig& config, const std::map<std::string, std::string>& env) {
  std::string url = config.effective_storage_url();
  if (StartsWith(url, kFile)) return OpenLocal(url);
  if (StartsWith(url, kS3)) {
    auto options = S3OptionsFor(config, env);
    if (!options.ok()) return options.status();
    return OpenS3ObjectStore(*options);
  }
  return Status::InvalidArgument("storage.url '" + RedactUrl(url) +
                                 "': unknown scheme; expected file://DIR or s3://BUCKET/PREFIX");
}

bool BackendsUseDataDir(const AgentConfig& config) {
  std::string meta = config.effective_metadata_url();
  std::string storage = config.effective_storage_url();
  return (StartsWith(meta, kSqlite) && Inside(After(meta, kSqlite), config.data_dir)) ||
         (StartsWith(storage, kFile) && Inside(After(storage, kFile), config.data_dir));
}

std::string RedactUrl(const std::string& url) {
  std::string out = url;
  // URL form: scheme://user:password@host...
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = out.find_first_of("/?#", start);
    size_t at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at > start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // Key-value and query forms: password=SECRET.
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    size_t value = pos + 9;
    size_t end = out.find_first_of(" &", value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

std::map<std::string, std::string> AwsEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos && entry.rfind("AWS_", 0) == 0) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  return env;
}

}  // namespace sh::agent
