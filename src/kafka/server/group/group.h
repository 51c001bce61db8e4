// Group: the state machine of one classic consumer group, as Kafka's
// GroupCoordinator runs it (docs/consumer-groups.md):
//
//   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
//     ^                    ^                                            |
//     |                    +---- join, leave, session expiry -----------+-- leader's sync
//     +---- last member gone                                            v
//                          +---------------------------------------- Stable
//   any --DeleteGroups--> Dead
//
// Time is passed in (monotonic milliseconds), so tests drive it by hand; the
// coordinator calls Tick() periodically to fire deadlines (rebalance timeout,
// initial delay, session expiry).
//
// Thread-safety: none; the coordinator serialises calls under its lock.
// Callbacks are never called directly: they are queued on a Completions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kafka/server/group/group_types.h"

namespace sh::kafka::group {

class Group {
 public:
  Group(std::string group_id, const GroupConfig& config, int64_t now_ms);

  void Join(const JoinArgs& args, int64_t now_ms, JoinCallback cb, Completions& done);
  void Sync(const SyncArgs& args, int64_t now_ms, SyncCallback cb, Completions& done);
  KafkaError Heartbeat(int32_t generation_id, const std::string& member_id,
                       const std::optional<std::string>& instance_id, int64_t now_ms);
  // One member of a LeaveGroup; member_id may be "" when instance_id is given.
  KafkaError Leave(const std::string& member_id, const std::optional<std::string>& instance_id,
                   int64_t now_ms, Completions& done);
  // Whether an OffsetCommit with these fields may commit; counts as a
  // heartbeat. generation -1 with no members is a standalone commit.
  KafkaError CheckCommit(int32_t generation_id, const std::string& member_id,
                         const std::optional<std::string>& instance_id, int64_t now_ms);
  // Fires deadlines: join completion, pending and member session expiry.
  void Tick(int64_t now_ms, Completions& done);
  // Answers every waiting request with `error` and marks the group Dead.
  void Shutdown(KafkaError error, Completions& done);

  GroupState state() const { return state_; }
  const std::string& group_id() const { return group_id_; }
  int32_t generation_id() const { return generation_; }
  const std::string& protocol_type() const { return protocol_type_; }
  const std::string& protocol_name() const { return protocol_name_; }
  const std::string& leader() const { return leader_; }
  size_t size() const { return members_.size(); }
  bool HasMember(const std::string& member_id) const { return members_.count(member_id) > 0; }
  // Whether KIP-394 member ids handed out are still awaited.
  bool HasPending() const { return !pending_.empty(); }
  // Monotonic ms when the group last became Empty (retention of its offsets).
  int64_t empty_since_ms() const { return empty_since_ms_; }
  GroupSummary Summary() const;
  // Topics the members subscribe to (consumer protocol only; OffsetDelete).
  std::set<std::string> SubscribedTopics() const;

 private:
  struct Member {
    std::string member_id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::vector<Protocol> protocols;
    Bytes assignment;
    JoinCallback awaiting_join;  // set while its JoinGroup waits
    SyncCallback awaiting_sync;  // set while its SyncGroup waits
    int64_t last_heartbeat_ms = 0;
  };

  bool SupportsProtocols(const JoinArgs& args) const;
  void JoinUnknownMember(const JoinArgs& args, int64_t now_ms, JoinCallback cb, Completions& done);
  void JoinKnownMember(const JoinArgs& args, int64_t now_ms, JoinCallback cb, Completions& done);
  void ReplaceStaticMember(const JoinArgs& args, const std::string& old_id, int64_t now_ms,
                           JoinCallback cb, Completions& done);
  void AddMemberAndRebalance(const JoinArgs& args, const std::string& member_id, int64_t now_ms,
                             JoinCallback cb, Completions& done);
  void SetAwaitingJoin(Member& m, JoinCallback cb, Completions& done);
  void PrepareRebalance(int64_t now_ms, Completions& done);
  void TryCompleteJoin(int64_t now_ms, Completions& done);
  void CompleteJoin(int64_t now_ms, Completions& done);
  void RemoveMember(const std::string& member_id, int64_t now_ms, Completions& done);
  std::string SelectProtocol() const;
  JoinResult CurrentJoinResult(const Member& m) const;
  const Bytes* MetadataFor(const Member& m, const std::string& protocol) const;
  std::string NewMemberId(const std::string& client_id);
  // UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID / NONE for a request naming a member.
  KafkaError CheckMember(const std::string& member_id,
                         const std::optional<std::string>& instance_id) const;

  const std::string group_id_;
  const GroupConfig config_;
  GroupState state_ = GroupState::kEmpty;
  int32_t generation_ = 0;
  std::string protocol_type_;
  std::string protocol_name_;
  std::string leader_;
  std::map<std::string, Member> members_;         // by member id
  std::map<std::string, std::string> instances_;  // group.instance.id -> member id
  std::map<std::string, int64_t> pending_;        // KIP-394 ids handed out -> expiry
  int64_t empty_since_ms_ = 0;
  // PreparingRebalance deadlines.
  bool initial_delay_ = false;         // the first rebalance of an Empty group
  int64_t join_deadline_ms_ = 0;       // initial delay: complete at this time
  int64_t rebalance_deadline_ms_ = 0;  // complete at this time whoever has joined
  std::mt19937_64 rng_;
};

}  // namespace sh::kafka::group
