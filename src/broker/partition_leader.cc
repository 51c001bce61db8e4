#include "broker/partition_leader.h"

#include <algorithm>

#include "base/log.h"
#include "records/record_batch.h"
#include "storage/retention.h"
#include "storage/time_query.h"

namespace sh::broker {
namespace {

std::string TP(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

bool SameWriterOptions(const storage::PartitionWriterOptions& a,
                       const storage::PartitionWriterOptions& b) {
  return a.segment_bytes == b.segment_bytes && a.segment_ms == b.segment_ms && a.codec == b.codec &&
         a.block_bytes == b.block_bytes;
}

// Appends whole batches of `more` to out while out stays within max_bytes
// (the first batch always goes in when out is empty, so a consumer moves on).
void AppendWholeBatches(Bytes& out, const Bytes& more, size_t max_bytes) {
  ByteView rest(more);
  while (!rest.empty()) {
    size_t size = records::PeekBatchSize(rest);
    if (size == 0 || size > rest.size()) break;
    if (!out.empty() && out.size() + size > max_bytes) break;
    out.insert(out.end(), rest.begin(), rest.begin() + static_cast<ptrdiff_t>(size));
    rest = rest.subspan(size);
  }
}

}  // namespace

cluster::LeaseTimings EffectiveLeaseTimings(const BrokerOptions& options) {
  cluster::LeaseTimings t;
  t.lease_ms = options.lease_ms;
  t.safety_margin_ms = options.lease_safety_margin_ms;
  if (!options.cluster_mode) t.safety_margin_ms = std::min(t.safety_margin_ms, t.lease_ms / 3);
  return t;
}

Result<std::unique_ptr<PartitionLeader>> PartitionLeader::Open(
    const std::string& topic, int32_t partition, const BrokerOptions& options,
    const TopicSettings& settings, MetadataStore& metadata, ObjectStore& store,
    storage::SegmentCache& cache, const Clock& clock, WalContext wal) {
  int64_t request_start = MonotonicMs(clock);
  SH_ASSIGN_OR_RETURN(
      PartitionLease lease,
      metadata.AcquireLease(topic, partition, options.agent_id, clock.NowMs(), options.lease_ms));
  return OpenLeased(topic, partition, options, settings, metadata, store, cache, clock,
                    std::move(wal), lease, request_start);
}

Result<std::unique_ptr<PartitionLeader>> PartitionLeader::OpenLeased(
    const std::string& topic, int32_t partition, const BrokerOptions& options,
    const TopicSettings& settings, MetadataStore& metadata, ObjectStore& store,
    storage::SegmentCache& cache, const Clock& clock, WalContext wal, const PartitionLease& lease,
    int64_t request_start_ms) {
  SH_ASSIGN_OR_RETURN(PartitionInfo info, metadata.GetPartition(topic, partition));
  std::unique_ptr<PartitionLeader> leader(
      new PartitionLeader(topic, partition, options, metadata, store, cache, clock, lease,
                          request_start_ms, info.log_start_offset, wal));
  leader->writer_options_ = settings.WriterOptions(options.block_bytes);
  SH_ASSIGN_OR_RETURN(leader->writer_, storage::PartitionWriter::Open(
                                           topic, partition, store, metadata, &leader->index_,
                                           clock, leader->writer_options_, lease.leader_epoch));
  leader->next_offset_ = leader->writer_->next_offset();
  leader->snapshot_sealed_end_ = leader->writer_->high_watermark();
  // Producer state as of the last seal; Recover() replays the WAL above it.
  SH_ASSIGN_OR_RETURN(std::vector<ProducerState> states,
                      metadata.LoadProducerStates(topic, partition));
  SH_RETURN_IF_ERROR(
      leader->producers_.Restore(states).WithContext("producer state of " + TP(topic, partition)));
  SH_RETURN_IF_ERROR(leader->durable_producers_.Restore(states));
  SH_LOG(INFO) << "leading " << TP(topic, partition) << " at epoch " << lease.leader_epoch
               << ", offsets " << info.log_start_offset << ".." << leader->writer_->next_offset();
  return leader;
}

PartitionLeader::PartitionLeader(std::string topic, int32_t partition, const BrokerOptions& options,
                                 MetadataStore& metadata, ObjectStore& store,
                                 storage::SegmentCache& cache, const Clock& clock,
                                 const PartitionLease& lease, int64_t request_start_ms,
                                 int64_t log_start, WalContext wal)
    : topic_(std::move(topic)),
      partition_(partition),
      options_(options),
      metadata_(metadata),
      store_(store),
      cache_(cache),
      clock_(clock),
      wal_(std::move(wal)),
      lease_(topic_, partition_, options.agent_id, lease, request_start_ms,
             EffectiveLeaseTimings(options), metadata, clock),
      index_(topic_, partition_, metadata, clock,
             storage::SegmentIndexOptions{.ttl_ms = options.index_ttl_ms}),
      reader_(topic_, partition_, store, index_, cache),
      log_start_(log_start),
      producers_(options.producer_id_expiration_ms),
      durable_producers_(options.producer_id_expiration_ms) {}

Status PartitionLeader::CheckOpenLocked() const {
  if (retired_) {
    // Embedded mode opens a new leader on the next call; in cluster mode
    // another agent leads now (NOT_LEADER_OR_FOLLOWER: the client refreshes).
    std::string what = "leadership of " + TP(topic_, partition_) + " was handed back";
    SubCode sub = SubCode::kLeadershipHandedBack;
    if (options_.cluster_mode) return {ErrorCode::kFenced, sub, what + "; not led by this agent"};
    return {ErrorCode::kUnavailable, sub, what + "; try again"};
  }
  if (closed_) return Status::NotFound("partition " + TP(topic_, partition_) + " was deleted");
  return Status::OK();
}

Status PartitionLeader::CheckLease() {
  SH_ASSIGN_OR_RETURN(bool renewed, lease_.CheckOrRenew());
  if (renewed) ApplyHeld();
  return Status::OK();
}

Status PartitionLeader::MaybeRenewLease() {
  SH_ASSIGN_OR_RETURN(bool renewed, lease_.MaybeRenew());
  if (renewed) ApplyHeld();
  return Status::OK();
}

Result<Bytes> PartitionLeader::ReadLocked(int64_t offset, size_t max_bytes) {
  // A seal may move batches from the tail into a segment while we look; then
  // the tail no longer has them and a second look finds them sealed.
  for (int attempt = 0; attempt < 3; ++attempt) {
    int64_t tail_start = writer_->tail_start();
    Bytes out;
    int64_t next = offset;
    if (offset < tail_start) {
      Result<storage::ReadResult> sealed = reader_.Read(offset, max_bytes);
      if (!sealed.ok()) {
        if (sealed.status().code() != ErrorCode::kNotFound) return sealed.status();
        return Status::OutOfRange("offset " + std::to_string(offset) + " of " +
                                  TP(topic_, partition_) + " is in no sealed segment (log start " +
                                  std::to_string(log_start_.load()) + ")");
      }
      out = std::move(sealed->batches);
      next = sealed->next_offset;
      // Stopped short of the tail: max_bytes was reached.
      if (out.size() >= max_bytes || next < tail_start) return out;
    }
    size_t budget = out.empty() ? max_bytes : max_bytes - out.size();
    AppendWholeBatches(out, writer_->ReadTail(next, budget), max_bytes);
    if (!out.empty() || next >= writer_->next_offset()) return out;
  }
  return Status::Unavailable("read of " + TP(topic_, partition_) + " at " + std::to_string(offset) +
                             " raced with seals; try again");
}

Result<FetchResult> PartitionLeader::Fetch(int64_t offset, size_t max_bytes) {
  std::shared_lock lock(writer_mu_);
  SH_RETURN_IF_ERROR(CheckOpenLocked());
  FetchResult result;
  result.high_watermark = writer_->next_offset();
  result.log_start_offset = log_start_.load();
  if (offset < result.log_start_offset || offset > result.high_watermark) {
    return Status::OutOfRange("fetch offset " + std::to_string(offset) + " of " +
                              TP(topic_, partition_) + " is outside [" +
                              std::to_string(result.log_start_offset) + ", " +
                              std::to_string(result.high_watermark) + "]");
  }
  if (offset == result.high_watermark) return result;
  SH_ASSIGN_OR_RETURN(result.batches, ReadLocked(offset, max_bytes));
  return result;
}

Result<PartitionOffsets> PartitionLeader::Offsets() const {
  std::shared_lock lock(writer_mu_);
  SH_RETURN_IF_ERROR(CheckOpenLocked());
  return PartitionOffsets{log_start_.load(), writer_->next_offset()};
}

storage::LogSource PartitionLeader::LogReader() {
  return [this](int64_t offset, size_t max_bytes) -> Result<Bytes> {
    std::shared_lock lock(writer_mu_);
    SH_RETURN_IF_ERROR(CheckOpenLocked());
    if (offset >= writer_->next_offset()) return Bytes();
    return ReadLocked(offset, max_bytes);
  };
}

Result<std::optional<std::pair<int64_t, int64_t>>> PartitionLeader::OffsetForTimestamp(
    int64_t timestamp_ms) {
  int64_t start = log_start_.load();
  SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                      metadata_.ListSegments(topic_, partition_, start));
  return storage::FindOffsetForTimestamp(reader_, segments, start, timestamp_ms, LogReader());
}

Result<std::optional<std::pair<int64_t, int64_t>>> PartitionLeader::OffsetOfMaxTimestamp() {
  int64_t start = log_start_.load();
  SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                      metadata_.ListSegments(topic_, partition_, start));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> max,
                      storage::FindMaxTimestamp(segments, start, LogReader()));
  // Then the first record with it.
  if (!max) return std::optional<std::pair<int64_t, int64_t>>();
  return OffsetForTimestamp(*max);
}

