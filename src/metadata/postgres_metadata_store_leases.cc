// PostgresMetadataStore, second half: consumer groups, agents, leases and
// idempotent-producer state.
#include "metadata/postgres_metadata_store_impl.h"

namespace sh {
namespace {

constexpr const char* kLeaseSelect =
    "SELECT topic, partition, leader_agent_id, leader_epoch, expires_at FROM partition_leases";
constexpr const char* kGroupSelect =
    "SELECT group_id, protocol_type, state, updated_at FROM consumer_groups";

PartitionLease LeaseAt(const PgResult& r, int row) {
  return PartitionLease{r.Text(row, 0), static_cast<int32_t>(r.Int(row, 1)), r.Text(row, 2),
                        r.Int(row, 3), r.Int(row, 4)};
}

ConsumerGroupInfo GroupAt(const PgResult& r, int row) {
  return ConsumerGroupInfo{r.Text(row, 0), r.Text(row, 1), r.Text(row, 2), r.Int(row, 3)};
}

Status NotHolder(const std::string& agent_id, const std::string& topic, int32_t partition,
                 int64_t leader_epoch) {
  return Status::Fenced("agent " + agent_id + " does not hold the lease on " +
                        TopicPartitionName(topic, partition) + " at epoch " +
                        std::to_string(leader_epoch));
}

}  // namespace

// ---- consumer groups ----

Status PostgresMetadataStore::UpsertGroup(const ConsumerGroupInfo& group) {
  if (group.group_id.empty()) return Status::InvalidArgument("empty consumer group id");
  std::string what = "upsert consumer group " + group.group_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  return conn
      ->Exec(what,
             "INSERT INTO consumer_groups (group_id, protocol_type, state, updated_at) "
             "VALUES ($1, $2, $3, $4) ON CONFLICT (group_id) DO UPDATE SET "
             "protocol_type = EXCLUDED.protocol_type, state = EXCLUDED.state, "
             "updated_at = EXCLUDED.updated_at",
             {group.group_id, group.protocol_type, group.state, NowOr(group.updated_at_ms)})
      .status();
}

Result<ConsumerGroupInfo> PostgresMetadataStore::GetGroup(const std::string& group_id) {
  std::string what = "read consumer group " + group_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  std::string sql = std::string(kGroupSelect) + " WHERE group_id = $1";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what, sql.c_str(), {group_id}));
  if (res.rows() == 0) return Status::NotFound("consumer group " + group_id + " does not exist");
  return GroupAt(res, 0);
}

Result<std::vector<ConsumerGroupInfo>> PostgresMetadataStore::ListGroups() {
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("list consumer groups"));
  std::string sql = std::string(kGroupSelect) + " ORDER BY group_id";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec("list consumer groups", sql.c_str()));
  std::vector<ConsumerGroupInfo> out;
  for (int i = 0; i < res.rows(); ++i) out.push_back(GroupAt(res, i));
  return out;
}

Status PostgresMetadataStore::DeleteGroup(const std::string& group_id) {
  std::string what = "delete consumer group " + group_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  // Offsets go with the group by ON DELETE CASCADE.
  SH_ASSIGN_OR_RETURN(
      auto res, conn->Exec(what, "DELETE FROM consumer_groups WHERE group_id = $1", {group_id}));
  if (res.affected() == 0)
    return Status::NotFound("consumer group " + group_id + " does not exist");
  return Status::OK();
}

Status PostgresMetadataStore::CommitOffsets(const std::vector<CommittedOffset>& offsets) {
  for (const auto& o : offsets) {
    if (o.group_id.empty()) return Status::InvalidArgument("offset commit with empty group id");
  }
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("commit offsets"));
  SH_RETURN_IF_ERROR(conn->Begin("commit offsets"));
  int64_t now = clock_->NowMs();
  for (const auto& o : offsets) {
    std::string what =
        "commit offset of group " + o.group_id + " " + TopicPartitionName(o.topic, o.partition);
    SH_RETURN_IF_ERROR(conn->Exec(what,
                                  "INSERT INTO consumer_groups (group_id, protocol_type, state, "
                                  "updated_at) VALUES ($1, '', 'Empty', $2) "
                                  "ON CONFLICT (group_id) DO NOTHING",
                                  {o.group_id, now})
                           .status());
    SH_RETURN_IF_ERROR(
        conn->Exec(what,
                   "INSERT INTO consumer_offsets (group_id, topic, partition, "
                   "committed_offset, metadata, committed_at, leader_epoch) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (group_id, "
                   "topic, partition) DO UPDATE SET committed_offset = "
                   "EXCLUDED.committed_offset, metadata = EXCLUDED.metadata, "
                   "committed_at = EXCLUDED.committed_at, "
                   "leader_epoch = EXCLUDED.leader_epoch",
                   {o.group_id, o.topic, o.partition, o.offset, o.metadata,
                    o.committed_at_ms != 0 ? o.committed_at_ms : now, o.leader_epoch})
            .status());
  }
  return conn->Commit("commit offsets");
}

