// Retention: which of a partition's oldest sealed segments are past
// retention.ms / retention.bytes, and the log start that removes them
// (DESIGN §8). A pure decision over segment metadata; the partition leader
// raises the log start and deletes the segments.
//
// Segments go whole, oldest first: first while now_ms - max_timestamp_ms >
// retention_ms, then (as Kafka) while what stays would still hold at least
// retention_bytes. Example: segments [0, 10) 100 B, [10, 20) 100 B,
// [20, 30) 100 B, all recent, retention_bytes 150 -> the first goes (200 B
// stay), the second stays (100 B would be left): log start 10.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "metadata/metadata_store.h"

namespace sh::storage {

struct RetentionLimits {
  int64_t retention_ms = -1;     // -1: no time limit
  int64_t retention_bytes = -1;  // -1: no size limit
};

struct RetentionCut {
  size_t segments = 0;    // how many of the oldest segments are past retention
  int64_t log_start = 0;  // the log start that removes them (never lower than before)
};

// segments: the partition's sealed segments ending after log_start, by base
// offset (MetadataStore::ListSegments(topic, partition, log_start)).
RetentionCut ComputeRetention(const std::vector<SegmentInfo>& segments, int64_t log_start,
                              int64_t now_ms, const RetentionLimits& limits);

}  // namespace sh::storage
