#include "storage/retention.h"

#include <algorithm>

namespace sh::storage {

RetentionCut ComputeRetention(const std::vector<SegmentInfo>& segments, int64_t log_start,
                              int64_t now_ms, const RetentionLimits& limits) {
  int64_t cut = log_start;
  size_t i = 0;
  if (limits.retention_ms >= 0) {
    while (i < segments.size() && now_ms - segments[i].max_timestamp_ms > limits.retention_ms) {
      cut = segments[i++].end_offset;
    }
  }
  if (limits.retention_bytes >= 0) {
    // As Kafka: drop the oldest while what stays is still >= retention.bytes.
    int64_t excess = -limits.retention_bytes;
    for (size_t j = i; j < segments.size(); ++j) excess += segments[j].size_bytes;
    while (i < segments.size() && excess - segments[i].size_bytes >= 0) {
      excess -= segments[i].size_bytes;
      cut = segments[i++].end_offset;
    }
  }
  return RetentionCut{i, std::max(cut, log_start)};
}

}  // namespace sh::storage