Result<int64_t> PartitionLeader::DeleteRecords(int64_t offset) {
  {
    std::shared_lock lock(writer_mu_);
    SH_RETURN_IF_ERROR(CheckOpenLocked());
    int64_t hw = writer_->next_offset();
    if (offset == -1) offset = hw;
    if (offset < 0 || offset > hw) {
      return Status::OutOfRange("delete records of " + TP(topic_, partition_) + " before " +
                                std::to_string(offset) + ": high watermark is " +
                                std::to_string(hw));
    }
    // The metadata store keeps the log start at or below its (sealed) high
    // watermark, so a log start inside the tail needs the tail sealed first.
    if (offset > writer_->high_watermark()) SH_RETURN_IF_ERROR(writer_->Flush());
  }
  SH_RETURN_IF_ERROR(RemoveBelow(offset));
  return log_start_.load();
}

Status PartitionLeader::RemoveBelow(int64_t offset) {
  std::lock_guard lock(log_start_mu_);
  if (offset > log_start_.load()) {
    // The log start goes up first: from then on no fetch reads the segments
    // about to go, so deleting their objects cannot fail a reader.
    SH_RETURN_IF_ERROR(metadata_.UpdateLogStartOffset(topic_, partition_, offset));
    log_start_.store(offset);
  }
  int64_t start = log_start_.load();
  SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> removed,
                      metadata_.DeleteSegmentsBefore(topic_, partition_, start));
  index_.RemoveBefore(start);
  for (const SegmentInfo& segment : removed) {
    cache_.Erase(segment.object_key);
    Status deleted = store_.Delete(segment.object_key);
    if (!deleted.ok()) {
      // The row is gone, so nothing reads the object; it is only space.
      SH_LOG(WARN) << "could not delete segment object " << segment.object_key << ": "
                   << deleted.ToString();
    }
  }
  if (!removed.empty()) {
    SH_LOG(INFO) << TP(topic_, partition_) << ": deleted " << removed.size()
                 << " segment(s), log start " << start;
  }
  return Status::OK();
}

