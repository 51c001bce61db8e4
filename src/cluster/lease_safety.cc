#include "cluster/lease_safety.h"

#include <algorithm>
#include <string>

namespace sh::cluster {

Status ValidateLeaseTimings(const LeaseTimings& timings) {
  if (timings.lease_ms <= 0) {
    return Status::InvalidArgument("lease timings: lease must be positive, got " +
                                   std::to_string(timings.lease_ms) + " ms");
  }
  if (timings.safety_margin_ms < 0 || timings.safety_margin_ms * 2 >= timings.lease_ms) {
    return Status::InvalidArgument(
        "lease timings: safety margin " + std::to_string(timings.safety_margin_ms) +
        " ms must be >= 0 and under half the lease " + std::to_string(timings.lease_ms) + " ms");
  }
  return Status::OK();
}

int64_t LocalLeaseDeadlineMs(int64_t request_start_ms, const LeaseTimings& timings) {
  return request_start_ms + timings.lease_ms - timings.safety_margin_ms;
}

void LocalLeaseDeadline::Granted(int64_t request_start_ms, const LeaseTimings& timings) {
  deadline_ms_ = std::max(deadline_ms_, LocalLeaseDeadlineMs(request_start_ms, timings));
}

}  // namespace sh::cluster
