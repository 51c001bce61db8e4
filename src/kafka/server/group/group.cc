#include "kafka/server/group/group.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>

#include "kafka/server/group/consumer_protocol.h"

namespace sh::kafka::group {

const char* StateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

namespace {

JoinResult JoinError(KafkaError error, std::string member_id = "") {
  JoinResult r;
  r.error = error;
  r.member_id = std::move(member_id);
  return r;
}

SyncResult SyncError(KafkaError error) {
  SyncResult r;
  r.error = error;
  return r;
}

bool SameProtocols(const std::vector<Protocol>& a, const std::vector<Protocol>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].metadata != b[i].metadata) return false;
  }
  return true;
}

}  // namespace

Group::Group(std::string group_id, const GroupConfig& config, int64_t now_ms)
    : group_id_(std::move(group_id)),
      config_(config),
      empty_since_ms_(now_ms),
      rng_(std::random_device{}()) {}

std::string Group::NewMemberId(const std::string& client_id) {
  // Kafka's form: client id, '-', a UUID.
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng_()),
                static_cast<unsigned long long>(rng_()));
  std::string hex(buf);
  return client_id + "-" + hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
         "-" + hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

bool Group::SupportsProtocols(const JoinArgs& args) const {
  if (args.protocol_type.empty() || args.protocols.empty()) return false;
  if (members_.empty()) return true;
  if (args.protocol_type != protocol_type_) return false;
  // Some protocol of the joining member must be supported by every member.
  for (const Protocol& p : args.protocols) {
    bool all = true;
    for (const auto& [id, m] : members_) {
      all = all && MetadataFor(m, p.name) != nullptr;
    }
    if (all) return true;
  }
  return false;
}

KafkaError Group::CheckMember(const std::string& member_id,
                              const std::optional<std::string>& instance_id) const {
  if (instance_id.has_value()) {
    auto it = instances_.find(*instance_id);
    if (it != instances_.end() && it->second != member_id) return KafkaError::kFencedInstanceId;
  }
  if (members_.count(member_id) == 0) return KafkaError::kUnknownMemberId;
  return KafkaError::kNone;
}

void Group::Join(const JoinArgs& args, int64_t now_ms, JoinCallback cb, Completions& done) {
  auto fail = [&](KafkaError e) { done.Add([cb = std::move(cb), e] { cb(JoinError(e)); }); };
  if (state_ == GroupState::kDead) return fail(KafkaError::kCoordinatorNotAvailable);
  if (!SupportsProtocols(args)) return fail(KafkaError::kInconsistentGroupProtocol);
  if (args.member_id.empty()) return JoinUnknownMember(args, now_ms, std::move(cb), done);
  JoinKnownMember(args, now_ms, std::move(cb), done);
}

void Group::JoinUnknownMember(const JoinArgs& args, int64_t now_ms, JoinCallback cb,
                              Completions& done) {
  if (args.group_instance_id.has_value()) {
    auto it = instances_.find(*args.group_instance_id);
    if (it != instances_.end()) {
      return ReplaceStaticMember(args, it->second, now_ms, std::move(cb), done);
    }
  }
  if (config_.max_size > 0 && members_.size() >= config_.max_size) {
    done.Add([cb = std::move(cb)] { cb(JoinError(KafkaError::kGroupMaxSizeReached)); });
    return;
  }
  std::string id = NewMemberId(args.client_id);
  if (args.require_known_member_id && !args.group_instance_id.has_value()) {
    // KIP-394: the member comes back with this id; until then it only delays
    // the rebalance, and is forgotten after its session timeout.
    pending_[id] = now_ms + args.session_timeout_ms;
    done.Add([cb = std::move(cb), id] { cb(JoinError(KafkaError::kMemberIdRequired, id)); });
    return;
  }
  AddMemberAndRebalance(args, id, now_ms, std::move(cb), done);
}