Status PartitionLeader::ApplyRetention(const TopicSettings& settings) {
  if (!settings.retention_enabled) return Status::OK();
  int64_t start = log_start_.load();
  int64_t cut = start;
  if (settings.retention_ms >= 0 || settings.retention_bytes >= 0) {
    SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                        metadata_.ListSegments(topic_, partition_, start));
    cut = storage::ComputeRetention(segments, start, clock_.NowMs(),
                                    {settings.retention_ms, settings.retention_bytes})
              .log_start;
  }
  // Also clears rows left below the log start by an earlier failed attempt.
  return RemoveBelow(cut);
}

Status PartitionLeader::Roll(int64_t flush_ms) {
  std::shared_lock lock(writer_mu_);
  if (closed_) return Status::OK();
  SH_RETURN_IF_ERROR(writer_->MaybeRoll());
  int64_t since = tail_since_ms_.load();
  int64_t now = clock_.NowMs();
  if (since < 0 || now - since < flush_ms) return Status::OK();
  SH_RETURN_IF_ERROR(writer_->Flush());
  // A produce that appended after the flush either set the mark itself (it
  // saw -1) or is caught by the tail_bytes() check below.
  tail_since_ms_.compare_exchange_strong(since, -1);
  if (writer_->tail_bytes() > 0) {
    int64_t unset = -1;
    tail_since_ms_.compare_exchange_strong(unset, now);
  }
  return Status::OK();
}

