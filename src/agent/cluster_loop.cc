#include "agent/cluster_loop.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>
#include <utility>

#include "agent/agent_config.h"
#include "base/log.h"
#include "base/thread_name.h"

namespace sh::agent {

namespace {

std::string Describe(const std::vector<AgentInfo>& live) {
  std::ostringstream out;
  for (size_t i = 0; i < live.size(); ++i) {
    out << (i ? ", " : "") << live[i].agent_id << " (node " << live[i].node_id << ")";
  }
  return out.str();
}

}  // namespace

Result<std::unique_ptr<ClusterLoop>> ClusterLoop::Create(ClusterLoopOptions options,
                                                         MetadataStore& metadata,
                                                         broker::Broker& broker,
                                                         const Clock& clock) {
  SH_RETURN_IF_ERROR(cluster::ValidateMembershipOptions(options.membership));
  if (options.membership.node_id < 0) {
    return Status::InvalidArgument("agent " + options.membership.agent_id + ": node id " +
                                   std::to_string(options.membership.node_id) + " is negative");
  }
  std::string host;
  uint16_t port = 0;
  Status address = ParseHostPort(options.membership.address, &host, &port);
  if (!address.ok())
    return address.WithContext("advertised address of " + options.membership.agent_id);
  if (options.balance_interval_ms <= 0 || options.lease_ms <= 0 ||
      options.wal_sweep_interval_ms <= 0) {
    return Status::InvalidArgument(
        "cluster.balance_interval_ms, lease.ms and wal.sweep_interval_ms must be positive");
  }
  if (!broker.options().cluster_mode) {
    return Status::InvalidArgument("the cluster loop needs a broker in cluster mode");
  }
  if (options.membership.agent_timeout_ms >= options.lease_ms) {
    SH_LOG(WARN) << "cluster: agent timeout " << options.membership.agent_timeout_ms
                 << " ms is not below lease.ms " << options.lease_ms
                 << " ms: a dead agent's partitions wait for the timeout (docs/cluster.md §4)";
  }
  return std::unique_ptr<ClusterLoop>(new ClusterLoop(std::move(options), metadata, broker, clock));
}

ClusterLoop::ClusterLoop(ClusterLoopOptions options, MetadataStore& metadata,
                         broker::Broker& broker, const Clock& clock)
    : options_(std::move(options)), metadata_(metadata), broker_(broker), clock_(clock) {
  membership_ = std::make_unique<cluster::Membership>(metadata_, clock_, options_.membership);
  // Until the first pass: no broker, no leader, no coordinator.
  snapshot_ = std::make_shared<const ClusterSnapshot>();
}

ClusterLoop::~ClusterLoop() { Stop(); }

Status ClusterLoop::CheckNodeIdUnique() {
  auto rows = metadata_.ListAgents();
  if (!rows.ok())
    return rows.status().WithContext("check node id of agent " + options_.membership.agent_id);
  int64_t now = clock_.NowMs();
  for (const AgentInfo& row : *rows) {
    if (row.agent_id == options_.membership.agent_id || row.node_id != options_.membership.node_id)
      continue;
    if (now - row.last_heartbeat_ms >= options_.membership.agent_timeout_ms) continue;  // gone
    return Status::AlreadyExists("node id " + std::to_string(options_.membership.node_id) +
                                 " is already used by live agent " + row.agent_id + " (" +
                                 row.address + "); agent " + options_.membership.agent_id +
                                 " needs its own agent.node_id");
  }
  return Status::OK();
}

Status ClusterLoop::Start() {
  SH_RETURN_IF_ERROR(CheckNodeIdUnique());
  auto first = RunOnce();
  if (!first.ok()) {
    SH_LOG(WARN) << "cluster: first pass: " << first.status().ToString();
  }
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return Status::OK();
  stopping_ = false;
  // Each logs its own errors.
  thread_ = std::thread([this] {
    SetCurrentThreadName("sh-cluster");
    RunEvery(options_.balance_interval_ms, [this] { (void)RunOnce(); });
  });
  sweep_thread_ = std::thread([this] {
    SetCurrentThreadName("sh-sweep");
    RunEvery(options_.wal_sweep_interval_ms, [this] { (void)SweepOnce(); });
  });
  return Status::OK();
}

void ClusterLoop::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (sweep_thread_.joinable()) sweep_thread_.join();  // waits for a sweep under way
}

