// Membership: this agent's row in the `agents` table, and who else is alive
// (docs/design.md §8, docs/cluster.md "Registration and heartbeats").
//
// Each agent calls Heartbeat() every heartbeat_interval_ms; the row's
// last_heartbeat is the agent's own wall clock. An agent is live while
// now - last_heartbeat < agent_timeout_ms, judged by the observer's clock
// (so the timeout must exceed clock skew plus a heartbeat interval by a
// wide margin). Leave() deletes the row on a graceful stop, so the others
// rebalance at once instead of after the timeout.
//
// Liveness decides only who *should* own a partition (rendezvous over the
// live agents). It is never what keeps two leaders apart: that is the lease
// and its epoch (balancer.h, lease_safety.h). A wrong liveness view costs a
// useless hand-over, never a lost or forked record.
//
// Thread-safe. Methods block on the metadata store.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "metadata/metadata_store.h"

namespace sh::cluster {

struct MembershipOptions {
  std::string agent_id;
  std::string address;  // advertised host:port for Kafka clients
  std::string zone;
  int64_t heartbeat_interval_ms = 1000;
  int64_t agent_timeout_ms = 6000;
  int32_t node_id = -1;  // Kafka broker id clients see; -1 if not addressable

  bool operator==(const MembershipOptions&) const = default;
};

// InvalidArgument unless agent_id is non-empty (at most 255 bytes, the WAL
// limit), heartbeat_interval_ms > 0 and agent_timeout_ms > 2 * heartbeat_interval_ms
// (one late heartbeat must not make an agent look dead).
Status ValidateMembershipOptions(const MembershipOptions& options);

class Membership {
 public:
  // REQUIRES: metadata and clock outlive this object.
  Membership(MetadataStore& metadata, const Clock& clock, MembershipOptions options);

  const MembershipOptions& options() const { return options_; }

  // Upserts this agent's row with last_heartbeat = now. started_at is the
  // time of the first Heartbeat after construction (or after Leave) and is
  // kept by later ones. InvalidArgument for bad options; the store's error
  // (with context) if the write fails.
  Status Heartbeat();
  // True if no heartbeat succeeded yet or the last one is
  // heartbeat_interval_ms old.
  bool HeartbeatDue() const;

  // The live agents, sorted by agent id. This agent is always included once
  // a Heartbeat succeeded (until Leave), even if its row is missing or
  // stale: an agent that cannot reach the store still knows it is alive, and
  // its leases, not this list, decide what it may serve.
  Result<std::vector<AgentInfo>> LiveAgents() const;
  // The ids of LiveAgents(), sorted.
  Result<std::vector<std::string>> LiveAgentIds() const;

  // Deletes this agent's row (graceful stop). OK if it was already gone.
  // After Leave this agent is no longer in LiveAgents until it heartbeats again.
  Status Leave();

 private:
  AgentInfo SelfRow(int64_t now_ms) const;  // REQUIRES: mu_ held

  MetadataStore& metadata_;
  const Clock& clock_;
  const MembershipOptions options_;

  mutable std::mutex mu_;
  bool joined_ = false;            // a Heartbeat succeeded since construction / Leave
  int64_t started_at_ms_ = 0;      // valid while joined_ or pending the first heartbeat
  int64_t last_heartbeat_ms_ = 0;  // of the last successful Heartbeat
};

}  // namespace sh::cluster
