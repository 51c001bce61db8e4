#include "kafka/server/group/group_coordinator.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

#include "base/log.h"
#include "base/thread_name.h"

namespace sh::kafka::group {

GroupCoordinator::GroupCoordinator(MetadataStore& store, const Clock& clock,
                                   GroupCoordinatorOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

GroupCoordinator::~GroupCoordinator() { Stop(); }

void GroupCoordinator::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ || stopping_) return;
  running_ = true;
  thread_ = std::thread([this] {
    SetCurrentThreadName("sh-groups");
    TickLoop();
  });
}

void GroupCoordinator::Stop() {
  Completions done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, g] : groups_) g->Shutdown(KafkaError::kNotCoordinator, done);
    groups_.clear();
  }
  cv_.notify_all();
  done.RunAll();
  if (thread_.joinable()) thread_.join();
}

void GroupCoordinator::TickLoop() {
  int64_t next_sweep = NowMs() + options_.offsets_retention_check_interval_ms;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_interval_ms));
    if (stopping_) break;
    lock.unlock();
    Tick();
    if (NowMs() >= next_sweep) {
      next_sweep = NowMs() + options_.offsets_retention_check_interval_ms;
      Result<std::vector<std::string>> swept = SweepExpiredOffsets();
      if (!swept.ok()) {
        SH_LOG(WARN) << "group offsets retention sweep: " << swept.status().ToString();
      }
    }
    lock.lock();
  }
}

Group* GroupCoordinator::Find(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

KafkaError GroupCoordinator::CheckJoinArgs(const JoinArgs& args) const {
  if (args.group_id.empty()) return KafkaError::kInvalidGroupId;
  if (args.session_timeout_ms < options_.group.min_session_timeout_ms ||
      args.session_timeout_ms > options_.group.max_session_timeout_ms) {
    return KafkaError::kInvalidSessionTimeout;
  }
  return KafkaError::kNone;
}

void GroupCoordinator::Join(const JoinArgs& args, JoinCallback cb) {
  Completions done;
  KafkaError err = CheckJoinArgs(args);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) err = KafkaError::kNotCoordinator;
    if (err == KafkaError::kNone) {
      Group* g = Find(args.group_id);
      if (g == nullptr && !args.member_id.empty()) {
        err = KafkaError::kUnknownMemberId;
      } else {
        if (g == nullptr) {
          g = groups_
                  .emplace(args.group_id,
                           std::make_unique<Group>(args.group_id, options_.group, NowMs()))
                  .first->second.get();
        }
        g->Join(args, NowMs(), std::move(cb), done);
      }
    }
  }
  if (err != KafkaError::kNone) {
    JoinResult r;
    r.error = err;
    cb(r);
    return;
  }
  done.RunAll();
}

void GroupCoordinator::Sync(const SyncArgs& args, SyncCallback cb) {
  Completions done;
  KafkaError err = KafkaError::kNone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Group* g = Find(args.group_id);
    if (args.group_id.empty()) {
      err = KafkaError::kInvalidGroupId;
    } else if (stopping_) {
      err = KafkaError::kNotCoordinator;
    } else if (g == nullptr) {
      err = KafkaError::kUnknownMemberId;
    } else {
      g->Sync(args, NowMs(), std::move(cb), done);
    }
  }
  if (err != KafkaError::kNone) {
    SyncResult r;
    r.error = err;
    cb(r);
    return;
  }
  done.RunAll();
}

KafkaError GroupCoordinator::Heartbeat(const std::string& group_id, int32_t generation_id,
                                       const std::string& member_id,
                                       const std::optional<std::string>& instance_id) {
  if (group_id.empty()) return KafkaError::kInvalidGroupId;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return KafkaError::kNotCoordinator;
  Group* g = Find(group_id);
  if (g == nullptr) return KafkaError::kUnknownMemberId;
  return g->Heartbeat(generation_id, member_id, instance_id, NowMs());
}

KafkaError GroupCoordinator::Leave(const std::string& group_id,
                                   const std::vector<LeaveMember>& members,
                                   std::vector<KafkaError>* member_errors) {
  member_errors->clear();
  if (group_id.empty()) return KafkaError::kInvalidGroupId;
  Completions done;
  KafkaError top = KafkaError::kNone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Group* g = Find(group_id);
    if (stopping_) {
      top = KafkaError::kNotCoordinator;
    } else {
      for (const LeaveMember& m : members) {
        member_errors->push_back(g == nullptr
                                     ? KafkaError::kUnknownMemberId
                                     : g->Leave(m.member_id, m.group_instance_id, NowMs(), done));
      }
    }
  }
  done.RunAll();
  return top;
}

