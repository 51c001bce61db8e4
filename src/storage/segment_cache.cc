#include "storage/segment_cache.h"

#include "storage/segment_reader.h"

namespace sh::storage {
namespace {

// Fixed overhead charged per entry so that many tiny entries stay bounded too.
constexpr size_t kEntryOverhead = 128;

std::string BlockKey(const std::string& object_key, size_t block) {
  return object_key + '#' + std::to_string(block);
}
std::string ReaderKey(const std::string& object_key) { return object_key + "#reader"; }

}  // namespace

SegmentCache::SegmentCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

std::shared_ptr<const Bytes> SegmentCache::GetBlock(const std::string& object_key, size_t block) {
  std::lock_guard lock(mu_);
  Entry* e = FindLocked(BlockKey(object_key, block));
  return e ? e->block : nullptr;
}

void SegmentCache::PutBlock(const std::string& object_key, size_t block,
                            std::shared_ptr<const Bytes> data) {
  if (!data) return;
  size_t charge = data->size() + kEntryOverhead;
  std::lock_guard lock(mu_);
  InsertLocked(Entry{BlockKey(object_key, block), object_key, charge, std::move(data), nullptr});
}

std::shared_ptr<const SegmentReader> SegmentCache::GetReader(const std::string& object_key) {
  std::lock_guard lock(mu_);
  Entry* e = FindLocked(ReaderKey(object_key));
  return e ? e->reader : nullptr;
}

void SegmentCache::PutReader(const std::string& object_key,
                             std::shared_ptr<const SegmentReader> reader) {
  if (!reader) return;
  size_t charge = reader->blocks().size() * sizeof(BlockIndexEntry) + object_key.size() +
                  kEntryOverhead;
  std::lock_guard lock(mu_);
  InsertLocked(Entry{ReaderKey(object_key), object_key, charge, nullptr, std::move(reader)});
}

void SegmentCache::Erase(const std::string& object_key) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->object_key == object_key) {
      bytes_ -= it->charge;
      map_.erase(it->key);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t SegmentCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}
size_t SegmentCache::entries() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}
uint64_t SegmentCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}
uint64_t SegmentCache::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}
uint64_t SegmentCache::evictions() const {
  std::lock_guard lock(mu_);
  return evictions_;
}

SegmentCache::Entry* SegmentCache::FindLocked(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

void SegmentCache::InsertLocked(Entry entry) {
  if (entry.charge > capacity_) return;
  if (auto it = map_.find(entry.key); it != map_.end()) {
    bytes_ -= it->second->charge;
    lru_.erase(it->second);
    map_.erase(it);
  }
  bytes_ += entry.charge;
  lru_.push_front(std::move(entry));
  map_[lru_.front().key] = lru_.begin();
  EvictLocked();
}

void SegmentCache::EvictLocked() {
  while (bytes_ > capacity_ && !lru_.empty()) {
    Entry& victim = lru_.back();
    bytes_ -= victim.charge;
    map_.erase(victim.key);
    lru_.pop_back();
    ++evictions_;
  }
}

}  // namespace sh::storage
