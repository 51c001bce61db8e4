// PartitionLeader: one partition this agent leads (docs/design.md §6, §7, §8).
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
// Produce (partition_leader_produce.cc, docs/durability.md): offsets are
// assigned at once (next_offset_, ahead of the writer), the batches go to the
// WAL, and only when their WAL object is durable are they appended to the
// writer's tail. So the writer holds durable records only, and the high
// watermark, the writer's next_offset(), never passes an un-durable record:
//
//   writer: sealed [40, 100)  tail [100, 130)   in flight (WAL) [130, 160)
//   HW = 130, next offset to assign = 160
//
// A failed WAL write answers its requests with the error and keeps the
// entries (with their offsets and bytes); Reappend() writes them again,
// unchanged, so that a WAL object which was reported failed but landed
// anyway agrees with the retry (docs/formats/wal.md).
// Lease safety (LeaderLease, broker/partition_lease.h): durable entries move
// into the tail (become visible and are acknowledged) only while the lease
// allows writes (now < the local lease deadline). Past it, durable
// entries are held in in_flight_ (their producers hear Fenced) and the leader
// serves nothing until a renewal succeeds; then the held entries move into
// the tail (visible, never acknowledged: like a produce that timed out yet
// was written). If the renewal is Fenced they never become visible here; the
// next leader may recover them from the WAL below its epoch start.
// The log start offset is kept in memory (loaded at open, raised by
// DeleteRecords and retention, which this leader performs itself). The
// timestamp search and the retention decision are storage's
// (storage/time_query.h, storage/retention.h): the leader lists the
// segments, calls them, and removes what retention gives up.
//
// Thread-safe. Methods block on the metadata and object stores.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
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
#include "broker/broker_types.h"
#include "broker/partition_lease.h"
#include "broker/producer_state.h"
#include "broker/topic_settings.h"
#include "cluster/lease_safety.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "records/record_batch.h"
#include "storage/partition_reader.h"
#include "storage/partition_writer.h"
#include "storage/segment_cache.h"
#include "storage/segment_index.h"
#include "storage/time_query.h"
#include "wal/wal_recovery.h"
#include "wal/wal_writer.h"

namespace sh::broker {

// What a leader shares with the broker for its produce path.
struct WalContext {
  wal::WalWriter* wal = nullptr;
  // WAL entries appended whose callback has not finished (all leaders).
  std::atomic<int64_t>* in_flight = nullptr;
  // Called (not under any lock) after the high watermark moved.
  std::function<void(const std::string& topic, int32_t partition)> notify;
};

// The lease timings a leader applies: lease_ms and lease_safety_margin_ms as
// configured in cluster mode (Broker::Open validates them); in embedded mode
// the margin is capped at a third of lease_ms, so that any lease.ms the agent
// accepts keeps working as before.
cluster::LeaseTimings EffectiveLeaseTimings(const BrokerOptions& options);

class PartitionLeader : public std::enable_shared_from_this<PartitionLeader> {
 public:
  // Acquires the lease for options.agent_id (Fenced if another agent holds
  // it), then opens the writer at the partition's high watermark.
  static Result<std::unique_ptr<PartitionLeader>> Open(const std::string& topic, int32_t partition,
                                                       const BrokerOptions& options,
                                                       const TopicSettings& settings,
                                                       MetadataStore& metadata, ObjectStore& store,
                                                       storage::SegmentCache& cache,
                                                       const Clock& clock, WalContext wal);
  // As Open, with a lease the caller acquired; request_start_ms is the
  // monotonic time (MonotonicMs) read just before the AcquireLease call.
  static Result<std::unique_ptr<PartitionLeader>> OpenLeased(
      const std::string& topic, int32_t partition, const BrokerOptions& options,
      const TopicSettings& settings, MetadataStore& metadata, ObjectStore& store,
      storage::SegmentCache& cache, const Clock& clock, WalContext wal, const PartitionLease& lease,
      int64_t request_start_ms);

  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }
  int64_t leader_epoch() const { return lease_.epoch(); }

  // Checks producer batches, assigns offsets and appends them to the WAL;
  // done runs when they are durable (see Broker::ProduceAsync). Must be
  // handed to a shared_ptr (shared_from_this).
  void ProduceAsync(ByteView records, const TopicSettings& settings, ProduceCallback done);
  // Start-up: appends the batches recovered from the WAL to the tail (they
  // must start at the writer's next offset) and replays their producer
  // state. REQUIRES: nothing produced yet.
  Status Recover(const wal::RecoveredPartition& recovered);
  // After a failed WAL write (and WalWriter::Resume()): appends the failed
  // entries again, unchanged and in order. OK if there was nothing to do.
  Status Reappend();
  bool needs_reappend() const;
  Result<FetchResult> Fetch(int64_t offset, size_t max_bytes);
  Result<PartitionOffsets> Offsets() const;
  Result<std::optional<std::pair<int64_t, int64_t>>> OffsetForTimestamp(int64_t timestamp_ms);
  Result<std::optional<std::pair<int64_t, int64_t>>> OffsetOfMaxTimestamp();
  Result<int64_t> DeleteRecords(int64_t offset);

