#include "cluster/balancer.h"

#include <algorithm>
#include <map>
#include <optional>

namespace sh::cluster {

bool RenewalDue(const PartitionLease& lease, int64_t now_ms, int64_t lease_ms) {
  int64_t remaining = lease.expires_at_ms - now_ms;
  return remaining * 3 < lease_ms * 2;
}

namespace {

struct Decision {
  const BalancerInput& in;
  bool self_live;
  Plan plan;

  void Visit(const TopicPartition& tp, const PartitionLease* lease) {
    std::optional<std::string> desired;
    if (self_live) desired = DesiredOwner(tp.topic, tp.partition, in.live_agents);
    bool want = desired.has_value() && *desired == in.self;
    bool led = in.led.count(tp) > 0;
    if (lease == nullptr) {
      if (want) plan.to_acquire.push_back(tp);
      if (led) plan.lost.push_back(tp);  // the row vanished: the topic is being deleted
      return;
    }
    bool ours = lease->leader_agent_id == in.self;
    bool expired = lease->expires_at_ms <= in.now_ms;
    if (!ours && !expired) {
      if (want) plan.waiting.push_back(tp);
      if (led) plan.lost.push_back(tp);
      return;
    }
    if (want) {
      if (ours && !expired && led) {
        if (RenewalDue(*lease, in.now_ms, in.lease_ms)) plan.to_renew.push_back(*lease);
      } else {
        plan.to_acquire.push_back(tp);
      }
      return;
    }
    // Not ours by rendezvous: hand back what we hold or still serve.
    if (ours && (!expired || led)) {
      plan.to_release.push_back(*lease);
    } else if (led) {
      plan.lost.push_back(tp);  // expired and last held by another agent
    }
  }
};

}  // namespace

Plan PlanLeases(const BalancerInput& input) {
  std::map<TopicPartition, const PartitionLease*> by_partition;
  for (const auto& lease : input.leases) {
    by_partition[TopicPartition{lease.topic, lease.partition}] = &lease;
  }
  std::vector<TopicPartition> partitions = input.partitions;
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  bool self_live = std::find(input.live_agents.begin(), input.live_agents.end(), input.self) !=
                   input.live_agents.end();
  Decision d{input, self_live, {}};
  for (const auto& tp : partitions) {
    auto it = by_partition.find(tp);
    d.Visit(tp, it == by_partition.end() ? nullptr : it->second);
  }
  return std::move(d.plan);
}

}  // namespace sh::cluster
