// SqliteMetadataStore, second half: consumer groups, agents, leases and
// idempotent-producer state.
#include "metadata/metadata_checks.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh {
namespace {

PartitionLease ReadLease(const SqliteStatement& s) {
  PartitionLease l;
  l.topic = s.Text(0);
  l.partition = static_cast<int32_t>(s.Int(1));
  l.leader_agent_id = s.Text(2);
  l.leader_epoch = s.Int(3);
  l.expires_at_ms = s.Int(4);
  return l;
}

ConsumerGroupInfo ReadGroup(const SqliteStatement& s) {
  ConsumerGroupInfo g;
  g.group_id = s.Text(0);
  g.protocol_type = s.Text(1);
  g.state = s.Text(2);
  g.updated_at_ms = s.Int(3);
  return g;
}

constexpr const char* kLeaseSelect =
    "SELECT topic, partition, leader_agent_id, leader_epoch, expires_at FROM partition_leases";

}  // namespace

// ---- consumer groups ----

Status SqliteMetadataStore::UpsertGroup(const ConsumerGroupInfo& group) {
  if (group.group_id.empty()) return Status::InvalidArgument("empty consumer group id");
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(
      auto stmt, conn_->Prepare("INSERT INTO consumer_groups (group_id, protocol_type, state, "
                                "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (group_id) DO UPDATE "
                                "SET protocol_type = excluded.protocol_type, "
                                "state = excluded.state, updated_at = excluded.updated_at"));
  stmt->Bind(group.group_id).Bind(group.protocol_type).Bind(group.state);
  stmt->Bind(NowOr(group.updated_at_ms));
  Status st = stmt->Run();
  return st.ok() ? st : st.WithContext("consumer group " + group.group_id);
}

Result<ConsumerGroupInfo> SqliteMetadataStore::GetGroup(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("SELECT group_id, protocol_type, state, "
                                                "updated_at FROM consumer_groups "
                                                "WHERE group_id = ?"));
  stmt->Bind(group_id);
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::NotFound("consumer group " + group_id + " does not exist");
  return ReadGroup(*stmt);
}

Result<std::vector<ConsumerGroupInfo>> SqliteMetadataStore::ListGroups() {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("SELECT group_id, protocol_type, state, "
                                                "updated_at FROM consumer_groups "
                                                "ORDER BY group_id"));
  std::vector<ConsumerGroupInfo> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return out;
    out.push_back(ReadGroup(*stmt));
  }
}

Status SqliteMetadataStore::DeleteGroup(const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  // Offsets go with the group by ON DELETE CASCADE.
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("DELETE FROM consumer_groups WHERE group_id = ?"));
  stmt->Bind(group_id);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() == 0)
    return Status::NotFound("consumer group " + group_id + " does not exist");
  return Status::OK();
}

