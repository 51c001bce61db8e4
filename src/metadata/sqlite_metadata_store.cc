#include "metadata/sqlite_metadata_store.h"

#include "metadata/metadata_checks.h"
#include "metadata/sqlite_migrations.h"
#include "metadata/topic_config.h"

namespace sh {
namespace {

constexpr const char* kSegmentColumns =
    "topic, partition, base_offset, end_offset, record_count, size_bytes, object_key, "
    "min_timestamp, max_timestamp, created_at";

SegmentInfo ReadSegment(const SqliteStatement& s) {
  SegmentInfo seg;
  seg.topic = s.Text(0);
  seg.partition = static_cast<int32_t>(s.Int(1));
  seg.base_offset = s.Int(2);
  seg.end_offset = s.Int(3);
  seg.record_count = s.Int(4);
  seg.size_bytes = s.Int(5);
  seg.object_key = s.Text(6);
  seg.min_timestamp_ms = s.Int(7);
  seg.max_timestamp_ms = s.Int(8);
  seg.created_at_ms = s.Int(9);
  return seg;
}

PartitionInfo ReadPartition(const SqliteStatement& s) {
  PartitionInfo p;
  p.topic = s.Text(0);
  p.partition = static_cast<int32_t>(s.Int(1));
  p.high_watermark = s.Int(2);
  p.log_start_offset = s.Int(3);
  return p;
}

TopicInfo ReadTopic(const SqliteStatement& s) {
  TopicInfo t;
  t.name = s.Text(0);
  t.partition_count = static_cast<int32_t>(s.Int(1));
  t.config_json = s.Text(2);
  t.created_at_ms = s.Int(3);
  return t;
}

Status InsertPartitions(SqliteConnection& conn, const std::string& topic, int32_t from,
                        int32_t to) {
  for (int32_t p = from; p < to; ++p) {
    SH_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("INSERT INTO partitions (topic, partition, "
                                                "high_watermark, log_start_offset) "
                                                "VALUES (?, ?, 0, 0)"));
    stmt->Bind(topic).Bind(p);
    Status st = stmt->Run();
    if (!st.ok()) return st.WithContext("create " + TopicPartitionName(topic, p));
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::Open(const std::string& path,
                                                                       const Clock* clock) {
  if (clock == nullptr) clock = SystemClock::Get();
  SH_ASSIGN_OR_RETURN(auto conn, SqliteConnection::Open(path));
  // busy_timeout first: the journal_mode change itself may wait for a lock.
  for (const char* pragma : {"PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL",
                             "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    Status st = conn->Exec(pragma);
    if (!st.ok()) return st.WithContext("open metadata store " + path);
  }
  Status st = ApplySqliteMigrations(*conn, clock->NowMs());
  if (!st.ok()) return st.WithContext("open metadata store " + path);
  return std::unique_ptr<SqliteMetadataStore>(new SqliteMetadataStore(std::move(conn), clock));
}

Result<int64_t> SqliteMetadataStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(mu_);
  return SqliteSchemaVersion(*conn_);
}

Result<std::string> SqliteMetadataStore::JournalMode() {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("PRAGMA journal_mode"));
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::Internal("PRAGMA journal_mode returned no row");
  return stmt->Text(0);
}

// ---- helpers ----

Status SqliteMetadataStore::CheckPartitionExists(const std::string& topic, int32_t partition) {
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn_->Prepare("SELECT 1 FROM partitions WHERE topic = ? AND partition = ?"));
  stmt->Bind(topic).Bind(partition);
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  return row ? Status::OK()
             : Status::NotFound(TopicPartitionName(topic, partition) + " does not exist");
}

Status SqliteMetadataStore::CheckLeaderEpoch(const std::string& topic, int32_t partition,
                                             int64_t leader_epoch) {
  SH_ASSIGN_OR_RETURN(auto lease, GetLeaseLocked(topic, partition));
  if (!lease.has_value() || lease->leader_epoch == leader_epoch) return Status::OK();
  return Status::Fenced(TopicPartitionName(topic, partition) + ": leader epoch " +
                        std::to_string(leader_epoch) + " is not the lease's epoch " +
                        std::to_string(lease->leader_epoch) + " (held by agent " +
                        lease->leader_agent_id + ")");
}

Status SqliteMetadataStore::ExplainUnwritten(const std::string& topic, int32_t partition,
                                             int64_t leader_epoch) {
  SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  SH_RETURN_IF_ERROR(CheckLeaderEpoch(topic, partition, leader_epoch));
  return Status::Internal(TopicPartitionName(topic, partition) + ": fenced write changed no row");
}

// ---- topics ----

Status SqliteMetadataStore::CreateTopic(const TopicInfo& topic) {
  SH_ASSIGN_OR_RETURN(std::string config, CheckNewTopic(topic));

  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("INSERT INTO topics (name, partition_count, "
                                                "config, created_at) VALUES (?, ?, ?, ?)"));
  stmt->Bind(topic.name).Bind(topic.partition_count).Bind(config).Bind(NowOr(topic.created_at_ms));
  Status st = stmt->Run();
  stmt.reset();
  if (st.code() == ErrorCode::kAlreadyExists) {
    return Status::AlreadyExists("topic " + topic.name + " already exists");
  }
  SH_RETURN_IF_ERROR(st);
  SH_RETURN_IF_ERROR(InsertPartitions(*conn_, topic.name, 0, topic.partition_count));
  return txn->Commit();
}