void Group::JoinKnownMember(const JoinArgs& args, int64_t now_ms, JoinCallback cb,
                            Completions& done) {
  if (pending_.erase(args.member_id) > 0) {
    return AddMemberAndRebalance(args, args.member_id, now_ms, std::move(cb), done);
  }
  KafkaError err = CheckMember(args.member_id, args.group_instance_id);
  if (err != KafkaError::kNone) {
    done.Add([cb = std::move(cb), err] { cb(JoinError(err)); });
    return;
  }
  Member& m = members_.at(args.member_id);
  bool same = SameProtocols(m.protocols, args.protocols);
  m.last_heartbeat_ms = now_ms;
  m.session_timeout_ms = args.session_timeout_ms;
  m.rebalance_timeout_ms = args.rebalance_timeout_ms;
  switch (state_) {
    case GroupState::kPreparingRebalance:
      m.protocols = args.protocols;
      SetAwaitingJoin(m, std::move(cb), done);
      TryCompleteJoin(now_ms, done);
      return;
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      if (same && (state_ == GroupState::kCompletingRebalance || args.member_id != leader_)) {
        // A retried join of this generation: answer it as before.
        JoinResult r = CurrentJoinResult(m);
        done.Add([cb = std::move(cb), r = std::move(r)] { cb(r); });
        return;
      }
      // The leader rejoining, or new metadata (a changed subscription): rebalance.
      m.protocols = args.protocols;
      SetAwaitingJoin(m, std::move(cb), done);
      PrepareRebalance(now_ms, done);
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      done.Add([cb = std::move(cb)] { cb(JoinError(KafkaError::kUnknownMemberId)); });
      return;
  }
}

void Group::ReplaceStaticMember(const JoinArgs& args, const std::string& old_id, int64_t now_ms,
                                JoinCallback cb, Completions& done) {
  // A restarted static member takes over its old identity; a previous
  // incarnation still waiting is fenced.
  Member m = std::move(members_.at(old_id));
  members_.erase(old_id);
  if (m.awaiting_join) {
    done.Add([f = std::move(m.awaiting_join)] { f(JoinError(KafkaError::kFencedInstanceId)); });
    m.awaiting_join = nullptr;
  }
  if (m.awaiting_sync) {
    done.Add([f = std::move(m.awaiting_sync)] { f(SyncError(KafkaError::kFencedInstanceId)); });
    m.awaiting_sync = nullptr;
  }
  std::string id = NewMemberId(args.client_id);
  bool same = SameProtocols(m.protocols, args.protocols);
  m.member_id = id;
  m.client_id = args.client_id;
  m.client_host = args.client_host;
  m.session_timeout_ms = args.session_timeout_ms;
  m.rebalance_timeout_ms = args.rebalance_timeout_ms;
  m.protocols = args.protocols;
  m.last_heartbeat_ms = now_ms;
  if (leader_ == old_id) leader_ = id;
  instances_[*args.group_instance_id] = id;
  Member& placed = members_.emplace(id, std::move(m)).first->second;
  if (state_ == GroupState::kStable && same) {
    // Nothing changed: the member gets its place back without a rebalance.
    JoinResult r = CurrentJoinResult(placed);
    done.Add([cb = std::move(cb), r = std::move(r)] { cb(r); });
    return;
  }
  SetAwaitingJoin(placed, std::move(cb), done);
  if (state_ == GroupState::kPreparingRebalance) {
    TryCompleteJoin(now_ms, done);
  } else {
    PrepareRebalance(now_ms, done);
  }
}

void Group::AddMemberAndRebalance(const JoinArgs& args, const std::string& member_id,
                                  int64_t now_ms, JoinCallback cb, Completions& done) {
  if (config_.max_size > 0 && members_.size() >= config_.max_size) {
    done.Add([cb = std::move(cb)] { cb(JoinError(KafkaError::kGroupMaxSizeReached)); });
    return;
  }
  if (members_.empty()) protocol_type_ = args.protocol_type;
  Member m;
  m.member_id = member_id;
  m.instance_id = args.group_instance_id;
  m.client_id = args.client_id;
  m.client_host = args.client_host;
  m.session_timeout_ms = args.session_timeout_ms;
  m.rebalance_timeout_ms = args.rebalance_timeout_ms;
  m.protocols = args.protocols;
  m.last_heartbeat_ms = now_ms;
  m.awaiting_join = std::move(cb);
  if (m.instance_id.has_value()) instances_[*m.instance_id] = member_id;
  if (leader_.empty()) leader_ = member_id;
  members_.emplace(member_id, std::move(m));
  if (state_ == GroupState::kPreparingRebalance) {
    if (initial_delay_) {
      // Another member during the initial delay: wait a little longer for more.
      join_deadline_ms_ =
          std::min(now_ms + config_.initial_rebalance_delay_ms, rebalance_deadline_ms_);
    }
    TryCompleteJoin(now_ms, done);
  } else {
    PrepareRebalance(now_ms, done);
  }
}

