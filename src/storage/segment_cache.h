// SegmentCache: recently read segment blocks and open segment readers, in
// memory, bounded in bytes, least recently used evicted first (docs/design.md §5).
//
// Blocks are cached decompressed (the concatenated record batches), keyed by
// (object key, block number), so a warm fetch touches neither the object
// store nor the decompressor. Readers (a segment's parsed footer and index)
// are cached by object key and count toward the same byte budget by the size
// of their index. Values are shared_ptr<const ...>: a caller keeps its block
// alive after eviction for as long as it needs it.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/bytes.h"

namespace sh::storage {

class SegmentReader;

class SegmentCache {
 public:
  explicit SegmentCache(size_t capacity_bytes);

  std::shared_ptr<const Bytes> GetBlock(const std::string& object_key, size_t block);
  // An entry larger than the whole capacity is not cached.
  void PutBlock(const std::string& object_key, size_t block, std::shared_ptr<const Bytes> data);

  std::shared_ptr<const SegmentReader> GetReader(const std::string& object_key);
  void PutReader(const std::string& object_key, std::shared_ptr<const SegmentReader> reader);

  // Drops everything cached for the object (segment deleted or replaced).
  void Erase(const std::string& object_key);

  size_t capacity_bytes() const { return capacity_; }
  size_t bytes() const;
  size_t entries() const;
  uint64_t hits() const;
  uint64_t misses() const;
  uint64_t evictions() const;

 private:
  struct Entry {
    std::string key;  // object key + '#' + block number, or object key + "#reader"
    std::string object_key;
    size_t charge = 0;
    std::shared_ptr<const Bytes> block;
    std::shared_ptr<const SegmentReader> reader;
  };
  using List = std::list<Entry>;

  // REQUIRES mu_ held.
  Entry* FindLocked(const std::string& key);
  void InsertLocked(Entry entry);
  void EvictLocked();

  const size_t capacity_;
  mutable std::mutex mu_;
  List lru_;  // front = most recently used
  std::unordered_map<std::string, List::iterator> map_;
  size_t bytes_ = 0;
  uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace sh::storage