Result<TopicInfo> SqliteMetadataStore::GetTopicLocked(const std::string& name) {
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("SELECT name, partition_count, config, "
                                                "created_at FROM topics WHERE name = ?"));
  stmt->Bind(name);
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::NotFound("topic " + name + " does not exist");
  return ReadTopic(*stmt);
}

Result<TopicInfo> SqliteMetadataStore::GetTopic(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetTopicLocked(name);
}

Result<std::vector<TopicInfo>> SqliteMetadataStore::ListTopics() {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("SELECT name, partition_count, config, "
                                                "created_at FROM topics ORDER BY name"));
  std::vector<TopicInfo> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) return out;
    out.push_back(ReadTopic(*stmt));
  }
}

Status SqliteMetadataStore::DeleteTopic(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  // partitions, segments, leases and producer states go by ON DELETE CASCADE;
  // committed offsets are not keyed to partitions, so they are removed here.
  SH_ASSIGN_OR_RETURN(auto offsets, conn_->Prepare("DELETE FROM consumer_offsets WHERE topic = ?"));
  offsets->Bind(name);
  SH_RETURN_IF_ERROR(offsets->Run());
  offsets.reset();
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("DELETE FROM topics WHERE name = ?"));
  stmt->Bind(name);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() == 0) return Status::NotFound("topic " + name + " does not exist");
  stmt.reset();
  return txn->Commit();
}

Status SqliteMetadataStore::UpdateTopicConfig(const std::string& name,
                                              const std::string& config_json) {
  auto config = CanonicalTopicConfig(config_json);
  if (!config.ok()) return config.status().WithContext("topic " + name);
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("UPDATE topics SET config = ? WHERE name = ?"));
  stmt->Bind(*config).Bind(name);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() == 0) return Status::NotFound("topic " + name + " does not exist");
  return Status::OK();
}

Status SqliteMetadataStore::AddPartitions(const std::string& name, int32_t new_count) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  SH_ASSIGN_OR_RETURN(TopicInfo topic, GetTopicLocked(name));
  SH_RETURN_IF_ERROR(CheckPartitionGrowth(name, topic.partition_count, new_count));
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn_->Prepare("UPDATE topics SET partition_count = ? WHERE name = ?"));
  stmt->Bind(new_count).Bind(name);
  SH_RETURN_IF_ERROR(stmt->Run());
  stmt.reset();
  SH_RETURN_IF_ERROR(InsertPartitions(*conn_, name, topic.partition_count, new_count));
  return txn->Commit();
}

// ---- partitions ----

Result<PartitionInfo> SqliteMetadataStore::GetPartition(const std::string& topic,
                                                        int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("SELECT topic, partition, high_watermark, "
                                                "log_start_offset FROM partitions "
                                                "WHERE topic = ? AND partition = ?"));
  stmt->Bind(topic).Bind(partition);
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::NotFound(TopicPartitionName(topic, partition) + " does not exist");
  return ReadPartition(*stmt);
}

Result<std::vector<PartitionInfo>> SqliteMetadataStore::ListPartitions(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare("SELECT topic, partition, high_watermark, "
                                                "log_start_offset FROM partitions "
                                                "WHERE topic = ? ORDER BY partition"));
  stmt->Bind(topic);
  std::vector<PartitionInfo> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(ReadPartition(*stmt));
  }
  // Every topic has at least one partition, so none means no topic.
  if (out.empty()) return Status::NotFound("topic " + topic + " does not exist");
  return out;
}

Status SqliteMetadataStore::UpdateHighWatermark(const std::string& topic, int32_t partition,
                                                int64_t hw, int64_t leader_epoch) {
  if (hw < 0) {
    return Status::InvalidArgument(TopicPartitionName(topic, partition) +
                                   ": negative high watermark " + std::to_string(hw));
  }
  std::lock_guard<std::mutex> lock(mu_);
  // The fencing rule sits in the WHERE clause, so the check and the write are
  // one statement (the same SQL is correct under PostgreSQL's READ COMMITTED).
  SH_ASSIGN_OR_RETURN(
      auto stmt, conn_->Prepare("UPDATE partitions SET high_watermark = MAX(high_watermark, ?1) "
                                "WHERE topic = ?2 AND partition = ?3 AND NOT EXISTS ("
                                "SELECT 1 FROM partition_leases l WHERE l.topic = ?2 "
                                "AND l.partition = ?3 AND l.leader_epoch <> ?4)"));
  stmt->Bind(hw).Bind(topic).Bind(partition).Bind(leader_epoch);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() > 0) return Status::OK();
  stmt.reset();
  return ExplainUnwritten(topic, partition, leader_epoch);
}

