// ClusterView: what the Kafka handlers need to know about the other agents
// (docs/cluster.md §7): which agents are live (Metadata brokers), who leads
// each partition and with which epoch, and which agent coordinates a group.
//
// One agent alone (embedded mode) uses SingleAgentView: it is every broker,
// leads every partition and coordinates every group. In cluster mode the
// agent's cluster loop implements this from the agents and partition_leases
// tables (refreshed on every balance pass, so calls never query the
// database). Thread-safe; calls must not block.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sh::kafka {

struct BrokerNode {
  int32_t node_id = 0;
  std::string host;
  int32_t port = 0;
  std::string rack;  // the agent's zone; "" for none
};

struct PartitionLeadership {
  int32_t leader_node_id = -1;  // -1: no live leader now (LEADER_NOT_AVAILABLE)
  int32_t leader_epoch = -1;
};

class ClusterView {
 public:
  virtual ~ClusterView() = default;
  // This agent's node id.
  virtual int32_t self_node_id() const = 0;
  // The live agents, this one included, by node id.
  virtual std::vector<BrokerNode> Brokers() const = 0;
  // The current leader of a partition.
  virtual PartitionLeadership Leader(const std::string& topic, int32_t partition) const = 0;
  // The node coordinating a consumer group; nullopt while no agent is live
  // to take it (COORDINATOR_NOT_AVAILABLE).
  virtual std::optional<int32_t> CoordinatorFor(const std::string& group_id) const = 0;
};

// One agent: itself as the only broker, leader of everything (epoch from the
// broker), coordinator of every group.
class SingleAgentView final : public ClusterView {
 public:
  explicit SingleAgentView(BrokerNode self) : self_(std::move(self)) {}
  int32_t self_node_id() const override { return self_.node_id; }
  std::vector<BrokerNode> Brokers() const override { return {self_}; }
  // leader_epoch -1: the handler asks the broker for the epoch of its lease.
  PartitionLeadership Leader(const std::string&, int32_t) const override {
    return {self_.node_id, -1};
  }
  std::optional<int32_t> CoordinatorFor(const std::string&) const override {
    return self_.node_id;
  }

 private:
  BrokerNode self_;
};

}  // namespace sh::kafka