Status SqliteMetadataStore::CommitOffsets(const std::vector<CommittedOffset>& offsets) {
  for (const auto& o : offsets) {
    if (o.group_id.empty()) return Status::InvalidArgument("offset commit with empty group id");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  int64_t now = clock_->NowMs();
  for (const auto& o : offsets) {
    SH_ASSIGN_OR_RETURN(auto group,
                        conn_->Prepare("INSERT INTO consumer_groups (group_id, protocol_type, "
                                       "state, updated_at) VALUES (?, '', 'Empty', ?) "
                                       "ON CONFLICT (group_id) DO NOTHING"));
    group->Bind(o.group_id).Bind(now);
    SH_RETURN_IF_ERROR(group->Run());
    group.reset();
    SH_ASSIGN_OR_RETURN(
        auto stmt,
        conn_->Prepare("INSERT INTO consumer_offsets (group_id, topic, partition, "
                       "committed_offset, metadata, committed_at, leader_epoch) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (group_id, topic, partition) DO UPDATE SET "
                       "committed_offset = excluded.committed_offset, "
                       "metadata = excluded.metadata, committed_at = excluded.committed_at, "
                       "leader_epoch = excluded.leader_epoch"));
    stmt->Bind(o.group_id).Bind(o.topic).Bind(o.partition).Bind(o.offset).Bind(o.metadata);
    stmt->Bind(o.committed_at_ms != 0 ? o.committed_at_ms : now).Bind(o.leader_epoch);
    Status st = stmt->Run();
    if (!st.ok()) {
      return st.WithContext("commit offset of group " + o.group_id + " " +
                            TopicPartitionName(o.topic, o.partition));
    }
  }
  return txn->Commit();
}

Result<std::vector<CommittedOffset>> SqliteMetadataStore::FetchOffsets(
    const std::string& group_id) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn_->Prepare("SELECT group_id, topic, partition, "
                                     "committed_offset, metadata, committed_at, "
                                     "leader_epoch FROM consumer_offsets WHERE group_id = ? "
                                     "ORDER BY topic, partition"));
  stmt->Bind(group_id);
  std::vector<CommittedOffset> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return out;
    CommittedOffset o;
    o.group_id = stmt->Text(0);
    o.topic = stmt->Text(1);
    o.partition = static_cast<int32_t>(stmt->Int(2));
    o.offset = stmt->Int(3);
    o.metadata = stmt->Text(4);
    o.committed_at_ms = stmt->Int(5);
    o.leader_epoch = static_cast<int32_t>(stmt->Int(6));
    out.push_back(std::move(o));
  }
}

Status SqliteMetadataStore::DeleteOffset(const std::string& group_id, const std::string& topic,
                                         int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("DELETE FROM consumer_offsets WHERE group_id = ? "
                                                "AND topic = ? AND partition = ?"));
  stmt->Bind(group_id).Bind(topic).Bind(partition);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() == 0) {
    return Status::NotFound("no committed offset for group " + group_id + " " +
                            TopicPartitionName(topic, partition));
  }
  return Status::OK();
}

// ---- agents ----

Status SqliteMetadataStore::UpsertAgent(const AgentInfo& agent) {
  if (agent.agent_id.empty()) return Status::InvalidArgument("empty agent id");
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(
      auto stmt, conn_->Prepare("INSERT INTO agents (agent_id, address, zone, started_at, "
                                "last_heartbeat, node_id) VALUES (?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT (agent_id) DO UPDATE SET address = excluded.address, "
                                "zone = excluded.zone, started_at = excluded.started_at, "
                                "last_heartbeat = excluded.last_heartbeat, "
                                "node_id = excluded.node_id"));
  stmt->Bind(agent.agent_id).Bind(agent.address).Bind(agent.zone);
  stmt->Bind(NowOr(agent.started_at_ms)).Bind(NowOr(agent.last_heartbeat_ms)).Bind(agent.node_id);
  Status st = stmt->Run();
  return st.ok() ? st : st.WithContext("agent " + agent.agent_id);
}

Result<std::vector<AgentInfo>> SqliteMetadataStore::ListAgents() {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn_->Prepare("SELECT agent_id, address, zone, started_at, "
                                     "last_heartbeat, node_id FROM agents ORDER BY agent_id"));
  std::vector<AgentInfo> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return out;
    AgentInfo a;
    a.agent_id = stmt->Text(0);
    a.address = stmt->Text(1);
    a.zone = stmt->Text(2);
    a.started_at_ms = stmt->Int(3);
    a.last_heartbeat_ms = stmt->Int(4);
    a.node_id = static_cast<int32_t>(stmt->Int(5));
    out.push_back(std::move(a));
  }
}

Status SqliteMetadataStore::RemoveAgent(const std::string& agent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("DELETE FROM agents WHERE agent_id = ?"));
  stmt->Bind(agent_id);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() == 0) return Status::NotFound("agent " + agent_id + " is not registered");
  return Status::OK();
}

// ---- leases ----

