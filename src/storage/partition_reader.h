// PartitionReader: reads one partition's sealed log (docs/design.md §7).
//
// Read(offset, max_bytes): SegmentIndex (which segment) -> SegmentCache (its
// reader and blocks) -> ObjectStore (ranged GETs on a miss). It returns whole
// record batches, starting with the batch that holds offset (a read that
// starts inside a batch returns that batch: clients skip the records before
// the offset they asked for, as with Kafka), and continues across blocks and
// segments until max_bytes would be passed. The first batch is returned even
// when it alone is larger than max_bytes, so a consumer always progresses.
//
// FindInSegment(segment, from, ts) searches one sealed segment by timestamp
// the same way (time_query.h searches the whole log with it).
//
// Warm (index within its TTL, blocks cached) a read makes no metadata query
// and no object-store request. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "storage/segment_cache.h"
#include "storage/segment_index.h"

namespace sh::storage {

struct ReadResult {
  Bytes batches;            // whole batches, back to back; empty if none
  int64_t next_offset = 0;  // offset after the last batch returned (== offset if none)
};

// A record found by timestamp: {offset, timestamp_ms}.
using TimestampHit = std::pair<int64_t, int64_t>;

class PartitionReader {
 public:
  PartitionReader(std::string topic, int32_t partition, ObjectStore& store, SegmentIndex& index,
                  SegmentCache& cache);

  // NotFound if no sealed segment holds offset (past the sealed end, or below
  // the log start): the caller decides between "wait for data" and
  // OFFSET_OUT_OF_RANGE using the partition's offsets. Corruption if a block
  // fails its checks; it never returns wrong records.
  Result<ReadResult> Read(int64_t offset, size_t max_bytes);

  // The first record of segment at offset >= from with timestamp >= ts_ms,
  // or nullopt. Blocks whose max timestamp is below ts_ms are skipped by the
  // segment's index, blocks ending before from are not loaded.
  Result<std::optional<TimestampHit>> FindInSegment(const SegmentInfo& segment, int64_t from,
                                                    int64_t ts_ms);

 private:
  Result<std::shared_ptr<const SegmentReader>> OpenSegment(const SegmentInfo& segment);
  Result<std::shared_ptr<const Bytes>> LoadBlock(const SegmentReader& reader, size_t block);

  const std::string topic_;
  const int32_t partition_;
  ObjectStore& store_;
  SegmentIndex& index_;
  SegmentCache& cache_;
};

}  // namespace sh::storage