Result<std::vector<CommittedOffset>> PostgresMetadataStore::FetchOffsets(
    const std::string& group_id) {
  std::string what = "fetch offsets of group " + group_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what,
                                           "SELECT group_id, topic, partition, committed_offset, "
                                           "metadata, committed_at, leader_epoch FROM "
                                           "consumer_offsets WHERE "
                                           "group_id = $1 ORDER BY topic, partition",
                                           {group_id}));
  std::vector<CommittedOffset> out;
  for (int i = 0; i < res.rows(); ++i) {
    out.push_back(CommittedOffset{
        res.Text(i, 0), res.Text(i, 1), static_cast<int32_t>(res.Int(i, 2)), res.Int(i, 3),
        res.Text(i, 4), res.Int(i, 5), static_cast<int32_t>(res.Int(i, 6))});
  }
  return out;
}

Status PostgresMetadataStore::DeleteOffset(const std::string& group_id, const std::string& topic,
                                           int32_t partition) {
  std::string tp = TopicPartitionName(topic, partition);
  std::string what = "delete offset of group " + group_id + " " + tp;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what,
                                           "DELETE FROM consumer_offsets WHERE group_id = $1 "
                                           "AND topic = $2 AND partition = $3",
                                           {group_id, topic, partition}));
  if (res.affected() == 0) {
    return Status::NotFound("no committed offset for group " + group_id + " " + tp);
  }
  return Status::OK();
}

// ---- agents ----

Status PostgresMetadataStore::UpsertAgent(const AgentInfo& agent) {
  if (agent.agent_id.empty()) return Status::InvalidArgument("empty agent id");
  std::string what = "upsert agent " + agent.agent_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  return conn
      ->Exec(what,
             "INSERT INTO agents (agent_id, address, zone, started_at, last_heartbeat, node_id) "
             "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_id) DO UPDATE SET "
             "address = EXCLUDED.address, zone = EXCLUDED.zone, "
             "started_at = EXCLUDED.started_at, last_heartbeat = EXCLUDED.last_heartbeat, "
             "node_id = EXCLUDED.node_id",
             {agent.agent_id, agent.address, agent.zone, NowOr(agent.started_at_ms),
              NowOr(agent.last_heartbeat_ms), agent.node_id})
      .status();
}

Result<std::vector<AgentInfo>> PostgresMetadataStore::ListAgents() {
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("list agents"));
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec("list agents",
                                           "SELECT agent_id, address, zone, started_at, "
                                           "last_heartbeat, node_id FROM agents "
                                           "ORDER BY agent_id"));
  std::vector<AgentInfo> out;
  for (int i = 0; i < res.rows(); ++i) {
    out.push_back(AgentInfo{res.Text(i, 0), res.Text(i, 1), res.Text(i, 2), res.Int(i, 3),
                            res.Int(i, 4), static_cast<int32_t>(res.Int(i, 5))});
  }
  return out;
}

Status PostgresMetadataStore::RemoveAgent(const std::string& agent_id) {
  std::string what = "remove agent " + agent_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(auto res,
                      conn->Exec(what, "DELETE FROM agents WHERE agent_id = $1", {agent_id}));
  if (res.affected() == 0) return Status::NotFound("agent " + agent_id + " is not registered");
  return Status::OK();
}

// ---- leases ----

Result<std::optional<PartitionLease>> PostgresMetadataStore::ReadLease(PgConnection& conn,
                                                                       const std::string& topic,
                                                                       int32_t partition) {
  std::string sql = std::string(kLeaseSelect) + " WHERE topic = $1 AND partition = $2";
  SH_ASSIGN_OR_RETURN(auto res, conn.Exec("read lease of " + TopicPartitionName(topic, partition),
                                          sql.c_str(), {topic, partition}));
  if (res.rows() == 0) return std::optional<PartitionLease>();
  return std::optional<PartitionLease>(LeaseAt(res, 0));
}

