// The embedded data directory (DESIGN §1, docs/deployment.md): DIR/LOCK,
// DIR/metadata.db (SQLite) and DIR's objects (topics/..., wal/...).
//
// An agent whose backends live in its data_dir (agent/backends.h) and
// `streamctl --data-dir` (cli/embedded_client.h) open the directory through
// these, so both lock it and clean it up the same way before a Broker runs
// on it.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"

namespace sh::broker {

// An exclusive flock on DIR/LOCK, held for the object's lifetime, so that two
// processes (agents, streamctl) never write one directory at once.
class DataDirLock {
 public:
  // Creates dir if needed. Unavailable if another process holds the lock
  // (the caller says what to do about it); IOError otherwise.
  static Result<std::unique_ptr<DataDirLock>> Acquire(const std::string& dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// The SQLite metadata store at path, creating the file's directory if needed.
Result<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const std::string& path);

// The local object store rooted at dir, after removing the temp files that
// Puts cut short by a crash leave. REQUIRES: no other process writes there
// (the directory's lock is held).
Result<std::unique_ptr<ObjectStore>> OpenLocalObjectStore(const std::string& dir);

}  // namespace sh::broker
