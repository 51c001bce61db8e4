#include "metadata/cached_metadata_store.h"

#include <limits>

namespace sh {

CachedMetadataStore::CachedMetadataStore(MetadataStore& inner, size_t capacity, int64_t ttl_ms,
                                         const Clock* clock)
    : ForwardingMetadataStore(inner),
      capacity_(ttl_ms > 0 ? capacity : 0),
      ttl_us_(ttl_ms > 0 && ttl_ms < std::numeric_limits<int64_t>::max() / 1000
                  ? ttl_ms * 1000
                  : (ttl_ms > 0 ? std::numeric_limits<int64_t>::max() : 0)),
      clock_(clock != nullptr ? clock : SystemClock::Get()) {}

size_t CachedMetadataStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_.size();
}

void CachedMetadataStore::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  index_.clear();
  lru_.clear();
}

void CachedMetadataStore::EraseLocked(std::map<Key, Lru::iterator>::iterator it) {
  lru_.erase(it->second);
  index_.erase(it);
}

std::optional<CachedMetadataStore::Hit> CachedMetadataStore::Lookup(const Key& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);  // now the most recently used
  bool fresh = clock_->MonotonicMicros() - it->second->fetched_at_us < ttl_us_;
  return Hit{it->second->value, fresh};
}

void CachedMetadataStore::Insert(const Key& key, Value value, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation != generation_ || capacity_ == 0) return;
  auto it = index_.find(key);
  if (it != index_.end()) EraseLocked(it);
  lru_.push_front(Entry{key, std::move(value), clock_->MonotonicMicros()});
  index_.emplace(key, lru_.begin());
  while (index_.size() > capacity_) EraseLocked(index_.find(lru_.back().key));
}

template <typename T, typename Fetch>
Result<T> CachedMetadataStore::GetOrFetch(const Key& key, Fetch fetch) {
  if (capacity_ == 0) return fetch();
  std::optional<Hit> hit = Lookup(key);
  if (hit && hit->fresh) return std::get<T>(std::move(hit->value));
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
  }
  Result<T> result = fetch();
  if (result.ok()) {
    Insert(key, Value(result.value()), generation);
  } else if (hit && result.status().code() == ErrorCode::kUnavailable) {
    return std::get<T>(std::move(hit->value));  // the store is down: the last answer
  }
  return result;
}

void CachedMetadataStore::InvalidateTopic(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  auto it = index_.lower_bound(Key{topic, Kind::kTopicList, std::numeric_limits<int32_t>::min()});
  while (it != index_.end() && std::get<0>(it->first) == topic) {
    auto next = std::next(it);
    EraseLocked(it);
    it = next;
  }
  auto list = index_.find(Key{"", Kind::kTopicList, 0});
  if (list != index_.end()) EraseLocked(list);
}

void CachedMetadataStore::InvalidatePartition(const std::string& topic, int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  for (const Key& key :
       {Key{topic, Kind::kPartitionList, 0}, Key{topic, Kind::kPartition, partition}}) {
    auto it = index_.find(key);
    if (it != index_.end()) EraseLocked(it);
  }
}

// ---- cached reads ----

Result<TopicInfo> CachedMetadataStore::GetTopic(const std::string& name) {
  return GetOrFetch<TopicInfo>(Key{name, Kind::kTopic, 0}, [&] { return inner().GetTopic(name); });
}

Result<std::vector<TopicInfo>> CachedMetadataStore::ListTopics() {
  return GetOrFetch<std::vector<TopicInfo>>(Key{"", Kind::kTopicList, 0},
                                            [&] { return inner().ListTopics(); });
}

Result<std::vector<PartitionInfo>> CachedMetadataStore::ListPartitions(const std::string& topic) {
  return GetOrFetch<std::vector<PartitionInfo>>(Key{topic, Kind::kPartitionList, 0},
                                                [&] { return inner().ListPartitions(topic); });
}

Result<PartitionInfo> CachedMetadataStore::GetPartition(const std::string& topic,
                                                        int32_t partition) {
  return GetOrFetch<PartitionInfo>(Key{topic, Kind::kPartition, partition},
                                   [&] { return inner().GetPartition(topic, partition); });
}

// ---- writes that invalidate (after the inner write, so that no reader can
// re-cache the old value once we return) ----

Status CachedMetadataStore::CreateTopic(const TopicInfo& topic) {
  Status st = inner().CreateTopic(topic);
  InvalidateTopic(topic.name);
  return st;
}

Status CachedMetadataStore::DeleteTopic(const std::string& name) {
  Status st = inner().DeleteTopic(name);
  InvalidateTopic(name);
  return st;
}

Status CachedMetadataStore::UpdateTopicConfig(const std::string& name,
                                              const std::string& config_json) {
  Status st = inner().UpdateTopicConfig(name, config_json);
  InvalidateTopic(name);
  return st;
}

Status CachedMetadataStore::AddPartitions(const std::string& name, int32_t new_count) {
  Status st = inner().AddPartitions(name, new_count);
  InvalidateTopic(name);
  return st;
}

Status CachedMetadataStore::UpdateHighWatermark(const std::string& topic, int32_t partition,
                                                int64_t hw, int64_t leader_epoch) {
  Status st = inner().UpdateHighWatermark(topic, partition, hw, leader_epoch);
  InvalidatePartition(topic, partition);
  return st;
}

Status CachedMetadataStore::UpdateLogStartOffset(const std::string& topic, int32_t partition,
                                                 int64_t log_start_offset) {
  Status st = inner().UpdateLogStartOffset(topic, partition, log_start_offset);
  InvalidatePartition(topic, partition);
  return st;
}

Status CachedMetadataStore::RegisterSegment(const SegmentInfo& segment, int64_t leader_epoch) {
  Status st = inner().RegisterSegment(segment, leader_epoch);
  InvalidatePartition(segment.topic, segment.partition);  // it raises the high watermark
  return st;
}

Result<PartitionLease> CachedMetadataStore::AcquireLease(const std::string& topic,
                                                         int32_t partition,
                                                         const std::string& agent_id,
                                                         int64_t now_ms, int64_t ttl_ms) {
  Result<PartitionLease> lease = inner().AcquireLease(topic, partition, agent_id, now_ms, ttl_ms);
  // A new leader reads the sealed end right after: it must see the last
  // leader's final seal, not an answer cached before it.
  InvalidatePartition(topic, partition);
  return lease;
}

}  // namespace sh
