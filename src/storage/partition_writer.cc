#include "storage/partition_writer.h"

#include <algorithm>

#include "base/log.h"
#include "records/record_batch.h"
#include "storage/segment_builder.h"
#include "storage/segment_index.h"

namespace sh::storage {

Result<std::unique_ptr<PartitionWriter>> PartitionWriter::Open(
    std::string topic, int32_t partition, ObjectStore& store, MetadataStore& metadata,
    SegmentIndex* index, const Clock& clock, PartitionWriterOptions options, int64_t leader_epoch) {
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
  SH_ASSIGN_OR_RETURN(std::vector<records::RecordBatchView> views, records::ParseBatches(batches));
  if (views.empty())
    return Status::InvalidArgument("append to " + topic_ + "/" + std::to_string(partition_) +
                                   ": no batches");
  // Copies and offset edits happen before taking the lock.
  std::vector<std::shared_ptr<Bytes>> copies;
  copies.reserve(views.size());
  for (const records::RecordBatchView& view : views) {
    copies.push_back(std::make_shared<Bytes>(view.bytes().begin(), view.bytes().end()));
  }
  AppendResult result;
  bool full = false;
  {
    std::lock_guard lock(mu_);
    result = AppendLocked(views, copies);
    full = options_.seal_on_append && static_cast<int64_t>(tail_bytes_) >= options_.segment_bytes;
  }
  // The append that fills the tail seals it, outside mu_ (other appends and
  // reads go on); if a seal is already running, that one will get to it.
  if (full) {
    std::unique_lock seal_lock(seal_mu_, std::try_to_lock);
    if (seal_lock.owns_lock()) {
      Status sealed = RollLocked();
      if (!sealed.ok()) {
        SH_LOG(WARN) << "seal of " << topic_ << "/" << partition_
                     << " failed, will retry: " << sealed.ToString();
      }
    }
  }
  return result;
}

AppendResult PartitionWriter::AppendLocked(const std::vector<records::RecordBatchView>& views,
                                           std::vector<std::shared_ptr<Bytes>>& copies) {
  AppendResult result{next_offset_, 0};
  if (tail_.empty()) tail_first_append_ms_ = clock_.NowMs();
  for (size_t i = 0; i < views.size(); ++i) {
    records::SetBaseOffset(copies[i]->data(), next_offset_);
    records::SetPartitionLeaderEpoch(copies[i]->data(), static_cast<int32_t>(leader_epoch_));
    TailBatch batch{next_offset_, next_offset_ + views[i].last_offset_delta(),
                    std::move(copies[i])};
    next_offset_ = batch.last_offset + 1;
    tail_bytes_ += batch.bytes->size();
    tail_.push_back(std::move(batch));
  }
  result.last_offset = next_offset_ - 1;
  return result;
}

bool PartitionWriter::RollDue() const {
  if (tail_.empty()) return false;
  return static_cast<int64_t>(tail_bytes_) >= options_.segment_bytes ||
         clock_.NowMs() - tail_first_append_ms_ >= options_.segment_ms;
}

Status PartitionWriter::MaybeRoll() {
  std::lock_guard seal_lock(seal_mu_);
  return RollLocked();
}

Status PartitionWriter::RollLocked() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (!pending_ && !RollDue()) return Status::OK();
    }
    SH_RETURN_IF_ERROR(SealOnce());
  }
}

Status PartitionWriter::Flush() {
  std::lock_guard seal_lock(seal_mu_);
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (!pending_ && tail_.empty()) return Status::OK();
    }
    SH_RETURN_IF_ERROR(SealOnce());
  }
}

Status PartitionWriter::SealOnce() {
  if (!pending_) {
    // Take the oldest segment's worth of batches; appends may go on meanwhile.
    std::vector<std::shared_ptr<const Bytes>> batches;
    int64_t base = 0;
    size_t raw = 0;
    {
      std::lock_guard lock(mu_);
      if (tail_.empty()) return Status::OK();
      base = tail_.front().base_offset;
      for (const TailBatch& batch : tail_) {
        size_t size = batch.bytes->size();
        if (!batches.empty() && static_cast<int64_t>(raw + size) > options_.segment_bytes) break;
        batches.push_back(batch.bytes);
        raw += size;
      }
    }
    SegmentBuilder builder(base, options_.codec, options_.block_bytes);
    builder.Reserve(raw);
    for (const auto& batch : batches) SH_RETURN_IF_ERROR(builder.Add(*batch));
    SegmentInfo info;
    info.topic = topic_;
    info.partition = partition_;
    info.base_offset = builder.base_offset();
    info.end_offset = builder.next_offset();
    info.record_count = static_cast<int64_t>(builder.record_count());
    info.min_timestamp_ms = builder.min_timestamp();
    info.max_timestamp_ms = builder.max_timestamp();
    info.object_key = SegmentObjectKey(topic_, partition_, info.base_offset, leader_epoch_);
    SH_ASSIGN_OR_RETURN(Bytes object, builder.Finish());
    info.size_bytes = static_cast<int64_t>(object.size());
    info.created_at_ms = clock_.NowMs();
    pending_ = PendingSegment{std::move(info), std::move(object), batches.size()};
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
  {
    std::lock_guard lock(mu_);
    high_watermark_ = info.end_offset;
    for (size_t i = 0; i < pending_->batch_count; ++i) {
      tail_bytes_ -= tail_.front().bytes->size();
      tail_.pop_front();
    }
    if (!tail_.empty()) tail_first_append_ms_ = clock_.NowMs();
  }
  pending_.reset();
  return Status::OK();
}

Bytes PartitionWriter::ReadTail(int64_t offset, size_t max_bytes) const {
  std::lock_guard lock(mu_);
  Bytes out;
  auto it = std::lower_bound(tail_.begin(), tail_.end(), offset,
                             [](const TailBatch& b, int64_t o) { return b.last_offset < o; });
  if (it == tail_.end() || offset < tail_.front().base_offset) return out;
  for (; it != tail_.end(); ++it) {
    const Bytes& bytes = *it->bytes;
    if (!out.empty() && out.size() + bytes.size() > max_bytes) break;
    out.insert(out.end(), bytes.begin(), bytes.end());
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
