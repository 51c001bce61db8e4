// SegmentIndex: which sealed segment holds an offset, for one partition,
// answered from memory (docs/design.md §5).
//
// Entries are kept in a vector sorted by base offset; Find(offset) is
// upper_bound(offset) then one step back, and checks that the segment found
// really covers the offset (end_offset > offset). The index is refreshed from
// the MetadataStore:
//   - when it is older than ttl_ms (default 30 s), on the next lookup;
//   - on a miss past its known end (a segment sealed by someone else), at most
//     once per miss_refresh_interval_ms, so a reader polling the end of the log
//     does not turn every poll into a query;
//   - on a miss inside its known range (an entry evicted earlier), with a
//     targeted query for that offset.
// It holds at most max_entries segments; past that the least recently used
// entry is evicted. A refresh keeps the newest max_entries segments, where
// readers usually are.
//
// In steady state (warm, within the TTL) Find makes no metadata query.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "metadata/metadata_store.h"

namespace sh::storage {

struct SegmentIndexOptions {
  int64_t ttl_ms = 30'000;
  int64_t miss_refresh_interval_ms = 1'000;
  size_t max_entries = 100'000;
};

class SegmentIndex {
 public:
  SegmentIndex(std::string topic, int32_t partition, MetadataStore& metadata, const Clock& clock,
               SegmentIndexOptions options = {});

  // The segment that holds offset. NotFound if no sealed segment holds it:
  // offset is at or past the end of the sealed log, or below its first segment
  // (removed by retention), or in a gap. Errors of the metadata store pass through.
  // The result is shared (no copy of the segment's strings per lookup).
  Result<std::shared_ptr<const SegmentInfo>> Find(int64_t offset);

  // Adds a segment this process has just registered (no query needed).
  void Add(const SegmentInfo& segment);
  // Drops every entry with end_offset <= offset (retention ran).
  void RemoveBefore(int64_t offset);
  // Reloads from the metadata store now.
  Status Refresh();

  // End offset of the newest segment known (0 if none).
  int64_t known_end() const;
  size_t size() const;
  // How many metadata queries this index has made (refreshes and targeted lookups).
  uint64_t metadata_queries() const;

 private:
  struct Entry {
    int64_t base_offset;
    int64_t end_offset;
    std::shared_ptr<const SegmentInfo> segment;
    uint64_t last_used = 0;  // tick of the last lookup that returned it, for LRU
  };

  // All REQUIRE mu_ held.
  const Entry* Lookup(int64_t offset);
  Status RefreshLocked();
  Status LoadAroundLocked(int64_t offset);
  void InsertLocked(const SegmentInfo& segment);
  static Entry MakeEntry(const SegmentInfo& segment, uint64_t last_used);
  void EvictLocked();
  void RebuildBasesLocked();

  const std::string topic_;
  const int32_t partition_;
  MetadataStore& metadata_;
  const Clock& clock_;
  const SegmentIndexOptions options_;

  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // sorted by base_offset
  // bases_[i] == entries_[i].base_offset: the binary search runs over this
  // dense array (10,000 segments are 80 KB, in L2), not over the entries.
  std::vector<int64_t> bases_;
  int64_t known_end_ = 0;
  // True while entries_ holds every segment of the partition (the last
  // refresh was not cut to max_entries and nothing was evicted since): a miss
  // inside the known range then needs no query.
  bool complete_ = false;
  int64_t last_refresh_us_ = -1;  // monotonic; -1 = never
  int64_t last_miss_refresh_us_ = -1;
  uint64_t tick_ = 0;
  uint64_t metadata_queries_ = 0;
};

}  // namespace sh::storage
