// ClusterLoop: one agent's part in a cluster of agents (docs/cluster.md §2,
// §4, §5, §7). Every balance interval it heartbeats (when due), reads the
// live agents, every partition and every lease, runs the balancer
// (cluster/balancer.h) against what the broker leads, and carries out the
// plan: Broker::Lead for the partitions to acquire, Broker::HandOver for
// those to release (renewals are the broker's background work). It then
// publishes an immutable snapshot of the cluster that the Kafka handlers
// read through the ClusterView interface without touching the database.
//
// Every wal_sweep_interval_ms the live agent whose id sorts first also
// sweeps the WAL objects of departed agents (Broker::SweepDepartedWal,
// docs/cluster.md "WAL objects of departed agents"), on a thread of its own:
// a sweep may GET many objects, and the passes (heartbeats, takeovers) must
// not wait for it.
//
// Threads: Start() runs one pass on the caller's thread, then starts the
// loop's own thread and the sweep thread; the ClusterView methods may be called from any thread
// and never block (they copy a shared_ptr under a mutex). Errors of a pass
// are logged and the pass is retried on the next interval; nothing a pass
// meets crashes the agent.
//
// Shutdown order (the agent's main): Kafka server Stop, then ClusterLoop
// Stop (no more Lead calls), then Broker::Stop (seals and releases every
// lease), then Leave (delete the agents row so the others rebalance at
// once rather than after the agent timeout).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "broker/broker.h"
#include "cluster/balancer.h"
#include "agent/cluster_loop_options.h"
#include "cluster/membership.h"
#include "cluster/rendezvous.h"
#include "kafka/server/cluster_view.h"
#include "metadata/metadata_store.h"

namespace sh::agent {

// The cluster as one pass saw it. Immutable once published.
struct ClusterSnapshot {
  std::vector<kafka::BrokerNode> brokers;        // by node id
  std::vector<std::string> live_agent_ids;       // sorted
  std::map<std::string, int32_t> node_of_agent;  // live agents with a node id
  std::map<cluster::TopicPartition, kafka::PartitionLeadership> leaders;  // live holders only
};

// What one pass did, for logs and tests.
struct PassResult {
  size_t live_agents = 0;
  size_t acquired = 0;  // Lead() succeeded
  size_t acquire_failed = 0;
  size_t released = 0;  // HandOver() succeeded
  size_t release_failed = 0;
  size_t lost = 0;
};

class ClusterLoop final : public kafka::ClusterView {
 public:
  // InvalidArgument for bad options (membership timings, node id < 0, an
  // address that is not HOST:PORT). REQUIRES: metadata, broker and clock
  // outlive the loop; the broker runs in cluster mode.
  static Result<std::unique_ptr<ClusterLoop>> Create(ClusterLoopOptions options,
                                                     MetadataStore& metadata,
                                                     broker::Broker& broker, const Clock& clock);
  ~ClusterLoop() override;  // Stop()s; does not Leave()

  // Refuses (AlreadyExists, naming both agents) if a live agent other than
  // this one already has this node id; otherwise runs a first pass (its
  // errors are logged, not returned) and starts the thread.
  Status Start();
  // Stops and joins the thread. Idempotent.
  void Stop();
  // Deletes this agent's row (after Broker::Stop handed everything back).
  Status Leave();

  // One pass: heartbeat when due, plan, Lead / HandOver, publish. The
  // thread calls it every balance_interval_ms; tests call it directly.
  // Returns the first error that stopped the pass before it could plan
  // (listing agents, topics or leases); Lead / HandOver errors are counted
  // and logged, not returned.
  Result<PassResult> RunOnce();

  // The departed agents' WAL sweep, if this agent is the sweeper: the first
  // by id of the live agents of the last published snapshot (so normally one
  // agent sweeps). Returns false, having done nothing, if it is not (also
  // before the first pass); the broker's error if the sweep met one (logged
  // unless it repeats the previous one). The sweep thread calls it every
  // wal_sweep_interval_ms; tests call it directly.
  Result<bool> SweepOnce();

  // The node id clash check of Start(), on its own.
  Status CheckNodeIdUnique();

  std::shared_ptr<const ClusterSnapshot> snapshot() const;

  // kafka::ClusterView.
  int32_t self_node_id() const override { return options_.membership.node_id; }
  std::vector<kafka::BrokerNode> Brokers() const override;
  kafka::PartitionLeadership Leader(const std::string& topic, int32_t partition) const override;
  std::optional<int32_t> CoordinatorFor(const std::string& group_id) const override;

 private:
  ClusterLoop(ClusterLoopOptions options, MetadataStore& metadata, broker::Broker& broker,
              const Clock& clock);

  Result<std::vector<cluster::TopicPartition>> AllPartitions();
  void CarryOut(const cluster::Plan& plan, PassResult* result);
  std::shared_ptr<const ClusterSnapshot> BuildSnapshot(
      const std::vector<AgentInfo>& live, const std::vector<PartitionLease>& leases) const;
  void Publish(std::shared_ptr<const ClusterSnapshot> snapshot);
  // Logs a failure of this pass unless the previous pass logged the same.
  void LogFailure(const std::string& message);
  // Logs st unless it repeats the previous error; returns it. REQUIRES: pass_mu_ held.
  Status LogPassError(Status st);
  // Calls work every interval_ms until Stop(). For the loop's threads.
  void RunEvery(int64_t interval_ms, const std::function<void()>& work);

  const ClusterLoopOptions options_;
  MetadataStore& metadata_;
  broker::Broker& broker_;
  const Clock& clock_;
  std::unique_ptr<cluster::Membership> membership_;

  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const ClusterSnapshot> snapshot_;

  std::mutex pass_mu_;                      // one pass at a time (thread vs. tests)
  std::string last_error_;                  // guarded by pass_mu_: log a repeated error once
  std::vector<std::string> last_live_ids_;  // guarded by pass_mu_: log membership changes
  std::set<std::string> failures_;          // guarded by pass_mu_: this pass's failures
  std::set<std::string> logged_failures_;   // guarded by pass_mu_: the previous pass's

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  std::thread sweep_thread_;

  std::mutex sweep_mu_;           // one sweep at a time (thread vs. tests)
  std::string last_sweep_error_;  // guarded by sweep_mu_
};

}  // namespace sh::agent