Result<std::optional<PartitionLease>> SqliteMetadataStore::GetLeaseLocked(const std::string& topic,
                                                                          int32_t partition) {
  SH_ASSIGN_OR_RETURN(
      auto stmt, conn_->Prepare(std::string(kLeaseSelect) + " WHERE topic = ? AND partition = ?"));
  stmt->Bind(topic).Bind(partition);
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return std::optional<PartitionLease>();
  return std::optional<PartitionLease>(ReadLease(*stmt));
}

Status SqliteMetadataStore::WriteLease(const PartitionLease& l) {
  SH_ASSIGN_OR_RETURN(
      auto stmt,
      conn_->Prepare("INSERT INTO partition_leases (topic, partition, leader_agent_id, "
                     "leader_epoch, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT "
                     "(topic, partition) DO UPDATE SET leader_agent_id = excluded.leader_agent_id, "
                     "leader_epoch = excluded.leader_epoch, expires_at = excluded.expires_at"));
  stmt->Bind(l.topic).Bind(l.partition).Bind(l.leader_agent_id).Bind(l.leader_epoch);
  stmt->Bind(l.expires_at_ms);
  return stmt->Run();
}

Result<PartitionLease> SqliteMetadataStore::AcquireLease(const std::string& topic,
                                                         int32_t partition,
                                                         const std::string& agent_id,
                                                         int64_t now_ms, int64_t ttl_ms) {
  if (agent_id.empty() || ttl_ms <= 0) {
    return Status::InvalidArgument("lease on " + TopicPartitionName(topic, partition) +
                                   " needs an agent id and a positive ttl");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  SH_ASSIGN_OR_RETURN(auto current, GetLeaseLocked(topic, partition));
  PartitionLease lease{topic, partition, agent_id, 1, now_ms + ttl_ms};
  if (current.has_value()) {
    bool same_holder = current->leader_agent_id == agent_id;
    if (!same_holder && current->expires_at_ms > now_ms) {
      return Status::Fenced(TopicPartitionName(topic, partition) + " is leased to agent " +
                            current->leader_agent_id + " (epoch " +
                            std::to_string(current->leader_epoch) + ") until " +
                            std::to_string(current->expires_at_ms) + " ms");
    }
    // Epochs only move when leadership changes hands, so a holder that
    // renews (or re-takes its own lapsed lease) keeps writing under one epoch.
    lease.leader_epoch = same_holder ? current->leader_epoch : current->leader_epoch + 1;
  }
  SH_RETURN_IF_ERROR(WriteLease(lease));
  SH_RETURN_IF_ERROR(txn->Commit());
  return lease;
}

Result<PartitionLease> SqliteMetadataStore::RenewLease(const std::string& topic, int32_t partition,
                                                       const std::string& agent_id,
                                                       int64_t leader_epoch, int64_t now_ms,
                                                       int64_t ttl_ms) {
  if (ttl_ms <= 0) {
    return Status::InvalidArgument("renew lease on " + TopicPartitionName(topic, partition) +
                                   ": ttl must be positive");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  SH_ASSIGN_OR_RETURN(auto current, GetLeaseLocked(topic, partition));
  if (!current.has_value() || current->leader_agent_id != agent_id ||
      current->leader_epoch != leader_epoch) {
    return Status::Fenced("agent " + agent_id + " does not hold the lease on " +
                          TopicPartitionName(topic, partition) + " at epoch " +
                          std::to_string(leader_epoch));
  }
  current->expires_at_ms = now_ms + ttl_ms;
  SH_RETURN_IF_ERROR(WriteLease(*current));
  SH_RETURN_IF_ERROR(txn->Commit());
  return *current;
}

Status SqliteMetadataStore::ReleaseLease(const std::string& topic, int32_t partition,
                                         const std::string& agent_id, int64_t leader_epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  // Expiry 0 reads as expired at any now_ms a caller may pass; the row (and
  // its epoch) stays so the next holder's epoch is still one higher.
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn_->Prepare("UPDATE partition_leases SET expires_at = 0 WHERE topic = ? "
                                     "AND partition = ? AND leader_agent_id = ? AND "
                                     "leader_epoch = ?"));
  stmt->Bind(topic).Bind(partition).Bind(agent_id).Bind(leader_epoch);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() > 0) return Status::OK();
  return Status::Fenced("agent " + agent_id + " does not hold the lease on " +
                        TopicPartitionName(topic, partition) + " at epoch " +
                        std::to_string(leader_epoch));
}

