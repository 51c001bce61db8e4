#include "broker/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "metadata/sqlite_metadata_store.h"
#include "objstore/local_object_store.h"

namespace sh::broker {

Result<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create data directory " + dir + ": " + ec.message());
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Unavailable("data directory " + dir + " is in use by another process");
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { ::close(fd_); }

Result<std::unique_ptr<MetadataStore>> OpenSqliteMetadataStore(const std::string& path) {
  // SQLite creates the file but not its directory.
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Status::IOError("cannot create directory " + parent.string() + ": " + ec.message());
  }
  auto store = SqliteMetadataStore::Open(path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<MetadataStore>(std::move(*store));
}

Result<std::unique_ptr<ObjectStore>> OpenLocalObjectStore(const std::string& dir) {
  auto store = LocalObjectStore::Open(dir);
  if (!store.ok()) return store.status();
  // Puts that a crash cut short leave temp files; nobody else writes here now.
  if (auto removed = (*store)->RemoveStaleTempFiles(); !removed.ok()) return removed.status();
  return std::unique_ptr<ObjectStore>(std::move(*store));
}

}  // namespace sh::broker
