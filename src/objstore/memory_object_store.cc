#include "objstore/memory_object_store.h"

#include <algorithm>

namespace sh {

Status MemoryObjectStore::Put(std::string_view key, ByteView data) {
  if (key.empty()) return Status::InvalidArgument("object key is empty");
  std::lock_guard lock(mu_);
  objects_[std::string(key)] = Bytes(data.begin(), data.end());
  return Status::OK();
}

Result<Bytes> MemoryObjectStore::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("object " + std::string(key));
  return it->second;
}

Result<Bytes> MemoryObjectStore::GetRange(std::string_view key, uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("object " + std::string(key));
  const Bytes& b = it->second;
  if (offset > b.size() || (offset == b.size() && length > 0)) {
    return Status::OutOfRange("object " + std::string(key) + ": range offset " +
                              std::to_string(offset) + " is past its size " +
                              std::to_string(b.size()));
  }
  // A range that runs past the end is cut at the end, as S3 does.
  const uint64_t n = std::min<uint64_t>(length, b.size() - offset);
  return Bytes(b.begin() + offset, b.begin() + offset + n);
}

Result<uint64_t> MemoryObjectStore::Size(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("object " + std::string(key));
  return static_cast<uint64_t>(it->second.size());
}

Result<std::vector<ObjectInfo>> MemoryObjectStore::List(std::string_view prefix) {
  std::lock_guard lock(mu_);
  std::vector<ObjectInfo> out;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back({it->first, it->second.size()});
  }
  return out;
}

Status MemoryObjectStore::Delete(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) objects_.erase(it);
  return Status::OK();
}

Status MemoryObjectStore::Replace(std::string_view key, Bytes data) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("object " + std::string(key));
  it->second = std::move(data);
  return Status::OK();
}

size_t MemoryObjectStore::object_count() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

}  // namespace sh
