// Value types of the classic consumer group protocol: what a JoinGroup or
// SyncGroup asks, what it is answered, and the callbacks that carry answers
// which arrive later (a join waits for the rebalance, a follower's sync waits
// for the leader's assignment). See docs/consumer-groups.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "kafka/server/errors.h"

namespace sh::kafka::group {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
const char* StateName(GroupState state);

struct Protocol {
  std::string name;
  Bytes metadata;
};

struct JoinArgs {
  std::string group_id;
  std::string member_id;  // "" for a first join
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string client_id;
  std::string client_host;
  // KIP-394 (JoinGroup v4+): a first join without a member id is answered
  // MEMBER_ID_REQUIRED with a new id, and counts only once it comes back.
  bool require_known_member_id = false;
};

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  Bytes metadata;  // for the chosen protocol
};

struct JoinResult {
  KafkaError error = KafkaError::kNone;
  int32_t generation_id = -1;
  std::string protocol_type;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinedMember> members;  // only the leader's answer lists them
};

struct SyncArgs {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;  // v5+, checked when given
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, Bytes>> assignments;  // the leader's: member id -> bytes
};

struct SyncResult {
  KafkaError error = KafkaError::kNone;
  std::string protocol_type;
  std::string protocol_name;
  Bytes assignment;
};

// Called exactly once per request, possibly from another thread and possibly
// before Join/Sync returns; never with a lock of the coordinator held.
using JoinCallback = std::function<void(JoinResult)>;
using SyncCallback = std::function<void(SyncResult)>;

// Deferred calls of callbacks: the state machine queues them while the
// coordinator's lock is held; the coordinator runs them after unlocking.
class Completions {
 public:
  void Add(std::function<void()> fn) { fns_.push_back(std::move(fn)); }
  void RunAll() {
    std::vector<std::function<void()>> fns;
    fns.swap(fns_);
    for (auto& fn : fns) fn();
  }

 private:
  std::vector<std::function<void()>> fns_;
};

struct MemberSummary {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;    // for the chosen protocol; empty unless Stable
  Bytes assignment;  // empty unless Stable
};

struct GroupSummary {
  std::string group_id;
  GroupState state = GroupState::kDead;
  std::string protocol_type;
  std::string protocol_name;  // "" unless Stable
  int32_t generation_id = 0;
  std::vector<MemberSummary> members;
};

struct GroupConfig {
  // Kafka's group.initial.rebalance.delay.ms is 3000; a shorter default here
  // so that a first group forms quickly. Later members joining within the
  // delay extend it (up to the rebalance timeout).
  int64_t initial_rebalance_delay_ms = 300;
  int32_t min_session_timeout_ms = 6'000;      // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1'800'000;  // group.max.session.timeout.ms
  size_t max_size = 0;                         // group.max.size; 0: no limit

  bool operator==(const GroupConfig&) const = default;
};

}  // namespace sh::kafka::group