Status ClusterLoop::Leave() {
  Status st = membership_->Leave();
  if (st.ok()) {
    SH_LOG(INFO) << "cluster: agent " << options_.membership.agent_id << " left the cluster";
  }
  return st;
}

void ClusterLoop::RunEvery(int64_t interval_ms, const std::function<void()>& work) {
  std::unique_lock lock(thread_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    work();
    lock.lock();
  }
}

Result<bool> ClusterLoop::SweepOnce() {
  std::lock_guard lock(sweep_mu_);
  std::shared_ptr<const ClusterSnapshot> snap = snapshot();
  // live_agent_ids is sorted. A stale snapshot may make two agents sweep at
  // once: harmless, as deleting a covered object twice is fine (NotFound
  // counts as deleted), and only covered objects are ever deleted.
  if (snap->live_agent_ids.empty() || snap->live_agent_ids.front() != options_.membership.agent_id)
    return false;
  std::set<std::string> live(snap->live_agent_ids.begin(), snap->live_agent_ids.end());
  Status st = broker_.SweepDepartedWal(live);
  if (!st.ok()) {
    if (st.ToString() != last_sweep_error_) {
      last_sweep_error_ = st.ToString();
      SH_LOG(WARN) << "cluster: " << last_sweep_error_;
    }
    return st;
  }
  last_sweep_error_.clear();
  return true;
}

Result<std::vector<cluster::TopicPartition>> ClusterLoop::AllPartitions() {
  // One query: a topic's partition count is its partitions 0..count-1
  // (AddPartitions changes both in one transaction).
  auto topics = metadata_.ListTopics();
  if (!topics.ok()) return topics.status().WithContext("list topics");
  std::vector<cluster::TopicPartition> out;
  for (const TopicInfo& topic : *topics) {
    for (int32_t p = 0; p < topic.partition_count; ++p) out.push_back({topic.name, p});
  }
  return out;
}

Result<PassResult> ClusterLoop::RunOnce() {
  std::lock_guard lock(pass_mu_);
  if (membership_->HeartbeatDue()) {
    // A failed heartbeat is not fatal: our leases, not the list, decide
    // what we may serve (docs/cluster.md §2).
    Status st = membership_->Heartbeat();
    if (!st.ok()) (void)LogPassError(st);
  }
  auto live = membership_->LiveAgents();
  if (!live.ok()) return LogPassError(live.status());
  auto partitions = AllPartitions();
  if (!partitions.ok()) return LogPassError(partitions.status());
  auto leases = metadata_.ListLeases();
  if (!leases.ok()) return LogPassError(leases.status().WithContext("list leases"));

  cluster::BalancerInput input;
  input.self = options_.membership.agent_id;
  for (const AgentInfo& agent : *live) input.live_agents.push_back(agent.agent_id);
  input.partitions = std::move(*partitions);
  input.leases = *leases;
  for (const broker::LedPartition& p : broker_.Led()) input.led.insert({p.topic, p.partition});
  input.now_ms = clock_.NowMs();
  input.lease_ms = options_.lease_ms;
  cluster::Plan plan = cluster::PlanLeases(input);

  PassResult result;
  result.live_agents = live->size();
  CarryOut(plan, &result);
  logged_failures_ = std::move(failures_);
  failures_.clear();
  if (result.acquired + result.acquire_failed + result.released + result.release_failed > 0) {
    // The leases changed under our own hands: publish what the store holds now.
    auto after = metadata_.ListLeases();
    if (after.ok()) {
      leases = std::move(after);
    } else {
      (void)LogPassError(after.status().WithContext("list leases after acquiring"));
    }
  }
  Publish(BuildSnapshot(*live, *leases));
  last_error_.clear();
  if (input.live_agents != last_live_ids_) {  // log joins and departures only
    SH_LOG(INFO) << "cluster: " << live->size() << " live agents: " << Describe(*live);
    last_live_ids_ = input.live_agents;
  }
  return result;
}