Result<PartitionLease> PostgresMetadataStore::AcquireLease(const std::string& topic,
                                                           int32_t partition,
                                                           const std::string& agent_id,
                                                           int64_t now_ms, int64_t ttl_ms) {
  std::string tp = TopicPartitionName(topic, partition);
  if (agent_id.empty() || ttl_ms <= 0) {
    return Status::InvalidArgument("lease on " + tp + " needs an agent id and a positive ttl");
  }
  std::string what = "acquire lease on " + tp + " for agent " + agent_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, topic, partition));
  // One statement decides: PostgreSQL locks the conflicting row and
  // re-evaluates the WHERE on its newest version, so of two agents racing
  // for a free or expired lease exactly one gets a row back. In the SET list
  // l.* is the old row: a new holder gets epoch + 1, the holder keeps its.
  auto res = conn->Exec(
      what,
      "INSERT INTO partition_leases AS l (topic, partition, leader_agent_id, leader_epoch, "
      "expires_at) VALUES ($1, $2, $3, 1, $4::bigint + $5::bigint) "
      "ON CONFLICT (topic, partition) DO UPDATE SET "
      "leader_epoch = CASE WHEN l.leader_agent_id = EXCLUDED.leader_agent_id "
      "THEN l.leader_epoch ELSE l.leader_epoch + 1 END, "
      "leader_agent_id = EXCLUDED.leader_agent_id, expires_at = EXCLUDED.expires_at "
      "WHERE l.leader_agent_id = EXCLUDED.leader_agent_id OR l.expires_at <= $4::bigint "
      "RETURNING topic, partition, leader_agent_id, leader_epoch, expires_at",
      {topic, partition, agent_id, now_ms, ttl_ms});
  // The partition was deleted between the check and the insert.
  if (res.status().code() == ErrorCode::kInvalidArgument &&
      res.status().message().find("SQLSTATE 23503") != std::string::npos) {
    return Status::NotFound(tp + " does not exist");
  }
  if (!res.ok()) return res.status();
  if (res->rows() > 0) return LeaseAt(*res, 0);
  SH_ASSIGN_OR_RETURN(auto current, ReadLease(*conn, topic, partition));
  if (!current.has_value()) return Status::Fenced(tp + ": lost a concurrent lease change");
  return Status::Fenced(tp + " is leased to agent " + current->leader_agent_id + " (epoch " +
                        std::to_string(current->leader_epoch) + ") until " +
                        std::to_string(current->expires_at_ms) + " ms");
}

Result<PartitionLease> PostgresMetadataStore::RenewLease(const std::string& topic,
                                                         int32_t partition,
                                                         const std::string& agent_id,
                                                         int64_t leader_epoch, int64_t now_ms,
                                                         int64_t ttl_ms) {
  std::string tp = TopicPartitionName(topic, partition);
  if (ttl_ms <= 0)
    return Status::InvalidArgument("renew lease on " + tp + ": ttl must be positive");
  std::string what = "renew lease on " + tp + " for agent " + agent_id;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(auto res,
                      conn->Exec(what,
                                 "UPDATE partition_leases SET expires_at = $1::bigint + $2::bigint "
                                 "WHERE topic = $3 AND partition = $4 AND leader_agent_id = $5 AND "
                                 "leader_epoch = $6::bigint RETURNING topic, partition, "
                                 "leader_agent_id, leader_epoch, expires_at",
                                 {now_ms, ttl_ms, topic, partition, agent_id, leader_epoch}));
  if (res.rows() == 0) return NotHolder(agent_id, topic, partition, leader_epoch);
  return LeaseAt(res, 0);
}

Status PostgresMetadataStore::ReleaseLease(const std::string& topic, int32_t partition,
                                           const std::string& agent_id, int64_t leader_epoch) {
  std::string what = "release lease on " + TopicPartitionName(topic, partition);
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  // Expiry 0 reads as expired at any now_ms; the row and its epoch stay so
  // the next holder's epoch is still one higher.
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what,
                                           "UPDATE partition_leases SET expires_at = 0 WHERE "
                                           "topic = $1 AND partition = $2 AND "
                                           "leader_agent_id = $3 AND leader_epoch = $4::bigint",
                                           {topic, partition, agent_id, leader_epoch}));
  if (res.affected() == 0) return NotHolder(agent_id, topic, partition, leader_epoch);
  return Status::OK();
}