void Group::SetAwaitingJoin(Member& m, JoinCallback cb, Completions& done) {
  if (m.awaiting_join) {
    // A second join from the same member replaces the first.
    done.Add([f = std::move(m.awaiting_join)] { f(JoinError(KafkaError::kRebalanceInProgress)); });
  }
  m.awaiting_join = std::move(cb);
}

void Group::PrepareRebalance(int64_t now_ms, Completions& done) {
  if (state_ == GroupState::kCompletingRebalance) {
    // Followers waiting for the leader's assignment learn of the new rebalance.
    for (auto& [id, m] : members_) {
      m.assignment.clear();
      if (m.awaiting_sync) {
        done.Add(
            [f = std::move(m.awaiting_sync)] { f(SyncError(KafkaError::kRebalanceInProgress)); });
        m.awaiting_sync = nullptr;
      }
    }
  }
  int64_t timeout = 0;
  for (const auto& [id, m] : members_) timeout = std::max<int64_t>(timeout, m.rebalance_timeout_ms);
  initial_delay_ = state_ == GroupState::kEmpty;
  rebalance_deadline_ms_ = now_ms + timeout;
  join_deadline_ms_ = std::min(now_ms + config_.initial_rebalance_delay_ms, rebalance_deadline_ms_);
  state_ = GroupState::kPreparingRebalance;
  TryCompleteJoin(now_ms, done);
}

void Group::TryCompleteJoin(int64_t now_ms, Completions& done) {
  if (state_ != GroupState::kPreparingRebalance) return;
  if (initial_delay_) {
    if (now_ms >= join_deadline_ms_) CompleteJoin(now_ms, done);
    return;
  }
  bool all_joined = pending_.empty();
  for (const auto& [id, m] : members_)
    all_joined = all_joined && static_cast<bool>(m.awaiting_join);
  if (all_joined || now_ms >= rebalance_deadline_ms_) CompleteJoin(now_ms, done);
}

