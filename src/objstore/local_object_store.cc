#include "objstore/local_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <system_error>

namespace sh {
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
// Put retries when a concurrent Delete prunes the directory it just created.
constexpr int kMaxCreateAttempts = 8;

std::string ErrnoText(int err) { return std::generic_category().message(err); }

// The key as it may appear in a message: control bytes (NUL...) escaped.
std::string Printable(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// Errors of reads: a missing file, or a missing directory on its path, is a
// missing object.
ErrorCode ReadCode(int err) {
  if (err == ENOENT || err == ENOTDIR) return ErrorCode::kNotFound;
  if (err == ENAMETOOLONG) return ErrorCode::kInvalidArgument;
  return ErrorCode::kIOError;
}

// Errors of writes: a path component that is a file where a directory is
// needed (or the reverse) is a key conflict the caller must resolve, not a
// transient failure worth retrying.
ErrorCode WriteCode(int err) {
  if (err == ENOTDIR || err == EISDIR || err == EEXIST || err == ENAMETOOLONG) {
    return ErrorCode::kInvalidArgument;
  }
  if (err == ENOENT) return ErrorCode::kNotFound;
  return ErrorCode::kIOError;
}

// "put object 'a/b': open /root/a/b: No such file or directory", where
// subject is "put object".
Status Fail(ErrorCode code, std::string_view subject, std::string_view key, const std::string& what,
            int err) {
  std::string m(subject);
  m += " '" + Printable(key) + "': " + what + ": " + ErrnoText(err);
  return Status(code, std::move(m));
}

Status MissingObject(std::string_view key) {
  return Status::NotFound("object '" + Printable(key) + "' not found");
}

// Closes a file descriptor on scope exit.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may carry (deferred write errors).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// 0 or the errno of opening/fsyncing the directory.
int FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  ScopedFd closer(fd);
  if (::fsync(fd) != 0) return errno;
  return 0;
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Reads length bytes at offset into out; handles short reads and EINTR.
Status ReadAt(int fd, std::string_view key, const std::string& path, uint64_t offset,
              uint64_t length, Bytes* out) {
  out->resize(length);
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out->data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrorCode::kIOError, "read object", key, "pread " + path, errno);
    }
    if (n == 0) {
      return Status::IOError("read object '" + Printable(key) + "': " + path + " ended at byte " +
                             std::to_string(offset + done) + ", expected " +
                             std::to_string(offset + length));
    }
    done += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Status WriteAll(int fd, std::string_view key, const std::string& path, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrorCode::kIOError, "put object", key, "write " + path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

uint64_t RandomSalt() {
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return r ^ static_cast<uint64_t>(now) ^ (static_cast<uint64_t>(::getpid()) << 40);
}

}  // namespace

LocalObjectStore::LocalObjectStore(std::string root)
    : root_(std::move(root)), temp_salt_(RandomSalt()) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = ".";
}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(std::string root) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) {
    return Status::IOError("open local object store: create root " + root + ": " + ec.message());
  }
  if (!std::filesystem::is_directory(root, ec)) {
    return Status::InvalidArgument("open local object store: root " + root + " is not a directory");
  }
  return std::make_unique<LocalObjectStore>(std::move(root));
}

Status LocalObjectStore::ValidateKey(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid object key '" + Printable(key) +
                                   "': " + std::string(why));
  };
  if (key.empty()) return bad("empty");
  if (key.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (key.front() == '/') return bad("starts with '/'");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = std::min(key.find('/', start), key.size());
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) return bad("empty path segment");
    if (seg == "." || seg == "..") return bad("'.' or '..' path segment");
    if (seg.starts_with(kTempPrefix)) return bad("segment starts with reserved '.tmp-'");
    start = end + 1;
  }
  return Status::OK();
}

std::string LocalObjectStore::PathOf(std::string_view key) const {
  std::string p = root_;
  p += '/';
  p += key;
  return p;
}

std::string LocalObjectStore::NewTempName() {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%016llx-%llu", static_cast<unsigned long long>(temp_salt_),
                static_cast<unsigned long long>(temp_seq_.fetch_add(1)));
  return std::string(kTempPrefix) + buf;
}

Status LocalObjectStore::MakeParentDirs(std::string_view key) {
  for (size_t slash = key.find('/'); slash != std::string_view::npos;
       slash = key.find('/', slash + 1)) {
    std::string dir = PathOf(key.substr(0, slash));
    if (::mkdir(dir.c_str(), 0755) == 0) {
      // The new directory's name lives in its parent: make that durable too.
      if (int err = FsyncDir(ParentOf(dir)); err != 0) {
        return Fail(WriteCode(err), "put object", key, "fsync directory " + ParentOf(dir), err);
      }
    } else if (errno != EEXIST) {
      return Fail(WriteCode(errno), "put object", key, "mkdir " + dir, errno);
    }
  }
  return Status::OK();
}

