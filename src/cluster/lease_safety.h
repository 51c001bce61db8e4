// Lease safety: until when may a leader acknowledge writes on its own clock
// (docs/cluster.md "Why no acknowledged record is lost").
//
// The store judges a lease by expires_at = now_ms + ttl_ms, where now_ms is
// the wall-clock time the holder put in its acquire/renew request. Another
// agent may take the lease once *its* wall clock passes expires_at. So the
// holder counts from the moment it *sent* the request (a reply that comes
// late grants nothing extra), on its monotonic clock (immune to wall-clock
// steps), and stops a safety margin early to cover clock skew between agents
// and rate drift:
//
//   local deadline = request_start_ms + ttl_ms - safety_margin_ms
//
// Worked example (ttl 8000, margin 1000): renew sent at monotonic 50'000,
// reply at 50'400 -> writes may be acknowledged (and made visible) while
// now < 57'000. If renewals then fail, the agent stops at 57'000; another
// agent can acquire no earlier than 58'000 on the first agent's clock (skew
// below 1 s keeps that after 57'000 in real time).
#pragma once

#include <cstdint>

#include "base/status.h"

namespace sh::cluster {

struct LeaseTimings {
  int64_t lease_ms = 8000;          // ttl of each acquire/renew
  int64_t safety_margin_ms = 1000;  // bound on clock skew between agents, plus drift
};

// InvalidArgument unless lease_ms > 0 and 0 <= safety_margin_ms < lease_ms / 2
// (a margin eating half the lease leaves too little time to renew).
Status ValidateLeaseTimings(const LeaseTimings& timings);

// request_start_ms + lease_ms - safety_margin_ms.
int64_t LocalLeaseDeadlineMs(int64_t request_start_ms, const LeaseTimings& timings);

// The local view of one held lease. Not thread-safe: the partition leader
// guards it with its own lock.
class LocalLeaseDeadline {
 public:
  // Records a successful acquire/renew whose request was sent at
  // request_start_ms (monotonic ms, read *before* sending). The deadline
  // only moves forward: an older grant answered late cannot shorten it.
  void Granted(int64_t request_start_ms, const LeaseTimings& timings);
  // The lease was released or found fenced: no more writes.
  void Revoke() { deadline_ms_ = kNone; }
  // True while now_ms (monotonic) < the local deadline.
  bool AllowsWrites(int64_t now_ms) const { return deadline_ms_ != kNone && now_ms < deadline_ms_; }
  // The deadline, or INT64_MIN if never granted / revoked.
  int64_t deadline_ms() const { return deadline_ms_; }

 private:
  static constexpr int64_t kNone = INT64_MIN;
  int64_t deadline_ms_ = kNone;
};

}  // namespace sh::cluster