Result<std::optional<PartitionLease>> SqliteMetadataStore::GetLease(const std::string& topic,
                                                                    int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetLeaseLocked(topic, partition);
}

Result<std::vector<PartitionLease>> SqliteMetadataStore::ListLeases() {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn_->Prepare(std::string(kLeaseSelect) + " ORDER BY topic, partition"));
  std::vector<PartitionLease> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return out;
    out.push_back(ReadLease(*stmt));
  }
}

// ---- idempotent producers ----

Result<int64_t> SqliteMetadataStore::AllocateProducerId() {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("UPDATE producer_ids SET next_id = next_id + 1 "
                                                "WHERE id = 1 RETURNING next_id - 1"));
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::Internal("producer id counter row is missing");
  int64_t id = stmt->Int(0);
  SH_RETURN_IF_ERROR(stmt->Run());  // finish the statement so the write commits
  return id;
}

Status SqliteMetadataStore::SaveProducerStates(const std::vector<ProducerState>& states,
                                               int64_t leader_epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  int64_t now = clock_->NowMs();
  for (const auto& s : states) {
    // Inside BEGIN IMMEDIATE no other writer can move the lease between this
    // check and the upsert below.
    SH_RETURN_IF_ERROR(CheckPartitionExists(s.topic, s.partition));
    SH_RETURN_IF_ERROR(CheckLeaderEpoch(s.topic, s.partition, leader_epoch));
    SH_ASSIGN_OR_RETURN(
        auto stmt,
        conn_->Prepare("INSERT INTO producer_states (topic, partition, producer_id, "
                       "producer_epoch, last_sequence, last_offset, updated_at) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, producer_id) DO "
                       "UPDATE SET producer_epoch = excluded.producer_epoch, "
                       "last_sequence = excluded.last_sequence, "
                       "last_offset = excluded.last_offset, updated_at = excluded.updated_at"));
    stmt->Bind(s.topic).Bind(s.partition).Bind(s.producer_id).Bind(s.producer_epoch);
    stmt->Bind(s.last_sequence).Bind(s.last_offset);
    stmt->Bind(s.updated_at_ms != 0 ? s.updated_at_ms : now);
    Status st = stmt->Run();
    if (!st.ok()) {
      return st.WithContext("save producer " + std::to_string(s.producer_id) + " state for " +
                            TopicPartitionName(s.topic, s.partition));
    }
  }
  return txn->Commit();
}

Result<std::vector<ProducerState>> SqliteMetadataStore::LoadProducerStates(const std::string& topic,
                                                                           int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("SELECT topic, partition, producer_id, "
                                                "producer_epoch, last_sequence, last_offset, "
                                                "updated_at FROM producer_states WHERE topic = ? "
                                                "AND partition = ? ORDER BY producer_id"));
  stmt->Bind(topic).Bind(partition);
  std::vector<ProducerState> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    ProducerState s;
    s.topic = stmt->Text(0);
    s.partition = static_cast<int32_t>(stmt->Int(1));
    s.producer_id = stmt->Int(2);
    s.producer_epoch = static_cast<int16_t>(stmt->Int(3));
    s.last_sequence = static_cast<int32_t>(stmt->Int(4));
    s.last_offset = stmt->Int(5);
    s.updated_at_ms = stmt->Int(6);
    out.push_back(std::move(s));
  }
  stmt.reset();
  if (out.empty()) SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  return out;
}

}  // namespace sh
