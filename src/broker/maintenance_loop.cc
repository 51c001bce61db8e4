#include "broker/maintenance_loop.h"

#include <chrono>
#include <limits>
#include <utility>

#include "base/thread_name.h"
#include "broker/broker_impl.h"

namespace sh::broker {

void MaintenanceLoop::Start(std::function<void()> pass, int64_t interval_ms) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, pass = std::move(pass), interval_ms] {
    SetCurrentThreadName("sh-broker");
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      pass();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stopping_; });
    }
  });
}

void MaintenanceLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// ---- one pass ----

Status Broker::Impl::Maintain(bool force_retention) {
  int64_t now = clock_.NowMs();
  bool retention_due = force_retention || last_retention_ms_ < 0 ||
                       now - last_retention_ms_ >= options_.retention_check_interval_ms;
  if (retention_due) last_retention_ms_ = now;
  Status first;
  auto note = [&first](const Status& s, const char* what) {
    LogIfError(s, what);
    if (first.ok() && !s.ok()) first = s;
  };
  if (retention_due && !options_.cluster_mode) note(OpenForRetention(), "retention");
  for (const std::shared_ptr<PartitionLeader>& leader : Leaders()) {
    if (leader->retired()) continue;
    note(leader->MaybeRenewLease(), "lease renewal");
    if (leader->fenced()) {
      SH_LOG(WARN) << "lost the lease on " << leader->topic() << "/" << leader->partition();
      Forget(leader);
      continue;
    }
    Result<TopicInfo> info = metadata_.GetTopic(leader->topic());
    if (!info.ok()) {
      if (info.status().code() != ErrorCode::kNotFound) note(info.status(), "topic lookup");
      continue;
    }
    Result<TopicSettings> settings = SettingsFor(*info);
    if (!settings.ok()) {
      note(settings.status(), "topic config");
      continue;
    }
    note(leader->Reconfigure(*settings), "applying topic config");
    note(leader->Roll(options_.flush_ms), "roll");
    leader->MaybeSaveProducerState();
    if (retention_due) note(leader->ApplyRetention(*settings), "retention");
  }
  RetryFailedWal();
  wal_.DeleteCovered();
  return first;
}

// Retention applies to every partition of the log, not only to those read or
// written since the agent started: in embedded mode this agent owns them all,
// so each partition of a topic with a time or size limit is opened (once;
// it stays open) when it has segments. In cluster mode the leases decide and
// every partition is open on the agent that leads it.
Status Broker::Impl::OpenForRetention() {
  SH_ASSIGN_OR_RETURN(std::vector<TopicInfo> topics, metadata_.ListTopics());
  Status first;
  for (const TopicInfo& info : topics) {
    Result<TopicSettings> settings = SettingsFor(info);
    if (!settings.ok()) continue;  // the loop in Maintain reports bad configs of open ones
    if (!settings->retention_enabled ||
        (settings->retention_ms < 0 && settings->retention_bytes < 0)) {
      continue;
    }
    for (int32_t p = 0; p < info.partition_count; ++p) {
      {
        std::shared_ptr<Slot> slot = SlotFor(PartitionKey(info.name, p));
        std::lock_guard lock(slot->mu);
        if (LiveLeader(slot->leader)) continue;
      }
      Result<std::vector<SegmentInfo>> segments = metadata_.ListSegments(info.name, p);
      Status opened = !segments.ok()      ? segments.status()
                      : segments->empty() ? Status::OK()
                                          : LeaderFor(info.name, p, *settings).status();
      // A topic deleted meanwhile has nothing left to trim.
      if (!opened.ok() && opened.code() != ErrorCode::kNotFound && first.ok()) first = opened;
    }
  }
  return first;
}

Status Broker::RunMaintenance() { return impl_->Maintain(true); }

Status Broker::SealFullTails() {
  Status first;
  for (const auto& leader : impl_->Leaders()) {
    if (leader->retired()) continue;
    // With no flush age limit, Roll only seals by size and segment.ms.
    Status s = leader->Roll(std::numeric_limits<int64_t>::max());
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

}  // namespace sh::broker
