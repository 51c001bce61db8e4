// WalWriter: group commit of WAL entries into WAL objects (docs/design.md §6 step 2-3).
//
// Append queues an entry; one flusher thread gathers everything queued and
// writes it as ONE object with ObjectStore::Put (atomic and durable), at the
// latest flush_interval_ms after the oldest queued entry was appended, or as
// soon as max_bytes are queued. Then it calls each entry's `done`, in append
// order, with OK, or with the Put's error for every entry of the object.
//
//   WalWriter wal(store, "agent-1", clock, {.first_sequence = next});
//   Status st = wal.Append(std::move(entry), [](Status s) { ... });
//
// Sequence numbers: each object takes the next sequence (first_sequence,
// +1, ...), also when its Put fails, so a sequence is never reused: a Put
// that failed or timed out may still have stored its object.
//
// Put timeout: a Put running longer than put_timeout_ms counts as failed
// (callbacks get Timeout) even if it returns OK later; the object then may
// exist. Recovery keeps such an object's records (see docs/formats/wal.md
// "Failed writes and recovery").
//
// After a failed object the writer is FAILED: entries still queued get
// Unavailable, and Append refuses new entries, until Resume(). This keeps
// an object with later offsets of a partition from landing behind the failed
// one (a hole in the log). The broker's background pass, once every failure
// callback has run, calls Resume() and re-appends the failed entries unchanged
// (same offsets and bytes), as docs/formats/wal.md "Failed writes" explains.
//
// Callbacks run on the flusher thread, never inside Append, and must not
// call Stop(). Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "objstore/object_store.h"
#include "wal/latency_histogram.h"
#include "wal/wal_format.h"
#include "wal/wal_index.h"

namespace sh::wal {

struct WalWriterOptions {
  int64_t flush_interval_ms = 5;
  // An object holds at most this many encoded entry bytes, except that an
  // entry larger than this is written alone.
  size_t max_bytes = 8 << 20;
  // Sequence of the first object: the highest existing sequence + 1 (0 if
  // the agent has no WAL object).
  uint64_t first_sequence = 0;
  // A Put running longer counts as failed (Timeout); <= 0: no timeout.
  int64_t put_timeout_ms = 10'000;
  // If set, a summary of every object the writer tries to write is added.
  WalIndex* index = nullptr;
};

struct WalWriterStats {
  uint64_t objects_written = 0;  // Puts that succeeded in time
  uint64_t objects_failed = 0;   // Puts that failed or timed out
  uint64_t bytes_written = 0;    // object bytes of successful Puts
  uint64_t entries_written = 0;  // entries of successful Puts
  int64_t flush_p50_us = 0;      // Put latency of each object (success or not)
  int64_t flush_p99_us = 0;
};

class WalWriter {
 public:
  using Callback = std::function<void(Status)>;

  // REQUIRES: store and clock outlive the writer; ValidateAgentId(agent_id)
  // is OK. Starts the flusher thread.
  WalWriter(ObjectStore& store, std::string agent_id, const Clock& clock,
            WalWriterOptions options = {});
  ~WalWriter();  // Stop()
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Queues entry. OK: done will be called exactly once, later, on the
  // flusher thread. Otherwise done is never called: InvalidArgument /
  // Corruption / TooLarge for an entry the reader would reject
  // (ValidateWalEntry), Unavailable after Stop() or while the writer is
  // failed (before Resume()).
  Status Append(WalEntry entry, Callback done);

  // Clears the failed state after a failed object.
  void Resume();
  bool failed() const;

  // Writes what is queued (if the writer is not failed), calls every
  // pending callback, and joins the flusher thread and any Put still
  // running past its timeout. Idempotent.
  void Stop();

  // Sequence the next object will take.
  uint64_t next_sequence() const;
  WalWriterStats stats() const;
  const LatencyHistogram& flush_latency() const { return flush_latency_; }

 private:
  struct Pending {
    WalEntry entry;
    Callback done;
    size_t encoded_size = 0;
    std::chrono::steady_clock::time_point queued_at;
  };
  struct PutCall;

  void FlusherLoop();
  // Waits until a group is due (or stopping); false when there is nothing
  // left to do. REQUIRES: lock held on mu_.
  bool WaitForGroup(std::unique_lock<std::mutex>& lock);
  std::vector<Pending> TakeGroup();  // REQUIRES: mu_ held
  void WriteGroup(std::vector<Pending> group, uint64_t sequence);
  // Put with put_timeout_ms; a Put still running is left to finish in the
  // background (joined by Stop).
  Status PutWithTimeout(const std::string& key, Bytes data);
  void ReapFinishedPuts();
  WalObjectSummary Summarize(const std::vector<Pending>& group, uint64_t sequence) const;

  ObjectStore& store_;
  const std::string agent_id_;
  const Clock& clock_;
  const WalWriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;    // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  Status failed_;              // guarded by mu_; !ok() while failed
  uint64_t next_sequence_;     // guarded by mu_
  std::thread flusher_;
  std::mutex stop_mu_;  // serializes Stop()

  std::mutex puts_mu_;
  std::vector<std::pair<std::thread, std::shared_ptr<PutCall>>> abandoned_;  // guarded by puts_mu_

  std::atomic<uint64_t> objects_written_{0};
  std::atomic<uint64_t> objects_failed_{0};
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> entries_written_{0};
  LatencyHistogram flush_latency_;
};

}  // namespace sh::wal