KafkaError GroupCoordinator::CheckCommit(const std::string& group_id, int32_t generation_id,
                                         const std::string& member_id,
                                         const std::optional<std::string>& instance_id) {
  if (group_id.empty()) return KafkaError::kInvalidGroupId;
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return KafkaError::kNotCoordinator;
  Group* g = Find(group_id);
  if (g == nullptr) {
    // No member state: only a standalone commit (generation -1) may write.
    return generation_id < 0 ? KafkaError::kNone : KafkaError::kIllegalGeneration;
  }
  return g->CheckCommit(generation_id, member_id, instance_id, NowMs());
}

std::optional<GroupSummary> GroupCoordinator::Describe(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Group* g = Find(group_id);
  if (g == nullptr) return std::nullopt;
  return g->Summary();
}

std::vector<GroupSummary> GroupCoordinator::ListActive() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GroupSummary> out;
  for (const auto& [id, g] : groups_) out.push_back(g->Summary());
  return out;
}

KafkaError GroupCoordinator::ForgetIfEmpty(const std::string& group_id, bool* was_known) {
  std::lock_guard<std::mutex> lock(mu_);
  Group* g = Find(group_id);
  *was_known = g != nullptr;
  if (g == nullptr) return KafkaError::kNone;
  if (g->state() != GroupState::kEmpty) return KafkaError::kNonEmptyGroup;
  Completions none;  // an Empty group has nobody waiting
  g->Shutdown(KafkaError::kCoordinatorNotAvailable, none);
  groups_.erase(group_id);
  return KafkaError::kNone;
}

KafkaError GroupCoordinator::SubscribedTopics(const std::string& group_id,
                                              std::set<std::string>* topics) {
  std::lock_guard<std::mutex> lock(mu_);
  topics->clear();
  Group* g = Find(group_id);
  if (g == nullptr || g->state() == GroupState::kEmpty) return KafkaError::kNone;
  if (g->protocol_type() != "consumer") return KafkaError::kNonEmptyGroup;
  *topics = g->SubscribedTopics();
  return KafkaError::kNone;
}

void GroupCoordinator::Tick() {
  Completions done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t now = NowMs();
    for (auto it = groups_.begin(); it != groups_.end();) {
      Group& g = *it->second;
      g.Tick(now, done);
      // A member-less group is forgotten once its offsets would expire, so
      // abandoned group ids do not accumulate (its rows go in the sweep).
      bool idle = g.state() == GroupState::kEmpty && g.size() == 0 && !g.HasPending() &&
                  now - g.empty_since_ms() >= options_.offsets_retention_ms;
      it = idle ? groups_.erase(it) : std::next(it);
    }
  }
  done.RunAll();
}

Result<std::vector<std::string>> GroupCoordinator::SweepExpiredOffsets() {
  Result<std::vector<ConsumerGroupInfo>> listed = store_.ListGroups();
  if (!listed.ok()) return listed.status();
  std::vector<std::string> deleted;
  for (const ConsumerGroupInfo& info : *listed) {
    int64_t wall_now = clock_.NowMs();
    int64_t reference = 0;  // wall ms from which retention counts
    {
      std::lock_guard<std::mutex> lock(mu_);
      Group* g = Find(info.group_id);
      if (g != nullptr && g->state() != GroupState::kEmpty) continue;  // has members
      if (g != nullptr) reference = wall_now - (NowMs() - g->empty_since_ms());
    }
    Result<std::vector<CommittedOffset>> offsets = store_.FetchOffsets(info.group_id);
    if (!offsets.ok()) return offsets.status();
    for (const CommittedOffset& o : *offsets) reference = std::max(reference, o.committed_at_ms);
    if (wall_now - reference < options_.offsets_retention_ms) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Group* g = Find(info.group_id);
      if (g != nullptr && g->state() != GroupState::kEmpty) continue;  // joined meanwhile
      groups_.erase(info.group_id);
    }
    Status st = store_.DeleteGroup(info.group_id);
    if (!st.ok() && st.code() != ErrorCode::kNotFound) return st;
    deleted.push_back(info.group_id);
  }
  return deleted;
}

}  // namespace sh::kafka::group
