// ClusterLoopOptions: what a cluster agent's membership and balancing loop
// (ClusterLoop, cluster_loop.h) is configured with. Apart so that the agent's
// settings (agent_config.h) take their defaults from here.
#pragma once

#include <cstdint>

#include "broker/broker.h"
#include "cluster/membership.h"

namespace sh::agent {

struct ClusterLoopOptions {
  // Agent id, advertised HOST:PORT, zone (Metadata rack), node id (Kafka
  // broker id, unique among live agents, >= 0 here) and heartbeat timings.
  cluster::MembershipOptions membership;
  int64_t balance_interval_ms = 500;
  // The ttl the broker acquires with (balancer renewal timing): the broker's.
  int64_t lease_ms = broker::BrokerOptions{}.lease_ms;
  int64_t wal_sweep_interval_ms = 60'000;  // departed agents' WAL sweep period (> 0)

  bool operator==(const ClusterLoopOptions&) const = default;
};

}  // namespace sh::agent
