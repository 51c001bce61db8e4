// Balancer: what this agent should do with its leases now (docs/design.md §8,
// docs/cluster.md "Balancing and hand-over"). Pure: no I/O, no clock; the
// caller gathers the inputs (Membership::LiveAgentIds, the topics'
// partitions, MetadataStore::ListLeases, what it leads in-process) and
// carries out the plan.
//
// Per partition, with desired = DesiredOwner(partition, live agents):
//
//   lease row                      desired == self            desired == other
//   none                           acquire                    -
//   expired (anyone's)             acquire                    release if we lead it
//   ours, unexpired, led here      renew when due             release
//   ours, unexpired, not led here  acquire (same epoch)       release
//   other's, unexpired             wait (it releases, or      lost if we lead it
//                                  it expires)
//
// "Led here" = in `led`, the partitions this process has open. A lease
// row that is ours but not led here is a previous run of this agent: taking
// it again keeps its epoch (MetadataStore::AcquireLease) and recovery
// rebuilds the tail. An unexpired lease of another agent is never taken,
// even if that agent looks dead: it may still be acknowledging writes until
// its lease runs out (lease_safety.h).
//
// If self is not among the live agents (it left, or was never registered),
// nothing is acquired and every lease it holds is released (draining).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cluster/rendezvous.h"
#include "metadata/metadata_store.h"

namespace sh::cluster {

struct BalancerInput {
  std::string self;                        // this agent's id
  std::vector<std::string> live_agents;    // ids, any order
  std::vector<TopicPartition> partitions;  // every partition of every topic
  std::vector<PartitionLease> leases;      // MetadataStore::ListLeases()
  std::set<TopicPartition> led;            // partitions this process leads now
  int64_t now_ms = 0;                      // this agent's wall clock, as leases use
  int64_t lease_ms = 8000;                 // ttl of an acquire/renew
};

struct Plan {
  std::vector<TopicPartition> to_acquire;  // AcquireLease, then recover and serve
  std::vector<PartitionLease> to_release;  // seal the tail, stop serving, ReleaseLease
  std::vector<PartitionLease> to_renew;    // RenewLease with the lease's epoch
  std::vector<TopicPartition> waiting;     // ours by rendezvous, leased to another agent
  std::vector<TopicPartition> lost;        // led here, but the lease is another agent's
};

// True if less than 2/3 of lease_ms remains before expires_at_ms (so a lease
// is renewed about every lease_ms / 3, leaving two more tries before expiry).
bool RenewalDue(const PartitionLease& lease, int64_t now_ms, int64_t lease_ms);

// The plan for input, each list in partition order.
Plan PlanLeases(const BalancerInput& input);

}  // namespace sh::cluster
