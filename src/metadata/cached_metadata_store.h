// CachedMetadataStore: a MetadataStore decorator that keeps recent answers of
// GetTopic, ListTopics, ListPartitions and GetPartition in an LRU with a TTL.
//
// Semantics:
// - Only successful answers are cached; errors (NotFound included) always go
//   to the inner store, so a topic created elsewhere shows up at once.
// - An entry is served for at most ttl_ms after it was fetched (measured on
//   clock->MonotonicMicros()), then fetched again. If that fetch fails with
//   Unavailable (the database is down or restarting), the expired entry is
//   served instead: a topic's settings do not change while nobody can write
//   them, and producers and consumers of known topics keep working through a
//   metadata outage. Expired entries stay until evicted or invalidated.
// - Every write that passes through this decorator drops the entries it could
//   have changed (topic writes: everything about that topic plus ListTopics;
//   partition writes: that partition and its topic's ListPartitions), even if
//   the write failed. Writes made by other processes or other decorators are
//   seen only after the TTL: that staleness is the price of the cache.
//   AcquireLease drops the partition's entries too: a new leader must read
//   the sealed end its predecessor left, never an older cached one.
// - At most `capacity` entries; the least recently used goes first.
//   capacity 0 or ttl_ms <= 0 disables caching (every call passes through).
// - Everything else passes straight through, uncached: agents (heartbeats
//   and node ids), leases and epoch starts are read by agents deciding who
//   leads, where a stale answer could let a deposed leader act.
//   Thread-safe; the lock is not held while the inner store is called.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <variant>

#include "base/clock.h"
#include "metadata/forwarding_metadata_store.h"

namespace sh {

class CachedMetadataStore final : public ForwardingMetadataStore {
 public:
  // REQUIRES: inner and clock outlive this store.
  CachedMetadataStore(MetadataStore& inner, size_t capacity, int64_t ttl_ms,
                      const Clock* clock = SystemClock::Get());

  // Entries currently held (expired ones included until evicted or touched).
  size_t size() const;
  // Drops every entry.
  void Clear();

  // Cached reads and invalidating writes; every other call is forwarded.
  Status CreateTopic(const TopicInfo& topic) override;
  Result<TopicInfo> GetTopic(const std::string& name) override;
  Result<std::vector<TopicInfo>> ListTopics() override;
  Status DeleteTopic(const std::string& name) override;
  Status UpdateTopicConfig(const std::string& name, const std::string& config_json) override;
  Status AddPartitions(const std::string& name, int32_t new_count) override;
  Result<PartitionInfo> GetPartition(const std::string& topic, int32_t partition) override;
  Result<std::vector<PartitionInfo>> ListPartitions(const std::string& topic) override;
  Status UpdateHighWatermark(const std::string& topic, int32_t partition, int64_t hw,
                             int64_t leader_epoch) override;
  Status UpdateLogStartOffset(const std::string& topic, int32_t partition,
                              int64_t log_start_offset) override;
  Status RegisterSegment(const SegmentInfo& segment, int64_t leader_epoch) override;
  Result<PartitionLease> AcquireLease(const std::string& topic, int32_t partition,
                                      const std::string& agent_id, int64_t now_ms,
                                      int64_t ttl_ms) override;
  std::string Describe() const override { return "cached(" + inner().Describe() + ")"; }

 private:
  enum class Kind : int { kTopicList, kTopic, kPartitionList, kPartition };
  // (topic, kind, partition): ordered so that all entries of one topic are
  // one contiguous range. The topic list uses topic "" (no topic has it).
  using Key = std::tuple<std::string, Kind, int32_t>;
  using Value =
      std::variant<std::vector<TopicInfo>, TopicInfo, std::vector<PartitionInfo>, PartitionInfo>;
  struct Entry {
    Key key;
    Value value;
    int64_t fetched_at_us;
  };
  using Lru = std::list<Entry>;  // most recently used first

  template <typename T, typename Fetch>
  Result<T> GetOrFetch(const Key& key, Fetch fetch);
  struct Hit {
    Value value;
    bool fresh;  // fetched within ttl
  };
  std::optional<Hit> Lookup(const Key& key);
  void Insert(const Key& key, Value value, uint64_t generation);
  void EraseLocked(std::map<Key, Lru::iterator>::iterator it);
  void InvalidateTopic(const std::string& topic);
  void InvalidatePartition(const std::string& topic, int32_t partition);

  const size_t capacity_;
  const int64_t ttl_us_;
  const Clock* clock_;

  mutable std::mutex mu_;
  Lru lru_;
  std::map<Key, Lru::iterator> index_;
  // Bumped by every invalidation. A fetch that started before an invalidation
  // does not insert its (possibly stale) answer.
  uint64_t generation_ = 0;
};

}  // namespace sh
