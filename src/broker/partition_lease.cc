#include "broker/partition_lease.h"

#include <utility>

namespace sh::broker {

LeaderLease::LeaderLease(std::string topic, int32_t partition, std::string agent_id,
                         const PartitionLease& lease, int64_t request_start_ms,
                         const cluster::LeaseTimings& timings, MetadataStore& metadata,
                         const Clock& clock)
    : topic_(std::move(topic)),
      partition_(partition),
      agent_id_(std::move(agent_id)),
      epoch_(lease.leader_epoch),
      timings_(timings),
      metadata_(metadata),
      clock_(clock),
      renewed_ms_(clock.NowMs()) {
  std::lock_guard lock(mu_);
  GrantedLocked(request_start_ms);
}

std::string LeaderLease::Name() const { return topic_ + "/" + std::to_string(partition_); }

bool LeaderLease::AllowsWrites() const {
  return !fenced_ && MonotonicMs(clock_) < deadline_ms_.load();
}

void LeaderLease::GrantedLocked(int64_t request_start_ms) {
  deadline_.Granted(request_start_ms, timings_);
  deadline_ms_.store(deadline_.deadline_ms());
}

Status LeaderLease::RenewLocked(int64_t now_ms) {
  int64_t start = MonotonicMs(clock_);  // before sending: a late reply grants nothing extra
  Result<PartitionLease> renewed =
      metadata_.RenewLease(topic_, partition_, agent_id_, epoch_, now_ms, timings_.lease_ms);
  if (!renewed.ok()) {
    if (renewed.status().code() == ErrorCode::kFenced) {
      fenced_ = true;
      deadline_.Revoke();
      deadline_ms_.store(deadline_.deadline_ms());
    }
    return renewed.status();
  }
  renewed_ms_ = now_ms;
  GrantedLocked(start);
  return Status::OK();
}

Result<bool> LeaderLease::CheckOrRenew() {
  if (AllowsWrites()) return false;
  const std::string lost = "agent " + agent_id_ + " no longer leads " + Name();
  if (fenced_) return Status::Fenced(lost);
  // The background renewal fell behind (or is not running): renew now, and
  // refuse if the lease cannot be renewed.
  std::lock_guard lock(mu_);
  if (fenced_) return Status::Fenced(lost);
  if (!AllowsWrites()) {
    Status renewed = RenewLocked(clock_.NowMs());
    if (!renewed.ok()) {
      return Status::Fenced("local lease deadline of " + Name() +
                            " passed and the renewal failed (" + renewed.ToString() + ")");
    }
  }
  return true;
}

Result<bool> LeaderLease::MaybeRenew() {
  if (fenced_) return false;
  std::lock_guard lock(mu_);
  int64_t now = clock_.NowMs();
  if (now - renewed_ms_ < timings_.lease_ms / 3) return false;
  Status renewed = RenewLocked(now);
  if (!renewed.ok()) return renewed.WithContext("renewal of the lease on " + Name());
  return true;
}

Status LeaderLease::Release() {
  return metadata_.ReleaseLease(topic_, partition_, agent_id_, epoch_);
}

}  // namespace sh::broker