Result<int> LocalObjectStore::CreateTempFile(std::string_view key, std::string* tmp_path) {
  std::string dir = ParentOf(PathOf(key));
  int last_err = 0;
  for (int attempt = 0; attempt < kMaxCreateAttempts; ++attempt) {
    *tmp_path = dir + "/" + NewTempName();
    int fd = ::open(tmp_path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) return fd;
    last_err = errno;
    if (last_err == EEXIST) continue;  // another writer's name; draw a new one
    if (last_err != ENOENT) break;
    // The directory is missing (first object under it, or a concurrent
    // Delete pruned it): create it and try again.
    Status s = MakeParentDirs(key);
    if (!s.ok() && s.code() != ErrorCode::kNotFound) return s;
  }
  ErrorCode code = WriteCode(last_err);
  if (code == ErrorCode::kNotFound) code = ErrorCode::kIOError;
  return Fail(code, "put object", key, "create temp file " + *tmp_path, last_err);
}

Status LocalObjectStore::WriteTempAndRename(std::string_view key, int fd,
                                            const std::string& tmp_path, ByteView data) {
  ScopedFd file(fd);
  SH_RETURN_IF_ERROR(WriteAll(fd, key, tmp_path, data));
  // The data must be on disk before the rename makes it visible under key;
  // otherwise a crash could leave the new name pointing at empty or partial data.
  if (::fsync(fd) != 0) {
    return Fail(ErrorCode::kIOError, "put object", key, "fsync " + tmp_path, errno);
  }
  if (int err = file.Close(); err != 0) {
    return Fail(ErrorCode::kIOError, "put object", key, "close " + tmp_path, err);
  }
  std::string path = PathOf(key);
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    return Fail(WriteCode(errno), "put object", key, "rename " + tmp_path + " to " + path, errno);
  }
  // The rename lives in the directory: fsync it so the new name survives a crash.
  // ENOENT means a concurrent Delete already removed the object and its
  // directory: that Delete ordered after this Put, and there is nothing to keep.
  std::string dir = ParentOf(path);
  if (int err = FsyncDir(dir); err != 0 && err != ENOENT) {
    return Fail(ErrorCode::kIOError, "put object", key, "fsync directory " + dir, err);
  }
  return Status::OK();
}

Status LocalObjectStore::Put(std::string_view key, ByteView data) {
  SH_RETURN_IF_ERROR(ValidateKey(key));
  std::string tmp_path;
  SH_ASSIGN_OR_RETURN(int fd, CreateTempFile(key, &tmp_path));
  Status s = WriteTempAndRename(key, fd, tmp_path, data);
  if (!s.ok()) ::unlink(tmp_path.c_str());  // no-op (ENOENT) if the rename happened
  return s;
}

Result<Bytes> LocalObjectStore::Get(std::string_view key) {
  return Read(key, 0, UINT64_MAX, /*whole=*/true);
}

Result<Bytes> LocalObjectStore::GetRange(std::string_view key, uint64_t offset, uint64_t length) {
  return Read(key, offset, length, /*whole=*/false);
}

Result<Bytes> LocalObjectStore::Read(std::string_view key, uint64_t offset, uint64_t length,
                                     bool whole) {
  SH_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(ReadCode(errno), "get object", key, "open " + path, errno);
  ScopedFd file(fd);
  // Objects are never modified in place (Put renames a new file over the old),
  // so the size read here stays the size of the file this descriptor reads.
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return Fail(ErrorCode::kIOError, "get object", key, "fstat " + path, errno);
  }
  if (!S_ISREG(st.st_mode)) return MissingObject(key);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (!whole && (offset > size || (offset == size && length > 0))) {
    return Status::OutOfRange("get object '" + Printable(key) + "': range offset " +
                              std::to_string(offset) + " is past its size " + std::to_string(size));
  }
  Bytes out;
  SH_RETURN_IF_ERROR(ReadAt(fd, key, path, offset, std::min(length, size - offset), &out));
  return out;
}

Result<uint64_t> LocalObjectStore::Size(std::string_view key) {
  SH_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Fail(ReadCode(errno), "size of object", key, "stat " + path, errno);
  }
  if (!S_ISREG(st.st_mode)) return MissingObject(key);
  return static_cast<uint64_t>(st.st_size);
}

