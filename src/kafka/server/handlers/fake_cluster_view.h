// For handler tests: a ClusterView whose brokers, partition leaders and group
// coordinators are set by the test.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/server/cluster_view.h"

namespace sh::kafka::testing {

class FakeClusterView final : public ClusterView {
 public:
  FakeClusterView(int32_t self, std::vector<BrokerNode> brokers)
      : self_(self), brokers_(std::move(brokers)) {}

  // Partitions not set are led here with no epoch (the broker's is used).
  void SetLeader(const std::string& topic, int32_t partition, int32_t node, int32_t epoch) {
    leaders_[{topic, partition}] = {node, epoch};
  }
  // Groups not set are coordinated here; nullopt: by no agent.
  void SetCoordinator(const std::string& group, std::optional<int32_t> node) {
    coordinators_[group] = node;
  }

  int32_t self_node_id() const override { return self_; }
  std::vector<BrokerNode> Brokers() const override { return brokers_; }
  PartitionLeadership Leader(const std::string& topic, int32_t partition) const override {
    auto it = leaders_.find({topic, partition});
    return it == leaders_.end() ? PartitionLeadership{self_, -1} : it->second;
  }
  std::optional<int32_t> CoordinatorFor(const std::string& group_id) const override {
    auto it = coordinators_.find(group_id);
    return it == coordinators_.end() ? std::optional<int32_t>(self_) : it->second;
  }

 private:
  int32_t self_;
  std::vector<BrokerNode> brokers_;
  std::map<std::pair<std::string, int32_t>, PartitionLeadership> leaders_;
  std::map<std::string, std::optional<int32_t>> coordinators_;
};

}  // namespace sh::kafka::testing
