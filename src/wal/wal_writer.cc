#include "wal/wal_writer.h"

#include <algorithm>

#include "base/log.h"
#include "base/thread_name.h"

namespace sh::wal {

// State shared between the flusher and the thread running one Put, which may
// outlive the flusher's wait (a Put past its timeout).
struct WalWriter::PutCall {
  std::string key;
  Bytes data;
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;  // guarded by mu
  Status status;          // guarded by mu
};

WalWriter::WalWriter(ObjectStore& store, std::string agent_id, const Clock& clock,
                     WalWriterOptions options)
    : store_(store),
      agent_id_(std::move(agent_id)),
      clock_(clock),
      options_(options),
      next_sequence_(options.first_sequence) {
  SH_CHECK_MSG(ValidateAgentId(agent_id_).ok(), ValidateAgentId(agent_id_).ToString());
  flusher_ = std::thread([this] {
    SetCurrentThreadName("sh-wal-flush");
    FlusherLoop();
  });
}

WalWriter::~WalWriter() { Stop(); }

Status WalWriter::Append(WalEntry entry, Callback done) {
  Status valid = ValidateWalEntry(entry.topic, entry.partition, entry.base_offset,
                                  entry.last_offset, entry.record_count, entry.batches);
  if (!valid.ok()) {
    return valid.WithContext("wal entry for " + entry.topic + "/" +
                             std::to_string(entry.partition));
  }
  Pending p;
  p.encoded_size = EncodedEntrySize(entry);
  p.entry = std::move(entry);
  p.done = std::move(done);
  p.queued_at = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("wal writer for agent " + agent_id_ + " stopped");
  if (!failed_.ok()) {
    return Status::Unavailable("wal writer for agent " + agent_id_ +
                               " failed and not resumed: " + failed_.ToString());
  }
  queued_bytes_ += p.encoded_size;
  queue_.push_back(std::move(p));
  // Wake the flusher for the first entry (to start its interval) and when a
  // full object's worth is queued.
  if (queue_.size() == 1 || queued_bytes_ >= options_.max_bytes) cv_.notify_all();
  return Status::OK();
}

void WalWriter::Resume() {
  std::lock_guard<std::mutex> lock(mu_);
  failed_ = Status::OK();
}

bool WalWriter::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !failed_.ok();
}

uint64_t WalWriter::next_sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_sequence_;
}

WalWriterStats WalWriter::stats() const {
  WalWriterStats s;
  s.objects_written = objects_written_.load();
  s.objects_failed = objects_failed_.load();
  s.bytes_written = bytes_written_.load();
  s.entries_written = entries_written_.load();
  s.flush_p50_us = flush_latency_.p50();
  s.flush_p99_us = flush_latency_.p99();
  return s;
}

void WalWriter::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  std::vector<std::pair<std::thread, std::shared_ptr<PutCall>>> abandoned;
  {
    std::lock_guard<std::mutex> lock(puts_mu_);
    abandoned.swap(abandoned_);
  }
  for (auto& [thread, call] : abandoned) thread.join();
}

bool WalWriter::WaitForGroup(std::unique_lock<std::mutex>& lock) {
  const auto interval = std::chrono::milliseconds(std::max<int64_t>(0, options_.flush_interval_ms));
  while (true) {
    if (queue_.empty()) {
      if (stopping_) return false;
      cv_.wait(lock);
      continue;
    }
    if (stopping_ || queued_bytes_ >= options_.max_bytes) return true;
    auto due = queue_.front().queued_at + interval;
    if (std::chrono::steady_clock::now() >= due) return true;
    cv_.wait_until(lock, due);
  }
}

