#include "storage/time_query.h"

#include <algorithm>

namespace sh::storage {
namespace {

// Calls visit(batch, from) for each batch holding offsets in [from, limit)
// that source returns, in order, until visit returns true. The `from` passed
// to visit is the first offset of interest in that batch.
using BatchVisitor =
    std::function<Result<bool>(const records::RecordBatchView& batch, int64_t from)>;

Status ForEachBatch(const LogSource& source, int64_t from, int64_t limit,
                    const BatchVisitor& visit) {
  constexpr size_t kChunk = 1 << 20;
  int64_t next = from;
  while (next < limit) {
    SH_ASSIGN_OR_RETURN(Bytes chunk, source(next, kChunk));
    if (chunk.empty()) break;
    SH_ASSIGN_OR_RETURN(std::vector<records::RecordBatchView> batches,
                        records::ParseBatches(chunk));
    for (const records::RecordBatchView& b : batches) {
      if (b.last_offset() < next) continue;
      if (b.base_offset() >= limit) return Status::OK();
      SH_ASSIGN_OR_RETURN(bool stop, visit(b, std::max(from, b.base_offset())));
      if (stop) return Status::OK();
    }
    next = std::max(next, batches.back().last_offset() + 1);
  }
  return Status::OK();
}

// The largest timestamp of a record of b at offset >= from (nullopt if none).
Result<std::optional<int64_t>> MaxTimestampFrom(const records::RecordBatchView& b, int64_t from) {
  if (b.record_count() == 0 || b.last_offset() < from) return std::optional<int64_t>();
  if (b.base_offset() >= from || b.timestamp_type() == records::TimestampType::kLogAppendTime) {
    return std::optional<int64_t>(b.max_timestamp());
  }
  SH_ASSIGN_OR_RETURN(std::vector<records::Record> recs, b.DecodeRecords());
  std::optional<int64_t> max;
  for (const records::Record& r : recs) {
    if (r.offset >= from && (!max || r.timestamp > *max)) max = r.timestamp;
  }
  return max;
}

}  // namespace

Result<std::optional<TimestampHit>> FindInBatch(const records::RecordBatchView& b, int64_t from,
                                                int64_t ts_ms) {
  using Found = std::optional<TimestampHit>;
  if (b.last_offset() < from || b.max_timestamp() < ts_ms || b.record_count() == 0) {
    return Found();
  }
  if (b.timestamp_type() == records::TimestampType::kLogAppendTime) {
    return Found(std::make_pair(std::max(b.base_offset(), from), b.max_timestamp()));
  }
  SH_ASSIGN_OR_RETURN(std::vector<records::Record> recs, b.DecodeRecords());
  for (const records::Record& r : recs) {
    if (r.offset >= from && r.timestamp >= ts_ms) {
      return Found(std::make_pair(r.offset, r.timestamp));
    }
  }
  return Found();
}

Result<std::optional<TimestampHit>> FindOffsetForTimestamp(PartitionReader& reader,
                                                           const std::vector<SegmentInfo>& segments,
                                                           int64_t log_start, int64_t ts_ms,
                                                           const LogSource& rest) {
  using Found = std::optional<TimestampHit>;
  int64_t next = log_start;
  // Sealed segments: skip those whose max timestamp is too early; inside one,
  // the block index skips blocks the same way.
  for (const SegmentInfo& segment : segments) {
    if (segment.end_offset <= next) continue;
    if (segment.max_timestamp_ms >= ts_ms) {
      SH_ASSIGN_OR_RETURN(
          Found found, reader.FindInSegment(segment, std::max(next, segment.base_offset), ts_ms));
      if (found) return found;
    }
    next = segment.end_offset;
  }
  // The tail, and anything sealed since the listing, read as a fetch would.
  Found found;
  SH_RETURN_IF_ERROR(ForEachBatch(
      rest, next, INT64_MAX, [&](const records::RecordBatchView& b, int64_t from) -> Result<bool> {
        SH_ASSIGN_OR_RETURN(found, FindInBatch(b, from, ts_ms));
        return found.has_value();
      }));
  return found;
}

Result<std::optional<int64_t>> FindMaxTimestamp(const std::vector<SegmentInfo>& segments,
                                                int64_t log_start, const LogSource& rest) {
  std::optional<int64_t> max;
  auto raise = [&max](int64_t ts) {
    if (!max || ts > *max) max = ts;
  };
  BatchVisitor raise_from_batch = [&](const records::RecordBatchView& b,
                                      int64_t from) -> Result<bool> {
    SH_ASSIGN_OR_RETURN(std::optional<int64_t> ts, MaxTimestampFrom(b, from));
    if (ts) raise(*ts);
    return false;
  };
  int64_t sealed_end = log_start;
  for (const SegmentInfo& segment : segments) {
    if (segment.end_offset <= log_start) continue;
    if (segment.base_offset >= log_start && segment.record_count > 0) {
      raise(segment.max_timestamp_ms);
    } else {
      SH_RETURN_IF_ERROR(ForEachBatch(rest, log_start, segment.end_offset, raise_from_batch));
    }
    sealed_end = std::max(sealed_end, segment.end_offset);
  }
  SH_RETURN_IF_ERROR(ForEachBatch(rest, sealed_end, INT64_MAX, raise_from_batch));
  return max;
}

}  // namespace sh::storage
