// LeaderLease: the lease this agent holds on one partition it leads, and the
// one place that decides whether the agent may still acknowledge writes on
// it (docs/cluster.md §3, src/cluster/lease_safety.h). Named apart from the
// metadata store's PartitionLease row, from which it starts.
//
// It keeps the epoch, the wall-clock time of the last grant (a renewal is
// due a third of lease_ms after it) and the local deadline: request start of
// the last acquire/renew + lease_ms - safety margin, on the clock's monotonic
// time. Writes are allowed while now < deadline and no renewal was Fenced.
//
// Worked example (lease_ms 9000, margin 1000, both clocks at 0): acquired
// with its request sent at monotonic 0 -> deadline 8000; MaybeRenew() at
// wall 2999 does nothing, at 3000 renews (request sent at monotonic 3000)
// -> deadline 11000. If no renewal runs, AllowsWrites() turns false at 8000
// and CheckOrRenew() renews on the caller's thread.
//
// Thread-safe: renewals are serialized by an internal lock; AllowsWrites()
// and deadline_ms() read atomics and never wait for a renewal's round trip
// (the WAL callback calls them). Renewals block on the metadata store.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "cluster/lease_safety.h"
#include "metadata/metadata_store.h"

namespace sh::broker {

// The clock's monotonic time in ms, the time base of local lease deadlines.
inline int64_t MonotonicMs(const Clock& clock) { return clock.MonotonicMicros() / 1000; }

class LeaderLease {
 public:
  // A lease acquired (lease.leader_epoch) by a request sent at
  // request_start_ms (MonotonicMs, read just before the AcquireLease call).
  // timings.lease_ms is the ttl of every renewal. REQUIRES: metadata and
  // clock outlive this.
  LeaderLease(std::string topic, int32_t partition, std::string agent_id,
              const PartitionLease& lease, int64_t request_start_ms,
              const cluster::LeaseTimings& timings, MetadataStore& metadata, const Clock& clock);

  int64_t epoch() const { return epoch_; }
  // True while now < the local deadline and no renewal was Fenced.
  bool AllowsWrites() const;
  // The local deadline (monotonic ms); INT64_MIN once fenced.
  int64_t deadline_ms() const { return deadline_ms_.load(); }
  // True once a renewal was Fenced: another agent leads the partition.
  bool fenced() const { return fenced_.load(); }

  // false while writes are allowed. Past the deadline, renews now and
  // returns true (also when another thread renewed meanwhile): the caller
  // then makes visible what it held back. Fenced if the lease is lost or the
  // renewal fails.
  Result<bool> CheckOrRenew();
  // Renews if a third of lease_ms has passed (wall clock) since the last
  // grant; true if it did. Nothing to do (false) once fenced. A failed
  // renewal's error passes through (and Fenced marks the lease lost).
  Result<bool> MaybeRenew();
  // Expires the lease in the metadata store now (the partition is handed
  // back). The local deadline stays: the caller stops serving first.
  Status Release();

 private:
  // One RenewLease call; on success the new deadline counts from before the
  // call. REQUIRES mu_ held.
  Status RenewLocked(int64_t now_ms);
  void GrantedLocked(int64_t request_start_ms);  // REQUIRES mu_ held
  std::string Name() const;

  const std::string topic_;
  const int32_t partition_;
  const std::string agent_id_;
  const int64_t epoch_;
  const cluster::LeaseTimings timings_;
  MetadataStore& metadata_;
  const Clock& clock_;

  std::mutex mu_;                         // serializes renewals
  int64_t renewed_ms_;                    // wall clock of the last grant; guarded by mu_
  cluster::LocalLeaseDeadline deadline_;  // guarded by mu_
  std::atomic<int64_t> deadline_ms_{INT64_MIN};
  std::atomic<bool> fenced_{false};
};

}  // namespace sh::broker