void ClusterLoop::CarryOut(const cluster::Plan& plan, PassResult* result) {
  if (!plan.to_acquire.empty()) {
    std::vector<std::pair<std::string, int32_t>> wanted;
    for (const cluster::TopicPartition& tp : plan.to_acquire) {
      wanted.emplace_back(tp.topic, tp.partition);
    }
    std::vector<Status> statuses = broker_.Lead(wanted);
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (statuses[i].ok()) {
        ++result->acquired;
        continue;
      }
      ++result->acquire_failed;
      // Fenced: another agent took it between our read and our acquire; the
      // next pass sees its lease and waits.
      LogFailure("cannot lead " + cluster::ToString(plan.to_acquire[i]) + ": " +
                 statuses[i].ToString());
    }
  }
  for (const PartitionLease& lease : plan.to_release) {
    Status st = broker_.HandOver(lease.topic, lease.partition);
    if (st.ok()) {
      ++result->released;
      continue;
    }
    // The partition stays led; its lease is released on a later pass or
    // expires (slower, never unsafe: docs/cluster.md §5).
    ++result->release_failed;
    LogFailure("cannot hand over " + lease.topic + "/" + std::to_string(lease.partition) + ": " +
               st.ToString());
  }
  result->lost = plan.lost.size();
  for (const cluster::TopicPartition& tp : plan.lost) {
    LogFailure("lost the lease of " + cluster::ToString(tp) + " to another agent; not serving it");
  }
  if (result->acquired || result->released) {
    SH_LOG(INFO) << "cluster: acquired " << result->acquired << ", handed over " << result->released
                 << " partitions (" << result->acquire_failed << " + " << result->release_failed
                 << " failed)";
  }
}

std::shared_ptr<const ClusterSnapshot> ClusterLoop::BuildSnapshot(
    const std::vector<AgentInfo>& live, const std::vector<PartitionLease>& leases) const {
  auto snap = std::make_shared<ClusterSnapshot>();
  for (const AgentInfo& agent : live) {
    snap->live_agent_ids.push_back(agent.agent_id);
    if (agent.node_id < 0) continue;  // not addressable by Kafka clients
    kafka::BrokerNode node;
    uint16_t port = 0;
    if (!ParseHostPort(agent.address, &node.host, &port).ok()) continue;
    node.node_id = agent.node_id;
    node.port = port;
    node.rack = agent.zone;
    snap->brokers.push_back(std::move(node));
    snap->node_of_agent[agent.agent_id] = agent.node_id;
  }
  std::sort(snap->brokers.begin(), snap->brokers.end(),
            [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  std::sort(snap->live_agent_ids.begin(), snap->live_agent_ids.end());
  int64_t now = clock_.NowMs();
  for (const PartitionLease& lease : leases) {
    if (lease.expires_at_ms <= now) continue;  // expired: nobody may serve it
    auto holder = snap->node_of_agent.find(lease.leader_agent_id);
    if (holder == snap->node_of_agent.end()) continue;  // held by a dead agent
    snap->leaders[{lease.topic, lease.partition}] = {holder->second,
                                                     static_cast<int32_t>(lease.leader_epoch)};
  }
  return snap;
}

void ClusterLoop::Publish(std::shared_ptr<const ClusterSnapshot> snapshot) {
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = std::move(snapshot);
}

void ClusterLoop::LogFailure(const std::string& message) {
  // A partition that cannot be taken over is retried every pass: say so once.
  if (!logged_failures_.count(message)) {
    SH_LOG(WARN) << "cluster: " << message;
  }
  failures_.insert(message);
}

Status ClusterLoop::LogPassError(Status st) {
  // The database being down would otherwise log twice a second.
  if (st.ToString() != last_error_) {
    last_error_ = st.ToString();
    SH_LOG(WARN) << "cluster: " << last_error_;
  }
  return st;
}

std::shared_ptr<const ClusterSnapshot> ClusterLoop::snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

std::vector<kafka::BrokerNode> ClusterLoop::Brokers() const { return snapshot()->brokers; }

kafka::PartitionLeadership ClusterLoop::Leader(const std::string& topic, int32_t partition) const {
  auto snap = snapshot();
  auto it = snap->leaders.find({topic, partition});
  return it == snap->leaders.end() ? kafka::PartitionLeadership{} : it->second;
}

std::optional<int32_t> ClusterLoop::CoordinatorFor(const std::string& group_id) const {
  auto snap = snapshot();
  std::optional<std::string> owner = cluster::GroupCoordinator(group_id, snap->live_agent_ids);
  if (!owner) return std::nullopt;
  auto node = snap->node_of_agent.find(*owner);
  if (node == snap->node_of_agent.end()) return std::nullopt;
  return node->second;
}

}  // namespace sh::agent
