// What every handler asks of the ClusterView (docs/cluster.md §7,
// docs/kafka-server.md "Several agents"): may this agent answer for a
// partition or a group, and does a client's current_leader_epoch match.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kafka/server/cluster_view.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/handlers.h"

namespace sh::kafka {

// options.cluster (not owned: it must outlive the handlers), or, when null, a
// SingleAgentView of options' node id and advertised address.
std::shared_ptr<const ClusterView> ResolveClusterView(const HandlerOptions& options);

// NOT_LEADER_OR_FOLLOWER when the view names another node as the
// partition's leader: answered without asking the broker. kNone when this
// agent leads it or the view knows no leader (-1): then the broker decides,
// and refuses (Fenced -> NOT_LEADER_OR_FOLLOWER) what it does not lead.
// A null view leads everything.
KafkaError LeadershipError(const ClusterView* view, const std::string& topic, int32_t partition);

// Kafka's check of a request's current_leader_epoch against the leader's:
// -1 (absent) passes; older -> FENCED_LEADER_EPOCH; newer -> UNKNOWN_LEADER_EPOCH.
KafkaError LeaderEpochError(int32_t current_leader_epoch, int32_t leader_epoch);

// The partition's leader epoch as clients see it in Metadata: the view's
// when it knows one (>= 0), else `from_broker` (the broker's lease epoch).
template <typename FromBroker>
auto EffectiveLeaderEpoch(const ClusterView* view, const std::string& topic, int32_t partition,
                          FromBroker from_broker) -> decltype(from_broker()) {
  if (view != nullptr) {
    int32_t epoch = view->Leader(topic, partition).leader_epoch;
    if (epoch >= 0) return epoch;
  }
  return from_broker();
}

// kNone when this agent coordinates group_id; NOT_COORDINATOR when another
// node does; COORDINATOR_NOT_AVAILABLE when none does. A null view
// coordinates every group.
KafkaError CoordinatorError(const ClusterView* view, const std::string& group_id);

}  // namespace sh::kafka
