// Timestamp search over one partition's log (ListOffsets by timestamp).
//
// The sealed segments are searched through PartitionReader::FindInSegment
// (the segment's block index skips blocks whose max timestamp is too early;
// blocks come through the same SegmentCache as reads); the rest of the log
// (the in-memory tail, and anything sealed after the segments were listed)
// is read through a LogSource, as a fetch would read it.
//
// Example: log start 40, segments [40, 100) max ts 500 and [100, 130) max ts
// 900, tail [130, 160). FindOffsetForTimestamp(ts 700) skips no segment by
// its metadata until [100, 130), searches that one, and returns the first
// record there with timestamp >= 700; ts 1000 passes both segments by their
// max timestamps and scans the tail from 130; a ts before every record
// returns the first record at or after the log start (40); a ts after every
// record returns nullopt.
//
// Records of LogAppendTime batches all carry the batch's max timestamp.
// Thread-safe as far as the reader and the source are.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "metadata/metadata_store.h"
#include "records/record_batch.h"
#include "storage/partition_reader.h"

namespace sh::storage {

// Whole batches of the log from the batch holding offset on, up to about
// max_bytes (at least one batch if there is one); empty at the end of the log.
using LogSource = std::function<Result<Bytes>(int64_t offset, size_t max_bytes)>;

// The first record of b at offset >= from with timestamp >= ts_ms.
Result<std::optional<TimestampHit>> FindInBatch(const records::RecordBatchView& b, int64_t from,
                                                int64_t ts_ms);

// The first record at offset >= log_start with timestamp >= ts_ms.
// segments: the partition's sealed segments ending after log_start, by base
// offset (MetadataStore::ListSegments(topic, partition, log_start)); after
// the last of them the search goes on through rest.
Result<std::optional<TimestampHit>> FindOffsetForTimestamp(PartitionReader& reader,
                                                           const std::vector<SegmentInfo>& segments,
                                                           int64_t log_start, int64_t ts_ms,
                                                           const LogSource& rest);

// The largest timestamp of a record at offset >= log_start (nullopt if the
// log is empty there): whole segments from their metadata, a segment that
// straddles the log start and everything after the segments by reading batch
// headers through rest. segments as for FindOffsetForTimestamp.
Result<std::optional<int64_t>> FindMaxTimestamp(const std::vector<SegmentInfo>& segments,
                                                int64_t log_start, const LogSource& rest);

}  // namespace sh::storage