void Group::CompleteJoin(int64_t now_ms, Completions& done) {
  // Dynamic members that did not rejoin in time are dropped; static members
  // keep their place until their session expires.
  for (auto it = members_.begin(); it != members_.end();) {
    const Member& m = it->second;
    if (!m.awaiting_join && !m.instance_id.has_value()) {
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
  pending_.clear();
  initial_delay_ = false;
  ++generation_;
  if (members_.empty()) {
    state_ = GroupState::kEmpty;
    protocol_name_.clear();
    leader_.clear();
    empty_since_ms_ = now_ms;
    return;
  }
  if (members_.count(leader_) == 0) {
    leader_ = members_.begin()->first;
    for (const auto& [id, m] : members_) {
      if (m.awaiting_join) {
        leader_ = id;
        break;
      }
    }
  }
  protocol_name_ = SelectProtocol();
  state_ = GroupState::kCompletingRebalance;
  for (auto& [id, m] : members_) {
    m.last_heartbeat_ms = now_ms;
    if (!m.awaiting_join) continue;
    JoinResult r = CurrentJoinResult(m);
    done.Add([f = std::move(m.awaiting_join), r = std::move(r)] { f(r); });
    m.awaiting_join = nullptr;
  }
}

std::string Group::SelectProtocol() const {
  // Candidates: protocols every member supports. Each member votes for its
  // most preferred candidate; the most votes wins (ties: first by name).
  std::map<std::string, int> votes;
  const Member& any = members_.begin()->second;
  for (const Protocol& p : any.protocols) {
    bool all = true;
    for (const auto& [id, m] : members_) all = all && MetadataFor(m, p.name) != nullptr;
    if (all) votes[p.name] = 0;
  }
  for (const auto& [id, m] : members_) {
    for (const Protocol& p : m.protocols) {
      auto it = votes.find(p.name);
      if (it != votes.end()) {
        ++it->second;
        break;
      }
    }
  }
  std::string best;
  int best_votes = -1;
  for (const auto& [name, n] : votes) {
    if (n > best_votes) {
      best = name;
      best_votes = n;
    }
  }
  return best;
}

const Bytes* Group::MetadataFor(const Member& m, const std::string& protocol) const {
  for (const Protocol& p : m.protocols) {
    if (p.name == protocol) return &p.metadata;
  }
  return nullptr;
}

JoinResult Group::CurrentJoinResult(const Member& m) const {
  JoinResult r;
  r.generation_id = generation_;
  r.protocol_type = protocol_type_;
  r.protocol_name = protocol_name_;
  r.leader = leader_;
  r.member_id = m.member_id;
  if (m.member_id == leader_) {
    for (const auto& [id, other] : members_) {
      const Bytes* md = MetadataFor(other, protocol_name_);
      r.members.push_back({id, other.instance_id, md != nullptr ? *md : Bytes()});
    }
  }
  return r;
}

void Group::Sync(const SyncArgs& args, int64_t now_ms, SyncCallback cb, Completions& done) {
  auto fail = [&](KafkaError e) { done.Add([cb = std::move(cb), e] { cb(SyncError(e)); }); };
  if (state_ == GroupState::kDead) return fail(KafkaError::kCoordinatorNotAvailable);
  KafkaError err = CheckMember(args.member_id, args.group_instance_id);
  if (err != KafkaError::kNone) return fail(err);
  if (args.generation_id != generation_) return fail(KafkaError::kIllegalGeneration);
  if ((args.protocol_type.has_value() && *args.protocol_type != protocol_type_) ||
      (args.protocol_name.has_value() && *args.protocol_name != protocol_name_)) {
    return fail(KafkaError::kInconsistentGroupProtocol);
  }
  Member& m = members_.at(args.member_id);
  m.last_heartbeat_ms = now_ms;
  switch (state_) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return fail(KafkaError::kUnknownMemberId);
    case GroupState::kPreparingRebalance:
      return fail(KafkaError::kRebalanceInProgress);
    case GroupState::kStable: {
      SyncResult r{KafkaError::kNone, protocol_type_, protocol_name_, m.assignment};
      done.Add([cb = std::move(cb), r = std::move(r)] { cb(r); });
      return;
    }
    case GroupState::kCompletingRebalance:
      break;
  }
  if (m.awaiting_sync) {
    done.Add([f = std::move(m.awaiting_sync)] { f(SyncError(KafkaError::kRebalanceInProgress)); });
  }
  m.awaiting_sync = std::move(cb);
  if (args.member_id != leader_) return;  // followers wait for the leader
  for (auto& [id, member] : members_) member.assignment.clear();
  for (const auto& [id, bytes] : args.assignments) {
    auto it = members_.find(id);
    if (it != members_.end()) it->second.assignment = bytes;
  }
  state_ = GroupState::kStable;
  for (auto& [id, member] : members_) {
    member.last_heartbeat_ms = now_ms;
    if (!member.awaiting_sync) continue;
    SyncResult r{KafkaError::kNone, protocol_type_, protocol_name_, member.assignment};
    done.Add([f = std::move(member.awaiting_sync), r = std::move(r)] { f(r); });
    member.awaiting_sync = nullptr;
  }
}

KafkaError Group::Heartbeat(int32_t generation_id, const std::string& member_id,
                            const std::optional<std::string>& instance_id, int64_t now_ms) {
  if (state_ == GroupState::kDead) return KafkaError::kCoordinatorNotAvailable;
  if (state_ == GroupState::kEmpty) return KafkaError::kUnknownMemberId;
  KafkaError err = CheckMember(member_id, instance_id);
  if (err != KafkaError::kNone) return err;
  if (generation_id != generation_) return KafkaError::kIllegalGeneration;
  members_.at(member_id).last_heartbeat_ms = now_ms;
  return state_ == GroupState::kPreparingRebalance ? KafkaError::kRebalanceInProgress
                                                   : KafkaError::kNone;
}

KafkaError Group::Leave(const std::string& member_id, const std::optional<std::string>& instance_id,
                        int64_t now_ms, Completions& done) {
  if (state_ == GroupState::kDead) return KafkaError::kCoordinatorNotAvailable;
  std::string id = member_id;
  if (instance_id.has_value()) {
    auto it = instances_.find(*instance_id);
    if (it == instances_.end()) return KafkaError::kUnknownMemberId;
    if (!member_id.empty() && it->second != member_id) return KafkaError::kFencedInstanceId;
    id = it->second;
  }
  if (pending_.erase(id) > 0) {
    TryCompleteJoin(now_ms, done);
    return KafkaError::kNone;
  }
  if (members_.count(id) == 0) return KafkaError::kUnknownMemberId;
  RemoveMember(id, now_ms, done);
  return KafkaError::kNone;
}

void Group::RemoveMember(const std::string& member_id, int64_t now_ms, Completions& done) {
  auto it = members_.find(member_id);
  Member& m = it->second;
  if (m.awaiting_join) {
    done.Add([f = std::move(m.awaiting_join)] { f(JoinError(KafkaError::kUnknownMemberId)); });
  }
  if (m.awaiting_sync) {
    done.Add([f = std::move(m.awaiting_sync)] { f(SyncError(KafkaError::kUnknownMemberId)); });
  }
  if (m.instance_id.has_value()) instances_.erase(*m.instance_id);
  members_.erase(it);
  if (leader_ == member_id) leader_ = members_.empty() ? "" : members_.begin()->first;
  switch (state_) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      PrepareRebalance(now_ms, done);
      break;
    case GroupState::kPreparingRebalance:
      TryCompleteJoin(now_ms, done);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

KafkaError Group::CheckCommit(int32_t generation_id, const std::string& member_id,
                              const std::optional<std::string>& instance_id, int64_t now_ms) {
  if (state_ == GroupState::kDead) return KafkaError::kCoordinatorNotAvailable;
  if (generation_id < 0 && state_ == GroupState::kEmpty) return KafkaError::kNone;
  KafkaError err = CheckMember(member_id, instance_id);
  if (err == KafkaError::kFencedInstanceId) return err;
  if (state_ == GroupState::kCompletingRebalance) return KafkaError::kRebalanceInProgress;
  if (err != KafkaError::kNone) return err;
  if (generation_id != generation_) return KafkaError::kIllegalGeneration;
  members_.at(member_id).last_heartbeat_ms = now_ms;
  return KafkaError::kNone;
}

void Group::Tick(int64_t now_ms, Completions& done) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    it = it->second <= now_ms ? pending_.erase(it) : std::next(it);
  }
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_) {
    // A member whose join or sync is waiting is alive by definition.
    if (m.awaiting_join || m.awaiting_sync) continue;
    if (now_ms >= m.last_heartbeat_ms + m.session_timeout_ms) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    if (members_.count(id) > 0) RemoveMember(id, now_ms, done);
  }
  TryCompleteJoin(now_ms, done);
}

