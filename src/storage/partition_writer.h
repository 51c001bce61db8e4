// PartitionWriter: the write side of one partition's log (docs/design.md §6 step 4).
//
// Append() validates producer batches, assigns them consecutive offsets and
// keeps them in an in-memory tail. Sealing turns the tail into a segment:
//
//   1. build the segment object (SegmentBuilder),
//   2. Put it in the object store,
//   3. RegisterSegment in metadata with the leader epoch, which raises the
//      partition's high watermark to the segment's end offset,
//   4. add it to the SegmentIndex and drop those batches from the tail,
//
// in that order, so the high watermark never passes data that is not stored.
// If step 2 or 3 fails, the finished object is kept and the next seal retries
// it before anything newer; the tail keeps serving reads meanwhile.
//
// A seal happens when an append fills the tail to segment_bytes of batches
// (raw, before block compression; that append pays for the seal unless one
// is already running, or seal_on_append is off), in MaybeRoll() when the tail
// holds segment_bytes or segment_ms has passed since its first batch, and on
// Flush(). A seal builds, uploads and registers the segment without holding the lock that appends and tail reads take, so producers
// and consumers are not stalled by compression, the object store or the
// metadata store; seals themselves run one at a time.
//
// Offsets: the writer starts at the partition's high watermark in metadata.
// Example: HW 100; Append of batches with 3 and 2 records -> offsets 100..102
// and 103..104, next_offset() = 105; after a seal the HW is 105.
//
// Thread-safe; calls that seal block on the object store and metadata, so the
// agent makes them from a worker thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "records/record_batch.h"
#include "storage/segment_format.h"

namespace sh::storage {

class SegmentIndex;

struct PartitionWriterOptions {
  int64_t segment_bytes = 64ll << 20;
  int64_t segment_ms = 7ll * 24 * 3600 * 1000;
  BlockCodec codec = BlockCodec::kLz4;
  size_t block_bytes = kDefaultBlockBytes;
  // The append that fills the tail seals it. Off when appends run on a thread
  // that must not wait for an upload (the broker's WAL flusher: one seal there
  // would delay every partition's acknowledgements); MaybeRoll() then seals.
  bool seal_on_append = true;
};

struct AppendResult {
  int64_t base_offset = 0;  // offset of the first record appended
  int64_t last_offset = 0;  // offset of the last record appended
};

class PartitionWriter {
 public:
  // index may be null. leader_epoch goes with every metadata write (fencing).
  static Result<std::unique_ptr<PartitionWriter>> Open(std::string topic, int32_t partition,
                                                       ObjectStore& store,
                                                       MetadataStore& metadata,
                                                       SegmentIndex* index, const Clock& clock,
                                                       PartitionWriterOptions options,
                                                       int64_t leader_epoch = 0);

  // Validates every batch in batches (one or more v2 batches back to back:
  // CRC, lengths, magic) and appends them with offsets assigned. Corruption /
  // InvalidArgument and nothing appended if any batch is bad. A seal triggered
  // by size that fails does not fail the append: MaybeRoll()/Flush() retry it.
  Result<AppendResult> Append(ByteView batches);

  // Seals the tail if it holds segment_bytes or segment_ms has passed since
  // its first batch.
  Status MaybeRoll();
  // Seals everything in the tail now (retrying an earlier failed seal first).
  Status Flush();

  // Whole batches from the tail, starting with the one holding offset, up to
  // max_bytes (always at least one batch if any is there). Empty if offset is
  // at or past next_offset() or below the tail.
  Bytes ReadTail(int64_t offset, size_t max_bytes) const;

  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }
  int64_t next_offset() const;
  // End of the sealed, registered log: every offset below it is in a segment.
  int64_t high_watermark() const;
  // First offset held in the tail (== high_watermark() unless a seal is pending).
  int64_t tail_start() const;
  size_t tail_bytes() const;

 private:
  struct TailBatch {
    int64_t base_offset;
    int64_t last_offset;
    std::shared_ptr<const Bytes> bytes;  // shared with a seal in progress
  };
  struct PendingSegment {
    SegmentInfo info;
    Bytes object;
    size_t batch_count;  // how many tail batches it holds
  };

  PartitionWriter(std::string topic, int32_t partition, ObjectStore& store,
                  MetadataStore& metadata, SegmentIndex* index, const Clock& clock,
                  PartitionWriterOptions options, int64_t leader_epoch, int64_t start_offset);

  // One seal step: builds (if needed), uploads and registers the oldest
  // segment's worth of the tail. REQUIRES seal_mu_ held, mu_ not held.
  Status SealOnce();
  bool RollDue() const;  // REQUIRES mu_ held
  Status RollLocked();    // REQUIRES seal_mu_ held
  AppendResult AppendLocked(const std::vector<records::RecordBatchView>& views,
                            std::vector<std::shared_ptr<Bytes>>& copies);  // REQUIRES mu_

  const std::string topic_;
  const int32_t partition_;
  ObjectStore& store_;
  MetadataStore& metadata_;
  SegmentIndex* const index_;
  const Clock& clock_;
  const PartitionWriterOptions options_;
  const int64_t leader_epoch_;

  std::mutex seal_mu_;  // one seal at a time; taken before mu_, never inside it
  mutable std::mutex mu_;
  std::deque<TailBatch> tail_;
  size_t tail_bytes_ = 0;
  int64_t tail_first_append_ms_ = 0;
  int64_t next_offset_;
  int64_t high_watermark_;
  std::optional<PendingSegment> pending_;  // guarded by seal_mu_
};

}  // namespace sh::storage
