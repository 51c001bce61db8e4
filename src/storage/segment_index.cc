#include "storage/segment_index.h"

#include <algorithm>

namespace sh::storage {

SegmentIndex::SegmentIndex(std::string topic, int32_t partition, MetadataStore& metadata,
                           const Clock& clock, SegmentIndexOptions options)
    : topic_(std::move(topic)),
      partition_(partition),
      metadata_(metadata),
      clock_(clock),
      options_(options) {
  SH_CHECK(options_.max_entries > 0);
}

Result<std::shared_ptr<const SegmentInfo>> SegmentIndex::Find(int64_t offset) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.MonotonicMicros();
  if (last_refresh_us_ < 0 || now - last_refresh_us_ >= options_.ttl_ms * 1000) {
    SH_RETURN_IF_ERROR(RefreshLocked());
  }
  if (const Entry* e = Lookup(offset)) return e->segment;

  if (offset >= known_end_) {
    // Past the known end: a segment may have been sealed since the last refresh.
    if (last_miss_refresh_us_ < 0 ||
        now - last_miss_refresh_us_ >= options_.miss_refresh_interval_ms * 1000) {
      last_miss_refresh_us_ = now;
      SH_RETURN_IF_ERROR(RefreshLocked());
      if (const Entry* e = Lookup(offset)) return e->segment;
    }
  } else if (!complete_) {
    // Inside the known range but not held: evicted earlier, or never loaded.
    SH_RETURN_IF_ERROR(LoadAroundLocked(offset));
    if (const Entry* e = Lookup(offset)) return e->segment;
  }
  return Status::NotFound("no sealed segment of " + topic_ + "/" + std::to_string(partition_) +
                          " holds offset " + std::to_string(offset));
}

const SegmentIndex::Entry* SegmentIndex::Lookup(int64_t offset) {
  // Worked example: bases {0, 100, 250}; offset 180 -> upper_bound gives 250,
  // one step back gives 100, and 180 < end_offset (250) means it holds it.
  auto pos = std::upper_bound(bases_.begin(), bases_.end(), offset);
  if (pos == bases_.begin()) return nullptr;
  auto it = entries_.begin() + (pos - bases_.begin() - 1);
  if (offset >= it->end_offset) return nullptr;
  it->last_used = ++tick_;
  return &*it;
}

void SegmentIndex::Add(const SegmentInfo& segment) {
  std::lock_guard lock(mu_);
  InsertLocked(segment);
}

void SegmentIndex::RemoveBefore(int64_t offset) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [offset](const Entry& e) { return e.end_offset <= offset; });
  RebuildBasesLocked();
}

Status SegmentIndex::Refresh() {
  std::lock_guard lock(mu_);
  return RefreshLocked();
}

int64_t SegmentIndex::known_end() const {
  std::lock_guard lock(mu_);
  return known_end_;
}

size_t SegmentIndex::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

uint64_t SegmentIndex::metadata_queries() const {
  std::lock_guard lock(mu_);
  return metadata_queries_;
}

Status SegmentIndex::RefreshLocked() {
  ++metadata_queries_;
  SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                      metadata_.ListSegments(topic_, partition_, 0));
  // Keep the newest max_entries: readers are usually near the end of the log.
  size_t first = segments.size() > options_.max_entries ? segments.size() - options_.max_entries
                                                         : 0;
  std::vector<Entry> fresh;
  fresh.reserve(segments.size() - first);
  for (size_t i = first; i < segments.size(); ++i) fresh.push_back(MakeEntry(segments[i], 0));
  entries_ = std::move(fresh);
  complete_ = first == 0;
  RebuildBasesLocked();
  known_end_ = entries_.empty() ? 0 : entries_.back().end_offset;
  last_refresh_us_ = clock_.MonotonicMicros();
  return Status::OK();
}

Status SegmentIndex::LoadAroundLocked(int64_t offset) {
  ++metadata_queries_;
  // Segments with end_offset > offset, oldest first: the first is the one
  // holding offset, if any.
  SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                      metadata_.ListSegments(topic_, partition_, offset));
  if (!segments.empty()) InsertLocked(segments.front());
  return Status::OK();
}

void SegmentIndex::RebuildBasesLocked() {
  bases_.clear();
  for (const Entry& e : entries_) bases_.push_back(e.base_offset);
}

SegmentIndex::Entry SegmentIndex::MakeEntry(const SegmentInfo& segment, uint64_t last_used) {
  return Entry{segment.base_offset, segment.end_offset,
               std::make_shared<const SegmentInfo>(segment), last_used};
}

void SegmentIndex::InsertLocked(const SegmentInfo& segment) {
  auto it = std::lower_bound(
      entries_.begin(), entries_.end(), segment.base_offset,
      [](const Entry& e, int64_t base) { return e.base_offset < base; });
  if (it != entries_.end() && it->base_offset == segment.base_offset) {
    *it = MakeEntry(segment, it->last_used);
  } else {
    bases_.insert(bases_.begin() + (it - entries_.begin()), segment.base_offset);
    entries_.insert(it, MakeEntry(segment, ++tick_));
  }
  known_end_ = std::max(known_end_, segment.end_offset);
  if (entries_.size() > options_.max_entries) EvictLocked();
}

void SegmentIndex::EvictLocked() {
  // Linear scan: eviction is rare next to lookups, and keeping lookups to one
  // binary search over a flat vector is what makes them fast.
  while (entries_.size() > options_.max_entries) {
    auto victim = std::min_element(entries_.begin(), entries_.end(), [](const Entry& a,
                                                                         const Entry& b) {
      return a.last_used < b.last_used;
    });
    bases_.erase(bases_.begin() + (victim - entries_.begin()));
    entries_.erase(victim);
    complete_ = false;
  }
}

}  // namespace sh::storage
