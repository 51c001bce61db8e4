// PartitionLeader's produce path: validation, idempotent-producer checks,
// offset assignment, the WAL, and the move of durable batches into the tail
// (docs/design.md §6, docs/durability.md).
#include <algorithm>

#include "base/log.h"
#include "broker/partition_leader.h"
#include "records/record_batch.h"

namespace sh::broker {
namespace {

std::string TP(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

// Magic and size first: an old-format or oversized batch is refused with its
// own error rather than as a generic parse failure.
Status CheckFraming(const std::string& where, ByteView records, int32_t max_message_bytes) {
  const SubCode invalid = SubCode::kInvalidRecord;
  if (records.empty()) return {ErrorCode::kInvalidArgument, invalid, where + ": no record batches"};
  for (size_t pos = 0; pos < records.size();) {
    ByteView rest = records.subspan(pos);
    if (rest.size() > records::kMagicOffset && rest[records::kMagicOffset] != 2) {
      return {ErrorCode::kInvalidArgument, invalid,
              where + ": batch at byte " + std::to_string(pos) + " has magic " +
                  std::to_string(rest[records::kMagicOffset]) +
                  "; only magic 2 (Kafka 0.11+) record batches are supported"};
    }
    size_t size = records::PeekBatchSize(rest);
    if (size == 0 || size > rest.size()) break;  // ParseBatches names the framing error
    if (size > static_cast<size_t>(max_message_bytes)) {
      return {ErrorCode::kTooLarge, SubCode::kRecordTooLarge,
              where + ": record batch of " + std::to_string(size) +
                  " bytes exceeds max.message.bytes " + std::to_string(max_message_bytes)};
    }
    pos += size;
  }
  return Status::OK();
}

}  // namespace

void PartitionLeader::ProduceAsync(ByteView records, const TopicSettings& settings,
                                   ProduceCallback done) {
  const std::string where = "produce to " + TP(topic_, partition_);
  auto fail = [&done](Status st) { done(std::move(st)); };
  if (Status st = CheckFraming(where, records, settings.max_message_bytes); !st.ok()) {
    return fail(st);
  }
  Result<std::vector<records::RecordBatchView>> parsed = records::ParseBatches(records);
  if (!parsed.ok()) return fail(parsed.status());
  std::vector<records::RecordBatchView>& views = *parsed;
  if (Status st = CheckLease(); !st.ok()) return fail(st);

  std::vector<ProducerBatchHeader> headers;
  for (const records::RecordBatchView& v : views) headers.push_back(ProducerBatchHeader::Of(v));
  bool idempotent = std::any_of(headers.begin(), headers.end(),
                                [](const ProducerBatchHeader& h) { return h.producer_id >= 0; });
  if (idempotent && views.size() != 1) {
    // As Kafka: an idempotent producer sends one batch per partition.
    return fail({ErrorCode::kInvalidArgument, SubCode::kInvalidRecord,
                 where + ": " + std::to_string(views.size()) +
                     " batches in one request of an idempotent producer"});
  }

  ProduceResult result;
  Bytes rewritten;
  ByteView bytes = records;
  if (settings.log_append_time) {
    result.log_append_time_ms = clock_.NowMs();
    rewritten.assign(records.begin(), records.end());
    for (const records::RecordBatchView& v : views) {
      size_t pos = static_cast<size_t>(v.bytes().data() - records.data());
      records::SetLogAppendTime(rewritten.data() + pos, v.size(), result.log_append_time_ms);
    }
    bytes = rewritten;
  }

  std::unique_lock lock(append_mu_);
  {
    std::shared_lock wlock(writer_mu_);
    if (Status st = CheckOpenLocked(); !st.ok()) {
      lock.unlock();
      return fail(st);
    }
  }
  if (retiring_ && options_.cluster_mode) {
    lock.unlock();
    return fail({ErrorCode::kFenced, SubCode::kLeadershipHandedBack,
                 where + ": leadership is being handed over"});
  }
  if (retiring_) {
    lock.unlock();
    return fail({ErrorCode::kUnavailable, SubCode::kLeadershipHandedBack,
                 where + ": leadership is being handed back; try again"});
  }
  if (needs_reappend_) {
    lock.unlock();
    return fail(Status::Unavailable(where + ": an earlier WAL write failed and is being retried" +
                                    "; try again"));
  }
  SequenceCheck check;
  if (idempotent) {
    check = producers_.Check(headers.front());
    result.verdict = check.verdict;
    if (check.verdict == SequenceVerdict::kDuplicate) {
      // A retry: answer with the original's offsets once they are durable.
      int64_t first = check.first_offset;
      if (first == kUnknownOffset) first = check.last_offset - headers.front().record_count + 1;
      result.base_offset = first;
      result.log_start_offset = log_start_.load();
      int64_t durable_end;
      {
        std::shared_lock wlock(writer_mu_);
        durable_end = writer_->next_offset();
      }
      if (check.last_offset < durable_end) {
        lock.unlock();
        return done(std::move(result));
      }
      duplicate_waiters_.push_back({check.last_offset, std::move(result), std::move(done)});
      return;
    }
    if (check.verdict != SequenceVerdict::kAccept) {
      lock.unlock();
      return fail(SequenceRefusal(where, check));
    }
  }
  Status st = AppendLocked(views, bytes, headers, std::move(result), done);
  lock.unlock();
  if (!st.ok()) fail(st.WithContext(where));
}

Status PartitionLeader::AppendLocked(const std::vector<records::RecordBatchView>& views,
                                     ByteView bytes,
                                     const std::vector<ProducerBatchHeader>& headers,
                                     ProduceResult result, ProduceCallback& done) {
  auto entry = std::make_shared<InFlight>();
  wal::WalEntry& e = entry->entry;
  e.topic = topic_;
  e.partition = partition_;
  e.leader_epoch = lease_.epoch();
  e.base_offset = next_offset_;
  e.batches.assign(bytes.begin(), bytes.end());
  // Offsets as the writer will assign them when the batches reach the tail,
  // so the WAL holds exactly the bytes that will be served.
  int64_t next = next_offset_;
  for (size_t i = 0; i < views.size(); ++i) {
    size_t pos = static_cast<size_t>(views[i].bytes().data() - views.front().bytes().data());
    records::SetBaseOffset(e.batches.data() + pos, next);
    records::SetPartitionLeaderEpoch(e.batches.data() + pos, static_cast<int32_t>(lease_.epoch()));
    int64_t last = next + views[i].last_offset_delta();
    e.record_count += views[i].record_count();
    if (headers[i].producer_id >= 0) entry->producers.push_back({headers[i], {next, last}});
    next = last + 1;
  }
  e.last_offset = next - 1;
  result.base_offset = e.base_offset;
  result.log_start_offset = log_start_.load();
  entry->result = std::move(result);
  entry->done = std::move(done);
  Status st = QueueEntryLocked(entry);
  if (!st.ok()) {
    done = std::move(entry->done);  // the caller answers, outside the lock
    return st;
  }
  in_flight_.push_back(entry);
  next_offset_ = next;
  int64_t now = clock_.NowMs();
  for (const auto& [header, range] : entry->producers) {
    producers_.Commit(header, range.first, range.second, now);
  }
  return Status::OK();
}

Status PartitionLeader::QueueEntryLocked(const std::shared_ptr<InFlight>& entry) {
  std::weak_ptr<PartitionLeader> self = weak_from_this();
  wal_.in_flight->fetch_add(1);
  Status st = wal_.wal->Append(entry->entry, [self, entry, counter = wal_.in_flight](Status s) {
    if (auto leader = self.lock()) {
      leader->OnWalDone(entry, s);
    } else {
      counter->fetch_sub(1);
    }
  });
  if (!st.ok()) wal_.in_flight->fetch_sub(1);
  return st;
}

void PartitionLeader::OnWalDone(const std::shared_ptr<InFlight>& entry, Status status) {
  Answers answers;
  bool moved = false;
  {
    std::lock_guard lock(append_mu_);
    if (status.ok()) {
      entry->state = InFlight::State::kDurable;
      moved = ApplyDurableLocked(answers);
    } else {
      // Kept, offsets and bytes unchanged, for Reappend(); the producer
      // hears the error (retriable) and may retry.
      entry->state = InFlight::State::kFailed;
      needs_reappend_ = true;
      if (entry->done) {
        answers.push_back(
            {std::move(entry->done), status.WithContext("WAL write of " + TP(topic_, partition_))});
        entry->done = nullptr;
      }
      for (DuplicateWaiter& w : duplicate_waiters_) {
        answers.push_back({std::move(w.done),
                           Status::Unavailable("WAL write of " + TP(topic_, partition_) +
                                               " failed before the original batch was durable")});
      }
      duplicate_waiters_.clear();
      drained_cv_.notify_all();
    }
  }
  // Counted down once the partition knows the outcome (see
  // Broker::Impl::RetryFailedWal) and before anyone hears it.
  wal_.in_flight->fetch_sub(1);
  if (moved) {
    int64_t unset = -1;
    tail_since_ms_.compare_exchange_strong(unset, clock_.NowMs());
    // Long polls first: a producer that hears its ack can then see its records.
    if (wal_.notify) wal_.notify(topic_, partition_);
  }
  for (auto& [done, result] : answers) done(std::move(result));
}

bool PartitionLeader::HeldLocked() const {
  return !in_flight_.empty() && in_flight_.front()->state == InFlight::State::kDurable;
}

void PartitionLeader::RefuseDurableLocked(Answers& answers) {
  const std::string why = "produce to " + TP(topic_, partition_) +
                          ": the local lease deadline passed before the WAL write completed; " +
                          "not acknowledged (agent " + options_.agent_id +
                          " may no longer lead it)";
  for (const std::shared_ptr<InFlight>& e : in_flight_) {
    if (e->state != InFlight::State::kDurable || !e->done) continue;
    answers.push_back({std::move(e->done), Status::Fenced(why)});
    e->done = nullptr;
  }
  for (DuplicateWaiter& w : duplicate_waiters_) {
    answers.push_back({std::move(w.done), Status::Fenced(why)});
  }
  duplicate_waiters_.clear();
  drained_cv_.notify_all();  // Retire() gives up on held entries
}

void PartitionLeader::ApplyHeld() {
  Answers answers;
  bool moved = false;
  {
    std::lock_guard lock(append_mu_);
    if (HeldLocked()) moved = ApplyDurableLocked(answers);
  }
  if (moved) {
    int64_t unset = -1;
    tail_since_ms_.compare_exchange_strong(unset, clock_.NowMs());
    if (wal_.notify) wal_.notify(topic_, partition_);
  }
  for (auto& [done, result] : answers) done(std::move(result));
}

bool PartitionLeader::ApplyDurableLocked(Answers& answers) {
  // Checked at durability, not only when the produce arrived: the WAL write
  // may have outlasted the lease (docs/cluster.md §3).
  if (!LeaseAllowsWrites()) {
    RefuseDurableLocked(answers);
    return false;
  }
  std::shared_lock wlock(writer_mu_);
  const int64_t before = writer_->next_offset();
  while (!in_flight_.empty() && in_flight_.front()->state == InFlight::State::kDurable) {
    std::shared_ptr<InFlight> e = std::move(in_flight_.front());
    in_flight_.pop_front();
    Status st = CheckOpenLocked();
    if (st.ok()) {
      Result<storage::AppendResult> appended = writer_->Append(e->entry.batches);
      if (!appended.ok()) {
        st = appended.status();
      } else if (appended->base_offset != e->entry.base_offset) {
        // A broken invariant: the tail and the WAL disagree on offsets.
        SH_LOG(ERROR) << TP(topic_, partition_) << ": durable batches at " << e->entry.base_offset
                      << " went to the tail at " << appended->base_offset;
        st = Status::Internal("offset mismatch in " + TP(topic_, partition_));
      }
    }
    if (st.ok()) {
      int64_t now = clock_.NowMs();
      for (const auto& [header, range] : e->producers) {
        durable_producers_.Replay(header, range.first, range.second, now);
      }
    }
    if (e->done) {
      if (st.ok()) {
        answers.push_back({std::move(e->done), e->result});
      } else {
        answers.push_back({std::move(e->done), st});
      }
    }
  }
  int64_t durable_end = writer_->next_offset();
  auto ready = std::partition(
      duplicate_waiters_.begin(), duplicate_waiters_.end(),
      [durable_end](const DuplicateWaiter& w) { return w.last_offset >= durable_end; });
  for (auto it = ready; it != duplicate_waiters_.end(); ++it) {
    answers.push_back({std::move(it->done), it->result});
  }
  duplicate_waiters_.erase(ready, duplicate_waiters_.end());
  if (in_flight_.empty()) drained_cv_.notify_all();
  return durable_end != before;
}

Status PartitionLeader::Reappend() {
  std::lock_guard lock(append_mu_);
  if (!needs_reappend_) return Status::OK();
  for (const std::shared_ptr<InFlight>& e : in_flight_) {
    if (e->state != InFlight::State::kFailed) continue;
    SH_RETURN_IF_ERROR(
        QueueEntryLocked(e).WithContext("re-append to the WAL of " + TP(topic_, partition_)));
    e->state = InFlight::State::kInFlight;
  }
  needs_reappend_ = false;
  SH_LOG(INFO) << TP(topic_, partition_) << ": failed WAL entries appended again";
  return Status::OK();
}

bool PartitionLeader::needs_reappend() const {
  std::lock_guard lock(append_mu_);
  return needs_reappend_;
}

Status PartitionLeader::Recover(const wal::RecoveredPartition& recovered) {
  std::lock_guard lock(append_mu_);
  std::shared_lock wlock(writer_mu_);
  const std::string where = "WAL recovery of " + TP(topic_, partition_);
  if (!in_flight_.empty() || next_offset_ != writer_->next_offset()) {
    return Status::Internal(where + ": the partition was written before recovery");
  }
  int64_t now = clock_.NowMs();
  for (const wal::RecoveredBatch& b : recovered.batches) {
    Result<storage::AppendResult> appended = writer_->Append(b.bytes);
    if (!appended.ok()) return appended.status().WithContext(where);
    if (appended->base_offset != b.base_offset || appended->last_offset != b.last_offset) {
      return Status::Corruption(where + ": batch " + std::to_string(b.base_offset) + ".." +
                                std::to_string(b.last_offset) + " would land at " +
                                std::to_string(appended->base_offset));
    }
    Result<records::RecordBatchView> view = records::RecordBatchView::Parse(b.bytes);
    if (!view.ok()) return view.status().WithContext(where);
    ProducerBatchHeader header = ProducerBatchHeader::Of(*view);
    if (header.producer_id >= 0) {
      producers_.Replay(header, b.base_offset, b.last_offset, now);
      durable_producers_.Replay(header, b.base_offset, b.last_offset, now);
    }
  }
  next_offset_ = writer_->next_offset();
  if (!recovered.batches.empty()) {
    int64_t unset = -1;
    tail_since_ms_.compare_exchange_strong(unset, now);
    SH_LOG(INFO) << TP(topic_, partition_) << ": recovered offsets " << recovered.start_offset
                 << ".." << next_offset_ << " from the WAL";
  }
  return Status::OK();
}

}  // namespace sh::broker