std::vector<WalWriter::Pending> WalWriter::TakeGroup() {
  std::vector<Pending> group;
  size_t bytes = 0;
  while (!queue_.empty()) {
    size_t size = queue_.front().encoded_size;
    if (!group.empty() && bytes + size > options_.max_bytes) break;
    bytes += size;
    queued_bytes_ -= size;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

void WalWriter::FlusherLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (WaitForGroup(lock)) {
    std::vector<Pending> group = TakeGroup();
    uint64_t sequence = next_sequence_++;
    lock.unlock();
    WriteGroup(std::move(group), sequence);
    ReapFinishedPuts();
    lock.lock();
  }
}

WalObjectSummary WalWriter::Summarize(const std::vector<Pending>& group, uint64_t sequence) const {
  WalObjectSummary s;
  s.key = WalObjectKey(agent_id_, sequence);
  s.sequence = sequence;
  for (const Pending& p : group) {
    int64_t& max = s.max_offset.try_emplace({p.entry.topic, p.entry.partition}, -1).first->second;
    max = std::max(max, p.entry.last_offset);
  }
  return s;
}

void WalWriter::WriteGroup(std::vector<Pending> group, uint64_t sequence) {
  std::vector<const WalEntry*> entries;
  entries.reserve(group.size());
  for (const Pending& p : group) entries.push_back(&p.entry);
  const std::string key = WalObjectKey(agent_id_, sequence);
  Bytes data = EncodeWalObject(agent_id_, sequence, clock_.NowMs(), entries);
  const size_t size = data.size();
  // Index it before the Put: a Put that fails or times out may still land.
  if (options_.index != nullptr) options_.index->Add(Summarize(group, sequence));

  int64_t start = clock_.MonotonicMicros();
  Status st = PutWithTimeout(key, std::move(data));
  flush_latency_.Record(clock_.MonotonicMicros() - start);

  std::vector<Pending> doomed;  // queued behind a failed object
  if (st.ok()) {
    objects_written_.fetch_add(1);
    bytes_written_.fetch_add(size);
    entries_written_.fetch_add(group.size());
  } else {
    objects_failed_.fetch_add(1);
    SH_LOG(WARN) << "wal object " << key << " (" << group.size()
                 << " entries) failed: " << st.ToString();
    std::lock_guard<std::mutex> lock(mu_);
    failed_ = st;
    while (!queue_.empty()) {
      doomed.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_bytes_ = 0;
  }
  for (Pending& p : group) p.done(st);
  if (doomed.empty()) return;
  Status behind = Status::Unavailable("wal object " + key + " failed before this entry (" +
                                      st.ToString() + ")");
  for (Pending& p : doomed) p.done(behind);
}

Status WalWriter::PutWithTimeout(const std::string& key, Bytes data) {
  auto call = std::make_shared<PutCall>();
  call->key = key;
  call->data = std::move(data);
  std::thread thread([this, call] {
    SetCurrentThreadName("sh-wal-put");
    Status st = store_.Put(call->key, call->data);
    if (!st.ok()) {
      // A failed Put may have left a whole or torn object; its entries were
      // reported failed, so remove it (best effort) rather than leave a torn
      // object in the middle of the log.
      Status del = store_.Delete(call->key);
      if (!del.ok()) {
        SH_LOG(WARN) << "wal object " << call->key
                     << ": delete after failed put: " << del.ToString();
      }
    }
    std::lock_guard<std::mutex> lock(call->mu);
    call->status = st;
    call->finished = true;
    call->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(call->mu);
  bool finished = true;
  if (options_.put_timeout_ms > 0) {
    finished = call->cv.wait_for(lock, std::chrono::milliseconds(options_.put_timeout_ms),
                                 [&] { return call->finished; });
  } else {
    call->cv.wait(lock, [&] { return call->finished; });  // no timeout
  }
  if (finished) {
    Status st = call->status;
    lock.unlock();
    thread.join();
    return st;
  }
  lock.unlock();
  {
    std::lock_guard<std::mutex> puts_lock(puts_mu_);
    abandoned_.emplace_back(std::move(thread), call);
  }
  return Status::Timeout("wal object " + key + ": put took longer than " +
                         std::to_string(options_.put_timeout_ms) + " ms");
}

void WalWriter::ReapFinishedPuts() {
  std::lock_guard<std::mutex> lock(puts_mu_);
  for (auto it = abandoned_.begin(); it != abandoned_.end();) {
    bool finished;
    {
      std::lock_guard<std::mutex> call_lock(it->second->mu);
      finished = it->second->finished;
    }
    if (finished) {
      it->first.join();
      it = abandoned_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace sh::wal
