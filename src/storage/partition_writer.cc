#include "storage/partition_writer.h"

#include <algorithm>

#include "base/log.h"
#include "records/record_batch.h"
#include "storage/segment_builder.h"
#include "storage/segment_index.h"

namespace sh::storage {

Result<std::unique_ptr<PartitionWriter>> PartitionWriter::Open(
    std::string topic, int32_t partition, ObjectStore& store, MetadataStore& metadata,
    SegmentIndex* index, const Clock& clock, PartitionWriterOptions options,
    int64_t leader_epoch) {
  SH_ASSIGN_OR_RETURN(PartitionInfo info, metadata.GetPartition(topic, partition));
  return std::unique_ptr<PartitionWriter>(new PartitionWriter(std::move(topic), partition, store,
                                                              metadata, index, clock, options,
                                                              leader_epoch, info.high_watermark));
}

PartitionWriter::PartitionWriter(std::string topic, int32_t partition, ObjectStore& store,
                                 MetadataStore& metadata, SegmentIndex* index, const Clock& clock,
                                 PartitionWriterOptions options, int64_t leader_epoch,
                                 int64_t start_offset)
    : topic_(std::move(topic)),
      partition_(partition),
      store_(store),
      metadata_(metadata),
      index_(index),
      clock_(clock),
      options_(options),
      leader_epoch_(leader_epoch),
      next_offset_(start_offset),
      high_watermark_(start_offset) {}

Result<AppendResult> PartitionWriter::Append(ByteView batches) {
  SH_ASSIGN_OR_RETURN(std::vector<records::RecordBatchView> views,
                      records::ParseBatches(batches));
  if (views.empty()) return Status::InvalidArgument("append to " + topic_ + "/" +
                                                    std::to_string(partition_) + ": no batches");
  std::lock_guard lock(mu_);
  AppendResult result{next_offset_, 0};
  if (tail_.empty()) tail_first_append_ms_ = clock_.NowMs();
  for (const records::RecordBatchView& view : views) {
    TailBatch batch{next_offset_, next_offset_ + view.last_offset_delta(),
                    Bytes(view.bytes().begin(), view.bytes().end())};
    records::SetBaseOffset(batch.bytes.data(), batch.base_offset);
    records::SetPartitionLeaderEpoch(batch.bytes.data(), static_cast<int32_t>(leader_epoch_));
    next_offset_ = batch.last_offset + 1;
    tail_bytes_ += batch.bytes.size();
    tail_.push_back(std::move(batch));
  }
  result.last_offset = next_offset_ - 1;
  if (static_cast<int64_t>(tail_bytes_) >= options_.segment_bytes) {
    last_seal_error_ = SealLocked();
    if (!last_seal_error_.ok()) {
      SH_LOG(WARN) << "seal of " << topic_ << "/" << partition_
                   << " failed, will retry: " << last_seal_error_.ToString();
    }
  }
  return result;
}

Status PartitionWriter::MaybeRoll() {
  std::lock_guard lock(mu_);
  if (!pending_ && tail_.empty()) return Status::OK();
  if (!pending_ && clock_.NowMs() - tail_first_append_ms_ < options_.segment_ms) {
    return Status::OK();
  }
  return SealLocked();
}

Status PartitionWriter::Flush() {
  std::lock_guard lock(mu_);
  while (pending_ || !tail_.empty()) SH_RETURN_IF_ERROR(SealLocked());
  return Status::OK();
}

Status PartitionWriter::BuildPendingLocked() {
  SegmentBuilder builder(tail_.front().base_offset, options_.codec, options_.block_bytes);
  size_t count = 0;
  size_t raw = 0;
  for (const TailBatch& batch : tail_) {
    if (count > 0 && static_cast<int64_t>(raw + batch.bytes.size()) > options_.segment_bytes) {
      break;
    }
    SH_RETURN_IF_ERROR(builder.Add(batch.bytes));
    raw += batch.bytes.size();
    ++count;
  }
  SegmentInfo info;
  info.topic = topic_;
  info.partition = partition_;
  info.base_offset = builder.base_offset();
  info.end_offset = builder.next_offset();
  info.record_count = static_cast<int64_t>(builder.record_count());
  info.min_timestamp_ms = builder.min_timestamp();
  info.max_timestamp_ms = builder.max_timestamp();
  info.object_key = SegmentObjectKey(topic_, partition_, info.base_offset);
  SH_ASSIGN_OR_RETURN(Bytes object, builder.Finish());
  info.size_bytes = static_cast<int64_t>(object.size());
  info.created_at_ms = clock_.NowMs();
  pending_ = PendingSegment{std::move(info), std::move(object), count};
  return Status::OK();
}

Status PartitionWriter::SealLocked() {
  if (!pending_) {
    if (tail_.empty()) return Status::OK();
    SH_RETURN_IF_ERROR(BuildPendingLocked());
  }
  const SegmentInfo& info = pending_->info;
  SH_RETURN_IF_ERROR(store_.Put(info.object_key, pending_->object)
                         .WithContext("upload of segment " + info.object_key));
  Status registered = metadata_.RegisterSegment(info, leader_epoch_);
  if (registered.code() == ErrorCode::kAlreadyExists) {
    // An earlier attempt registered it and then reported failure (a lost
    // reply): accept it only if it is the very segment we hold.
    SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> existing,
                        metadata_.ListSegments(topic_, partition_, info.base_offset));
    bool same = !existing.empty() && existing.front().base_offset == info.base_offset &&
                existing.front().end_offset == info.end_offset &&
                existing.front().object_key == info.object_key;
    if (!same) return registered.WithContext("registration of segment " + info.object_key);
  } else if (!registered.ok()) {
    return registered.WithContext("registration of segment " + info.object_key);
  }
  if (index_) index_->Add(info);
  high_watermark_ = info.end_offset;
  for (size_t i = 0; i < pending_->batch_count; ++i) {
    tail_bytes_ -= tail_.front().bytes.size();
    tail_.pop_front();
  }
  if (!tail_.empty()) tail_first_append_ms_ = clock_.NowMs();
  pending_.reset();
  last_seal_error_ = Status::OK();
  return Status::OK();
}

Bytes PartitionWriter::ReadTail(int64_t offset, size_t max_bytes) const {
  std::lock_guard lock(mu_);
  Bytes out;
  auto it = std::lower_bound(tail_.begin(), tail_.end(), offset,
                             [](const TailBatch& b, int64_t o) { return b.last_offset < o; });
  if (it == tail_.end() || offset < tail_.front().base_offset) return out;
  for (; it != tail_.end(); ++it) {
    if (!out.empty() && out.size() + it->bytes.size() > max_bytes) break;
    out.insert(out.end(), it->bytes.begin(), it->bytes.end());
  }
  return out;
}

int64_t PartitionWriter::next_offset() const {
  std::lock_guard lock(mu_);
  return next_offset_;
}

int64_t PartitionWriter::high_watermark() const {
  std::lock_guard lock(mu_);
  return high_watermark_;
}

int64_t PartitionWriter::tail_start() const {
  std::lock_guard lock(mu_);
  return tail_.empty() ? next_offset_ : tail_.front().base_offset;
}

size_t PartitionWriter::tail_bytes() const {
  std::lock_guard lock(mu_);
  return tail_bytes_;
}

}  // namespace sh::storage