Status SqliteMetadataStore::UpdateLogStartOffset(const std::string& topic, int32_t partition,
                                                 int64_t log_start_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(
      auto stmt,
      conn_->Prepare("UPDATE partitions SET log_start_offset = MAX(log_start_offset, ?1) "
                     "WHERE topic = ?2 AND partition = ?3 AND ?1 <= high_watermark"));
  stmt->Bind(log_start_offset).Bind(topic).Bind(partition);
  SH_RETURN_IF_ERROR(stmt->Run());
  if (stmt->Changes() > 0) return Status::OK();
  stmt.reset();
  SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  return Status::OutOfRange(TopicPartitionName(topic, partition) + ": log start offset " +
                            std::to_string(log_start_offset) + " is above the high watermark");
}

// ---- segments ----

Status SqliteMetadataStore::RegisterSegment(const SegmentInfo& s, int64_t leader_epoch) {
  SH_RETURN_IF_ERROR(CheckSegment(s));
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  SH_ASSIGN_OR_RETURN(
      auto insert,
      conn_->Prepare(std::string("INSERT INTO segments (") + kSegmentColumns +
                     ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE NOT EXISTS ("
                     "SELECT 1 FROM partition_leases l WHERE l.topic = ?1 "
                     "AND l.partition = ?2 AND l.leader_epoch <> ?11)"));
  insert->Bind(s.topic).Bind(s.partition).Bind(s.base_offset).Bind(s.end_offset);
  insert->Bind(s.record_count).Bind(s.size_bytes).Bind(s.object_key);
  insert->Bind(s.min_timestamp_ms).Bind(s.max_timestamp_ms).Bind(NowOr(s.created_at_ms));
  insert->Bind(leader_epoch);
  Status st = insert->Run();
  std::string what = "segment of " + TopicPartitionName(s.topic, s.partition) + " at base offset " +
                     std::to_string(s.base_offset);
  if (st.code() == ErrorCode::kAlreadyExists) {
    return Status::AlreadyExists(what + " is already registered");
  }
  if (st.code() == ErrorCode::kInvalidArgument) {  // the foreign key: no such partition
    SH_RETURN_IF_ERROR(CheckPartitionExists(s.topic, s.partition));
  }
  SH_RETURN_IF_ERROR(st);
  if (insert->Changes() == 0) {
    insert.reset();
    return ExplainUnwritten(s.topic, s.partition, leader_epoch);
  }
  insert.reset();
  SH_ASSIGN_OR_RETURN(
      auto hw, conn_->Prepare("UPDATE partitions SET high_watermark = MAX(high_watermark, ?) "
                              "WHERE topic = ? AND partition = ?"));
  hw->Bind(s.end_offset).Bind(s.topic).Bind(s.partition);
  SH_RETURN_IF_ERROR(hw->Run());
  hw.reset();
  return txn->Commit();
}

Result<std::vector<SegmentInfo>> SqliteMetadataStore::ListSegments(const std::string& topic,
                                                                   int32_t partition,
                                                                   int64_t from_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt, conn_->Prepare(std::string("SELECT ") + kSegmentColumns +
                                                " FROM segments WHERE topic = ? AND "
                                                "partition = ? AND end_offset > ? "
                                                "ORDER BY base_offset"));
  stmt->Bind(topic).Bind(partition).Bind(from_offset);
  std::vector<SegmentInfo> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(ReadSegment(*stmt));
  }
  stmt.reset();
  if (out.empty()) SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  return out;
}

Result<std::vector<SegmentInfo>> SqliteMetadataStore::DeleteSegmentsBefore(const std::string& topic,
                                                                           int32_t partition,
                                                                           int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  SH_ASSIGN_OR_RETURN(auto select, conn_->Prepare(std::string("SELECT ") + kSegmentColumns +
                                                  " FROM segments WHERE topic = ? AND "
                                                  "partition = ? AND end_offset <= ? "
                                                  "ORDER BY base_offset"));
  select->Bind(topic).Bind(partition).Bind(offset);
  std::vector<SegmentInfo> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    out.push_back(ReadSegment(*select));
  }
  select.reset();
  SH_ASSIGN_OR_RETURN(auto del, conn_->Prepare("DELETE FROM segments WHERE topic = ? AND "
                                               "partition = ? AND end_offset <= ?"));
  del->Bind(topic).Bind(partition).Bind(offset);
  SH_RETURN_IF_ERROR(del->Run());
  del.reset();
  SH_RETURN_IF_ERROR(txn->Commit());
  return out;
}

}  // namespace sh