Status LocalObjectStore::ListDir(const std::string& rel_dir, std::string_view prefix,
                                 std::vector<ObjectInfo>* out) {
  std::string dir_path = rel_dir.empty() ? root_ : PathOf(rel_dir);
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_path.c_str()), &::closedir);
  if (!dir) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::OK();  // nothing under it
    return Fail(ErrorCode::kIOError, "list prefix", prefix, "opendir " + dir_path, errno);
  }
  const int dfd = ::dirfd(dir.get());
  while (true) {
    errno = 0;
    struct dirent* ent = ::readdir(dir.get());
    if (ent == nullptr) {
      if (errno != 0) {
        return Fail(ErrorCode::kIOError, "list prefix", prefix, "readdir " + dir_path, errno);
      }
      return Status::OK();
    }
    std::string_view name = ent->d_name;
    if (name == "." || name == ".." || name.starts_with(kTempPrefix)) continue;
    std::string key = rel_dir.empty() ? std::string(name) : rel_dir + "/" + std::string(name);
    struct stat st;
    if (::fstatat(dfd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // deleted while we listed
      return Fail(ErrorCode::kIOError, "list prefix", prefix,
                  "stat " + dir_path + "/" + std::string(name), errno);
    }
    if (S_ISREG(st.st_mode)) {
      if (std::string_view(key).starts_with(prefix)) {
        out->push_back({key, static_cast<uint64_t>(st.st_size)});
      }
    } else if (S_ISDIR(st.st_mode)) {
      // Descend only where a key with the prefix can live: "a/" for prefix
      // "a/b" (prefix longer), or "a/bc/" for prefix "a/b" (prefix shorter).
      std::string sub = key + "/";
      if (std::string_view(sub).starts_with(prefix) || prefix.starts_with(sub)) {
        SH_RETURN_IF_ERROR(ListDir(key, prefix, out));
      }
    }
  }
}

Result<std::vector<ObjectInfo>> LocalObjectStore::List(std::string_view prefix) {
  std::vector<ObjectInfo> out;
  // Start at the deepest directory the prefix names in full. A prefix whose
  // directory part is no valid key path (has "..", "//", NUL...) matches no key.
  size_t slash = prefix.rfind('/');
  std::string rel_dir(slash == std::string_view::npos ? "" : prefix.substr(0, slash));
  if (!rel_dir.empty() && !ValidateKey(rel_dir).ok()) return out;
  if (prefix.find('\0') != std::string_view::npos) return out;
  SH_RETURN_IF_ERROR(ListDir(rel_dir, prefix, &out));
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

void LocalObjectStore::PruneEmptyDirs(std::string_view key) {
  for (size_t slash = key.rfind('/'); slash != std::string_view::npos && slash > 0;
       slash = key.rfind('/', slash - 1)) {
    // rmdir fails on a non-empty directory (another object, or a Put's temp
    // file), which is exactly where pruning must stop.
    if (::rmdir(PathOf(key.substr(0, slash)).c_str()) != 0) return;
  }
}

Status LocalObjectStore::Delete(std::string_view key) {
  SH_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  if (::unlink(path.c_str()) != 0) {
    int err = errno;
    // Absent, or a directory (a prefix of other keys, not an object): nothing to delete.
    if (err == ENOENT || err == ENOTDIR || err == EISDIR) return Status::OK();
    return Fail(ErrorCode::kIOError, "delete object", key, "unlink " + path, err);
  }
  // Make the removal durable so a deleted object does not return after a crash.
  std::string dir = ParentOf(path);
  if (int err = FsyncDir(dir); err != 0 && err != ENOENT) {
    return Fail(ErrorCode::kIOError, "delete object", key, "fsync directory " + dir, err);
  }
  PruneEmptyDirs(key);
  return Status::OK();
}

Result<uint64_t> LocalObjectStore::RemoveStaleTempFiles() {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t removed = 0;
  fs::recursive_directory_iterator it(root_, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->path().filename().string().starts_with(kTempPrefix)) continue;
    if (!it->is_regular_file(ec) || ec) continue;
    if (fs::remove(it->path(), ec)) ++removed;
    if (ec) {
      return Status::IOError("local object store " + root_ + ": remove stale temp file " +
                             it->path().string() + ": " + ec.message());
    }
  }
  if (ec) {
    return Status::IOError("local object store " + root_ +
                           ": scan for stale temp files: " + ec.message());
  }
  return removed;
}

}  // namespace sh