Result<std::optional<PartitionLease>> PostgresMetadataStore::GetLease(const std::string& topic,
                                                                      int32_t partition) {
  SH_ASSIGN_OR_RETURN(auto conn,
                      pool_->Acquire("read lease of " + TopicPartitionName(topic, partition)));
  return ReadLease(*conn, topic, partition);
}

Result<std::vector<PartitionLease>> PostgresMetadataStore::ListLeases() {
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("list leases"));
  std::string sql = std::string(kLeaseSelect) + " ORDER BY topic, partition";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec("list leases", sql.c_str()));
  std::vector<PartitionLease> out;
  for (int i = 0; i < res.rows(); ++i) out.push_back(LeaseAt(res, i));
  return out;
}

// ---- idempotent producers ----

Result<int64_t> PostgresMetadataStore::AllocateProducerId() {
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("allocate producer id"));
  // A sequence never hands out a value twice, even to concurrent sessions or
  // across a rolled-back transaction.
  SH_ASSIGN_OR_RETURN(auto res,
                      conn->Exec("allocate producer id", "SELECT nextval('producer_id_seq')"));
  return res.Int(0, 0);
}

Status PostgresMetadataStore::SaveProducerStates(const std::vector<ProducerState>& states,
                                                 int64_t leader_epoch) {
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("save producer states"));
  SH_RETURN_IF_ERROR(conn->Begin("save producer states"));
  int64_t now = clock_->NowMs();
  for (const auto& s : states) {
    std::string what = "save producer " + std::to_string(s.producer_id) + " state for " +
                       TopicPartitionName(s.topic, s.partition);
    SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, s.topic, s.partition));
    SH_ASSIGN_OR_RETURN(
        auto res,
        conn->Exec(what,
                   "INSERT INTO producer_states (topic, partition, producer_id, producer_epoch, "
                   "last_sequence, last_offset, updated_at) SELECT $1, $2::integer, $3::bigint, "
                   "$4::integer, $5::integer, $6::bigint, $7::bigint WHERE NOT EXISTS ("
                   "SELECT 1 FROM partition_leases l WHERE l.topic = $1 AND "
                   "l.partition = $2::integer AND l.leader_epoch <> $8::bigint) "
                   "ON CONFLICT (topic, partition, producer_id) DO UPDATE SET "
                   "producer_epoch = EXCLUDED.producer_epoch, "
                   "last_sequence = EXCLUDED.last_sequence, last_offset = EXCLUDED.last_offset, "
                   "updated_at = EXCLUDED.updated_at",
                   {s.topic, s.partition, s.producer_id, s.producer_epoch, s.last_sequence,
                    s.last_offset, s.updated_at_ms != 0 ? s.updated_at_ms : now, leader_epoch}));
    // Returning with the transaction open rolls it back: a batch with one
    // fenced state saves nothing.
    if (res.affected() == 0) return ExplainUnwritten(*conn, s.topic, s.partition, leader_epoch);
  }
  return conn->Commit("save producer states");
}

Result<std::vector<ProducerState>> PostgresMetadataStore::LoadProducerStates(
    const std::string& topic, int32_t partition) {
  std::string what = "load producer states of " + TopicPartitionName(topic, partition);
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what,
                                           "SELECT topic, partition, producer_id, producer_epoch, "
                                           "last_sequence, last_offset, updated_at FROM "
                                           "producer_states WHERE topic = $1 AND partition = $2 "
                                           "ORDER BY producer_id",
                                           {topic, partition}));
  if (res.rows() == 0) SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, topic, partition));
  std::vector<ProducerState> out;
  for (int i = 0; i < res.rows(); ++i) {
    out.push_back(ProducerState{res.Text(i, 0), static_cast<int32_t>(res.Int(i, 1)), res.Int(i, 2),
                                static_cast<int16_t>(res.Int(i, 3)),
                                static_cast<int32_t>(res.Int(i, 4)), res.Int(i, 5), res.Int(i, 6)});
  }
  return out;
}

}  // namespace sh
