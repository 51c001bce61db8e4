// LocalObjectStore: objects as files under a root directory (embedded mode).
//
// Key "topics/orders/3/seg_1.bin" is the file {root}/topics/orders/3/seg_1.bin;
// directories are created on demand. Put writes a hidden temp file
// (".tmp-...") in the target's directory, fsyncs it, renames it over the target
// and fsyncs the directory, so a reader or a crash sees the old object or the
// whole new one. Layout and protocol: docs/object-store.md.
//
// Keys must be relative paths of non-empty segments: no leading '/', no "//",
// no trailing '/', no "." or ".." segment, no NUL, and no segment starting with
// ".tmp-" (those names are reserved for in-flight writes). A key cannot name
// both an object and a directory ("a" and "a/b"); such a Put is InvalidArgument.
//
// Thread-safe: every method may be called from any thread, and several
// processes may share a root (each Put uses its own temp file).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "objstore/object_store.h"

namespace sh {

class LocalObjectStore final : public ObjectStore {
 public:
  // REQUIRES: root exists (or use Open). Trailing slashes are ignored.
  explicit LocalObjectStore(std::string root);

  // Creates root and its parents if missing, then returns a store over it.
  static Result<std::unique_ptr<LocalObjectStore>> Open(std::string root);

  // OK if key is acceptable to this backend (see the header comment).
  static Status ValidateKey(std::string_view key);

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key) override;
  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Size(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return "file://" + root_; }

  // Removes the ".tmp-*" files left by Puts that a crash cut short, and
  // returns how many. REQUIRES: no Put runs on this root (in any process),
  // e.g. at start-up; a Put whose temp file vanished fails rather than
  // corrupting anything, but it does fail.
  Result<uint64_t> RemoveStaleTempFiles();

  const std::string& root() const { return root_; }

 private:
  std::string PathOf(std::string_view key) const;
  // Get (whole: any size, even 0) and GetRange (range rules of ObjectStore).
  Result<Bytes> Read(std::string_view key, uint64_t offset, uint64_t length, bool whole);
  std::string NewTempName();
  // Creates the directories of key below root; fsyncs the parent of each new one.
  Status MakeParentDirs(std::string_view key);
  // Creates and opens a fresh temp file in key's directory; sets *tmp_path.
  Result<int> CreateTempFile(std::string_view key, std::string* tmp_path);
  Status WriteTempAndRename(std::string_view key, int fd, const std::string& tmp_path,
                            ByteView data);
  // Removes now-empty directories from key's parent up to (not including) root.
  void PruneEmptyDirs(std::string_view key);
  Status ListDir(const std::string& rel_dir, std::string_view prefix, std::vector<ObjectInfo>* out);

  std::string root_;
  const uint64_t temp_salt_;  // distinguishes this store's temp files from others'
  std::atomic<uint64_t> temp_seq_{0};
};

}  // namespace sh