void Group::Shutdown(KafkaError error, Completions& done) {
  for (auto& [id, m] : members_) {
    if (m.awaiting_join) {
      done.Add([f = std::move(m.awaiting_join), error] { f(JoinError(error)); });
      m.awaiting_join = nullptr;
    }
    if (m.awaiting_sync) {
      done.Add([f = std::move(m.awaiting_sync), error] { f(SyncError(error)); });
      m.awaiting_sync = nullptr;
    }
  }
  members_.clear();
  instances_.clear();
  pending_.clear();
  state_ = GroupState::kDead;
}

GroupSummary Group::Summary() const {
  GroupSummary s;
  s.group_id = group_id_;
  s.state = state_;
  s.protocol_type = protocol_type_;
  s.generation_id = generation_;
  bool stable = state_ == GroupState::kStable;
  if (stable) s.protocol_name = protocol_name_;
  for (const auto& [id, m] : members_) {
    MemberSummary ms{id, m.instance_id, m.client_id, m.client_host, {}, {}};
    if (stable) {
      const Bytes* md = MetadataFor(m, protocol_name_);
      if (md != nullptr) ms.metadata = *md;
      ms.assignment = m.assignment;
    }
    s.members.push_back(std::move(ms));
  }
  return s;
}

std::set<std::string> Group::SubscribedTopics() const {
  std::set<std::string> topics;
  if (protocol_type_ != "consumer") return topics;
  for (const auto& [id, m] : members_) {
    const Bytes* md = MetadataFor(m, protocol_name_);
    if (md == nullptr && !m.protocols.empty()) md = &m.protocols.front().metadata;
    if (md == nullptr) continue;
    Result<std::vector<std::string>> parsed = ParseSubscriptionTopics(*md);
    if (parsed.ok()) topics.insert(parsed->begin(), parsed->end());
  }
  return topics;
}

}  // namespace sh::kafka::group