void PartitionLeader::MaybeSaveProducerState() {
  std::vector<ProducerState> states;
  {
    std::lock_guard lock(append_mu_);
    int64_t sealed;
    {
      std::shared_lock wlock(writer_mu_);
      if (closed_) return;
      sealed = writer_->high_watermark();
    }
    if (sealed == snapshot_sealed_end_) return;
    snapshot_sealed_end_ = sealed;
    int64_t now = clock_.NowMs();
    producers_.ExpireIdle(now);
    durable_producers_.ExpireIdle(now);
    states = durable_producers_.Snapshot(topic_, partition_);
  }
  if (states.empty()) return;
  // Only durable batches are in it, so a restart never takes a batch that
  // was lost with the process for a duplicate.
  Status saved = metadata_.SaveProducerStates(states, lease_.epoch());
  if (!saved.ok()) {
    SH_LOG(WARN) << "saving producer state of " << TP(topic_, partition_) << ": "
                 << saved.ToString();
    std::lock_guard lock(append_mu_);
    snapshot_sealed_end_ = -1;  // try again after the next roll
  }
}

Status PartitionLeader::Reconfigure(const TopicSettings& settings) {
  storage::PartitionWriterOptions want = settings.WriterOptions(options_.block_bytes);
  {
    std::shared_lock lock(writer_mu_);
    if (closed_ || SameWriterOptions(want, writer_options_)) return Status::OK();
  }
  std::unique_lock lock(writer_mu_);
  if (closed_ || SameWriterOptions(want, writer_options_)) return Status::OK();
  SH_RETURN_IF_ERROR(writer_->Flush());
  SH_ASSIGN_OR_RETURN(std::unique_ptr<storage::PartitionWriter> fresh,
                      storage::PartitionWriter::Open(topic_, partition_, store_, metadata_, &index_,
                                                     clock_, want, lease_.epoch()));
  if (fresh->next_offset() != writer_->next_offset()) {
    return Status::Internal("reopening the writer of " + TP(topic_, partition_) + " found HW " +
                            std::to_string(fresh->next_offset()) + ", expected " +
                            std::to_string(writer_->next_offset()));
  }
  writer_ = std::move(fresh);
  writer_options_ = want;
  return Status::OK();
}

Status PartitionLeader::Flush() {
  std::shared_lock lock(writer_mu_);
  if (closed_) return Status::OK();
  return writer_->Flush();
}

Status PartitionLeader::Retire(int64_t wait_ms) {
  {
    // Refuse new produces, then wait for those in flight to become durable
    // (their records must be in the tail before it is sealed: a later
    // leader starts at the sealed end).
    std::unique_lock lock(append_mu_);
    retiring_ = true;
    bool drained = drained_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] {
      return in_flight_.empty() || needs_reappend_ || HeldLocked();
    });
    if (!drained || needs_reappend_ || HeldLocked()) {
      retiring_ = false;
      return Status::Unavailable("cannot hand back " + TP(topic_, partition_) + ": " +
                                 std::to_string(in_flight_.size()) +
                                 (HeldLocked() ? " WAL entries are held until the lease is renewed"
                                               : " produce request(s) still wait for the WAL"));
    }
  }
  {
    // Exclusive: no append can slip in between the seal and the close.
    std::unique_lock lock(writer_mu_);
    if (closed_) return Status::OK();
    Status sealed = writer_->Flush();
    if (!sealed.ok()) {
      lock.unlock();
      std::lock_guard append_lock(append_mu_);
      retiring_ = false;
      return sealed;
    }
  }
  MaybeSaveProducerState();
  {
    std::unique_lock lock(writer_mu_);
    closed_ = true;
    retired_ = true;
  }
  Status released = lease_.Release();
  if (!released.ok()) {
    // It expires by itself after lease_ms.
    SH_LOG(WARN) << "release of the lease on " << TP(topic_, partition_) << ": "
                 << released.ToString();
  }
  return Status::OK();
}

void PartitionLeader::Close() {
  std::unique_lock lock(writer_mu_);
  closed_ = true;
}

}  // namespace sh::broker
