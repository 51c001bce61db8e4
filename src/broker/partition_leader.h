// PartitionLeader: one partition this agent leads (DESIGN §6, §7, §8).
//
// Holds the partition's lease (epoch), its PartitionWriter (in-memory tail +
// seals), its SegmentIndex and a PartitionReader over the shared SegmentCache.
//
// Offsets, with the tail not yet sealed (writer tail_start 100, next 130):
//
//   log_start 40   sealed segments [40, 100)   tail [100, 130)   HW = 130
//   Fetch(50)  -> PartitionReader from the segment holding 50, then the tail
//   Fetch(120) -> the tail batch holding 120 and after
//   Fetch(130) -> empty;  Fetch(131), Fetch(39) -> OutOfRange
//
// The high watermark is the writer's next_offset(): a record is visible as
// soon as it is in the tail (see broker.h on durability before the WAL).
// The log start offset is kept in memory (loaded at open, raised by
// DeleteRecords and retention, which this leader performs itself).
//
// Thread-safe. Methods block on the metadata and object stores.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "broker/broker.h"
#include "broker/topic_settings.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "records/record_batch.h"
#include "storage/partition_reader.h"
#include "storage/partition_writer.h"
#include "storage/segment_cache.h"
#include "storage/segment_index.h"

namespace sh::broker {

class PartitionLeader {
 public:
  // Acquires the lease for options.agent_id (Fenced if another agent holds
  // it), then opens the writer at the partition's high watermark.
  static Result<std::unique_ptr<PartitionLeader>> Open(const std::string& topic, int32_t partition,
                                                       const BrokerOptions& options,
                                                       const TopicSettings& settings,
                                                       MetadataStore& metadata, ObjectStore& store,
                                                       storage::SegmentCache& cache,
                                                       const Clock& clock);

  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }
  int64_t leader_epoch() const { return epoch_; }

  // Checks and appends producer batches (see Broker::Produce).
  Result<ProduceResult> Produce(ByteView records, const TopicSettings& settings);
  Result<FetchResult> Fetch(int64_t offset, size_t max_bytes);
  Result<PartitionOffsets> Offsets() const;
  Result<std::optional<std::pair<int64_t, int64_t>>> OffsetForTimestamp(int64_t timestamp_ms);
  Result<std::optional<std::pair<int64_t, int64_t>>> OffsetOfMaxTimestamp();
  Result<int64_t> DeleteRecords(int64_t offset);

  // Background work, each safe to call at any time:
  // Seals the tail at segment.ms, or when it has been non-empty for flush_ms.
  Status Roll(int64_t flush_ms);
  // Deletes whole segments past retention.ms / retention.bytes.
  Status ApplyRetention(const TopicSettings& settings);
  // Renews the lease if a third of lease_ms has passed since the last renewal.
  Status MaybeRenewLease();
  // Reopens the writer with new segment settings (after a Flush) if they differ.
  Status Reconfigure(const TopicSettings& settings);
  // Seals everything in the tail.
  Status Flush();
  // Hands the partition back: seals the tail, then stops serving (later calls
  // fail with Unavailable, and retired() is true: the caller opens a new
  // leader) and releases the lease. If the seal fails nothing changes.
  Status Retire();
  bool retired() const { return retired_.load(); }
  // Stops serving: later calls fail with NotFound. The tail is dropped
  // (the topic is being deleted).
  void Close();
  // True once a lease renewal was Fenced: another agent leads the partition.
  bool fenced() const { return fenced_.load(); }

 private:
  PartitionLeader(std::string topic, int32_t partition, const BrokerOptions& options,
                  MetadataStore& metadata, ObjectStore& store, storage::SegmentCache& cache,
                  const Clock& clock, const PartitionLease& lease, int64_t log_start);

  // Sealed batches from offset (PartitionReader) continued into the tail, or
  // the tail alone. REQUIRES writer_mu_ held (shared).
  Result<Bytes> ReadLocked(int64_t offset, size_t max_bytes);
  Status CheckOpenLocked() const;
  Status CheckLease();
  // Raises the log start to offset and deletes the segments wholly below it.
  Status RemoveBelow(int64_t offset);
  // Calls visit(batch, from) for each batch holding offsets in [from, limit),
  // sealed or in the tail, in order, until it returns true. `from` passed to
  // visit is the first offset of interest in that batch.
  using BatchVisitor =
      std::function<Result<bool>(const records::RecordBatchView& batch, int64_t from)>;
  Status ForEachBatch(int64_t from, int64_t limit, const BatchVisitor& visit);
  Result<std::optional<std::pair<int64_t, int64_t>>> ScanSegment(const SegmentInfo& segment,
                                                                 int64_t from, int64_t ts);

  const std::string topic_;
  const int32_t partition_;
  const BrokerOptions& options_;
  MetadataStore& metadata_;
  ObjectStore& store_;
  storage::SegmentCache& cache_;
  const Clock& clock_;
  const int64_t epoch_;

  storage::SegmentIndex index_;
  storage::PartitionReader reader_;

  // Shared by every use of writer_; exclusive to replace it or to close.
  mutable std::shared_mutex writer_mu_;
  std::unique_ptr<storage::PartitionWriter> writer_;
  storage::PartitionWriterOptions writer_options_;
  bool closed_ = false;
  std::atomic<bool> retired_{false};

  std::mutex log_start_mu_;  // serializes raising the log start
  std::atomic<int64_t> log_start_;

  std::mutex lease_mu_;
  int64_t lease_renewed_ms_;
  int64_t lease_expires_ms_;
  std::atomic<bool> fenced_{false};

  // When the tail became non-empty (-1: empty, as far as we know): Roll()
  // seals a tail older than flush_ms.
  std::atomic<int64_t> tail_since_ms_{-1};
};

}  // namespace sh::broker
