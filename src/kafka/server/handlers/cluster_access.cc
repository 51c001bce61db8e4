#include "kafka/server/handlers/cluster_access.h"

#include <optional>

namespace sh::kafka {

std::shared_ptr<const ClusterView> ResolveClusterView(const HandlerOptions& options) {
  if (options.cluster != nullptr) {
    // Not owned: an aliasing pointer with no control block.
    return std::shared_ptr<const ClusterView>(std::shared_ptr<const ClusterView>(),
                                              options.cluster);
  }
  return std::make_shared<SingleAgentView>(
      BrokerNode{options.node_id, options.advertised_host, options.advertised_port, ""});
}

KafkaError LeadershipError(const ClusterView* view, const std::string& topic, int32_t partition) {
  if (view == nullptr) return KafkaError::kNone;
  int32_t leader = view->Leader(topic, partition).leader_node_id;
  if (leader >= 0 && leader != view->self_node_id()) return KafkaError::kNotLeaderOrFollower;
  return KafkaError::kNone;
}

KafkaError LeaderEpochError(int32_t current_leader_epoch, int32_t leader_epoch) {
  if (current_leader_epoch < 0 || current_leader_epoch == leader_epoch) return KafkaError::kNone;
  return current_leader_epoch < leader_epoch ? KafkaError::kFencedLeaderEpoch
                                             : KafkaError::kUnknownLeaderEpoch;
}

KafkaError CoordinatorError(const ClusterView* view, const std::string& group_id) {
  if (view == nullptr) return KafkaError::kNone;
  std::optional<int32_t> coordinator = view->CoordinatorFor(group_id);
  if (!coordinator.has_value()) return KafkaError::kCoordinatorNotAvailable;
  return *coordinator == view->self_node_id() ? KafkaError::kNone : KafkaError::kNotCoordinator;
}

}  // namespace sh::kafka