  // Background work, each safe to call at any time:
  // Seals the tail at segment.ms, or when it has been non-empty for flush_ms.
  Status Roll(int64_t flush_ms);
  // Deletes whole segments past retention.ms / retention.bytes
  // (storage::ComputeRetention decides which).
  Status ApplyRetention(const TopicSettings& settings);
  // Renews the lease if a third of lease_ms has passed since the last renewal.
  Status MaybeRenewLease();
  // OK while the local lease deadline has not passed; past it, renews now
  // (entries held meanwhile then become visible). Fenced if the lease is
  // lost or cannot be renewed: the leader serves nothing until it is.
  Status CheckLease();
  // True while now < the local lease deadline.
  bool LeaseAllowsWrites() const { return lease_.AllowsWrites(); }
  // The local lease deadline (monotonic ms, MonotonicMs); INT64_MIN once fenced.
  int64_t lease_deadline_ms() const { return lease_.deadline_ms(); }
  // Reopens the writer with new segment settings (after a Flush) if they differ.
  Status Reconfigure(const TopicSettings& settings);
  // Seals everything in the tail.
  Status Flush();
  // Saves the durable producer state (MetadataStore::SaveProducerStates)
  // if a seal moved the sealed end since the last save.
  void MaybeSaveProducerState();
  // Hands the partition back: waits (up to wait_ms) for its WAL entries in
  // flight, seals the tail, then stops serving (later calls fail with
  // Unavailable, Fenced in cluster mode, and retired() is true: the caller
  // opens a new leader) and releases the lease. If the seal fails, or
  // durable entries are held past the lease deadline (Unavailable), nothing
  // changes. Produces arriving meanwhile are refused (Fenced in cluster mode).
  Status Retire(int64_t wait_ms = 15'000);
  bool retired() const { return retired_.load(); }
  // Stops serving: later calls fail with NotFound. The tail is dropped
  // (the topic is being deleted).
  void Close();
  // True once a lease renewal was Fenced: another agent leads the partition.
  bool fenced() const { return lease_.fenced(); }

 private:
  PartitionLeader(std::string topic, int32_t partition, const BrokerOptions& options,
                  MetadataStore& metadata, ObjectStore& store, storage::SegmentCache& cache,
                  const Clock& clock, const PartitionLease& lease, int64_t request_start_ms,
                  int64_t log_start, WalContext wal);

  // One produce request's batches between offset assignment and durability.
  struct InFlight {
    enum class State { kInFlight, kDurable, kFailed };
    State state = State::kInFlight;
    wal::WalEntry entry;  // offsets assigned; also the tail's bytes
    std::vector<std::pair<ProducerBatchHeader, std::pair<int64_t, int64_t>>> producers;
    ProduceResult result;
    ProduceCallback done;  // empty once answered
  };
  // A duplicate of a batch not yet durable, answered when it is.
  struct DuplicateWaiter {
    int64_t last_offset;
    ProduceResult result;
    ProduceCallback done;
  };
  using Answers = std::vector<std::pair<ProduceCallback, Result<ProduceResult>>>;

  // Assigns offsets and queues the WAL entry. REQUIRES append_mu_ held.
  Status AppendLocked(const std::vector<records::RecordBatchView>& views, ByteView bytes,
                      const std::vector<ProducerBatchHeader>& headers, ProduceResult result,
                      ProduceCallback& done);  // moved from only on success
  Status QueueEntryLocked(const std::shared_ptr<InFlight>& entry);
  // The WAL callback of entry.
  void OnWalDone(const std::shared_ptr<InFlight>& entry, Status status);
  // Moves durable entries at the front of in_flight_ into the writer's tail
  // if the lease allows (else answers them Fenced and keeps them). Returns
  // true if the high watermark moved. REQUIRES append_mu_ held.
  bool ApplyDurableLocked(Answers& answers);
  // Answers the durable entries not yet answered, and the duplicates waiting
  // for them, with Fenced: the lease deadline passed. REQUIRES append_mu_ held.
  void RefuseDurableLocked(Answers& answers);
  // After a renewal: moves entries held past the deadline into the tail.
  void ApplyHeld();
  // True if a durable entry waits at the front of in_flight_ (held past the
  // lease deadline). REQUIRES append_mu_ held.
  bool HeldLocked() const;

  // Sealed batches from offset (PartitionReader) continued into the tail, or
  // the tail alone. REQUIRES writer_mu_ held (shared).
  Result<Bytes> ReadLocked(int64_t offset, size_t max_bytes);
  Status CheckOpenLocked() const;
  // Raises the log start to offset and deletes the segments wholly below it.
  Status RemoveBelow(int64_t offset);
  // The log as a fetch reads it (ReadLocked, taking writer_mu_), for the
  // timestamp search (storage/time_query.h).
  storage::LogSource LogReader();

  const std::string topic_;
  const int32_t partition_;
  const BrokerOptions& options_;
  MetadataStore& metadata_;
  ObjectStore& store_;
  storage::SegmentCache& cache_;
  const Clock& clock_;
  const WalContext wal_;
  LeaderLease lease_;

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

  // The produce path. append_mu_ is taken before writer_mu_, never after.
  mutable std::mutex append_mu_;
  std::condition_variable drained_cv_;               // in_flight_ became empty
  std::deque<std::shared_ptr<InFlight>> in_flight_;  // in offset order
  int64_t next_offset_ = 0;                          // next offset to assign
  bool needs_reappend_ = false;                      // some entry is kFailed
  bool retiring_ = false;                            // Retire() started: refuse produces
  ProducerStateTable producers_;                     // checked and committed at offset assignment
  ProducerStateTable durable_producers_;             // only batches that are durable (snapshots)
  std::vector<DuplicateWaiter> duplicate_waiters_;
  int64_t snapshot_sealed_end_ = -1;  // sealed end at the last producer-state save

  // When the tail became non-empty (-1: empty, as far as we know): Roll()
  // seals a tail older than flush_ms.
  std::atomic<int64_t> tail_since_ms_{-1};
};

}  // namespace sh::broker
