#include "metadata/sqlite_migrations.h"

namespace sh {
namespace {

// Version 1: the tables of docs/design.md §5. Timestamps are Unix milliseconds.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE topics (
  name            TEXT PRIMARY KEY,
  partition_count INTEGER NOT NULL CHECK (partition_count >= 1),
  config          TEXT NOT NULL DEFAULT '{}',
  created_at      INTEGER NOT NULL
);
CREATE TABLE partitions (
  topic            TEXT NOT NULL REFERENCES topics(name) ON DELETE CASCADE,
  partition        INTEGER NOT NULL CHECK (partition >= 0),
  high_watermark   INTEGER NOT NULL DEFAULT 0,
  log_start_offset INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, partition)
);
CREATE TABLE segments (
  topic         TEXT NOT NULL,
  partition     INTEGER NOT NULL,
  base_offset   INTEGER NOT NULL,
  end_offset    INTEGER NOT NULL,
  record_count  INTEGER NOT NULL,
  size_bytes    INTEGER NOT NULL,
  object_key    TEXT NOT NULL,
  min_timestamp INTEGER NOT NULL,
  max_timestamp INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  UNIQUE (topic, partition, base_offset),
  FOREIGN KEY (topic, partition) REFERENCES partitions(topic, partition) ON DELETE CASCADE
);
CREATE INDEX segments_by_end ON segments(topic, partition, end_offset);
CREATE TABLE consumer_groups (
  group_id      TEXT PRIMARY KEY,
  protocol_type TEXT NOT NULL DEFAULT '',
  state         TEXT NOT NULL DEFAULT '',
  updated_at    INTEGER NOT NULL
);
CREATE TABLE consumer_offsets (
  group_id         TEXT NOT NULL REFERENCES consumer_groups(group_id) ON DELETE CASCADE,
  topic            TEXT NOT NULL,
  partition        INTEGER NOT NULL,
  committed_offset INTEGER NOT NULL,
  metadata         TEXT NOT NULL DEFAULT '',
  committed_at     INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
);
CREATE INDEX consumer_offsets_by_topic ON consumer_offsets(topic);
CREATE TABLE agents (
  agent_id       TEXT PRIMARY KEY,
  address        TEXT NOT NULL,
  zone           TEXT NOT NULL DEFAULT '',
  started_at     INTEGER NOT NULL,
  last_heartbeat INTEGER NOT NULL
);
CREATE TABLE partition_leases (
  topic           TEXT NOT NULL,
  partition       INTEGER NOT NULL,
  leader_agent_id TEXT NOT NULL,
  leader_epoch    INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  PRIMARY KEY (topic, partition),
  FOREIGN KEY (topic, partition) REFERENCES partitions(topic, partition) ON DELETE CASCADE
);
CREATE TABLE producer_ids (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  next_id INTEGER NOT NULL
);
INSERT INTO producer_ids (id, next_id) VALUES (1, 0);
CREATE TABLE producer_states (
  topic          TEXT NOT NULL,
  partition      INTEGER NOT NULL,
  producer_id    INTEGER NOT NULL,
  producer_epoch INTEGER NOT NULL,
  last_sequence  INTEGER NOT NULL,
  last_offset    INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (topic, partition, producer_id),
  FOREIGN KEY (topic, partition) REFERENCES partitions(topic, partition) ON DELETE CASCADE
);
)sql";

// Version 2, for cluster mode (docs/cluster.md §6, §7): the first offset of
// each leader epoch, and the Kafka node id of each agent (-1: not assigned).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE partition_epochs (
  topic        TEXT NOT NULL,
  partition    INTEGER NOT NULL,
  leader_epoch INTEGER NOT NULL CHECK (leader_epoch >= 0),
  start_offset INTEGER NOT NULL CHECK (start_offset >= 0),
  PRIMARY KEY (topic, partition, leader_epoch),
  FOREIGN KEY (topic, partition) REFERENCES partitions(topic, partition) ON DELETE CASCADE
);
ALTER TABLE agents ADD COLUMN node_id INTEGER NOT NULL DEFAULT -1;
)sql";

// Version 3: the leader epoch committed with each offset (KIP-320); -1, as
// for offsets committed before, when unknown.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE consumer_offsets ADD COLUMN leader_epoch INTEGER NOT NULL DEFAULT -1;
)sql";

Status EnsureMigrationsTable(SqliteConnection& conn) {
  return conn.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
}

Status ApplyOne(SqliteConnection& conn, int64_t version, const std::string& script,
                int64_t now_ms) {
  std::string context = "schema migration " + std::to_string(version);
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(conn));
  // Re-check inside the write lock: another process may have applied it.
  SH_ASSIGN_OR_RETURN(auto check,
                      conn.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?"));
  check->Bind(version);
  SH_ASSIGN_OR_RETURN(bool applied, check->Step());
  check.reset();
  if (applied) return Status::OK();
  Status st = conn.Exec(script);
  if (!st.ok()) return st.WithContext(context);
  SH_ASSIGN_OR_RETURN(
      auto record,
      conn.Prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"));
  record->Bind(version).Bind(now_ms);
  SH_RETURN_IF_ERROR(record->Run());
  record.reset();
  st = txn->Commit();
  return st.ok() ? st : st.WithContext(context);
}

}  // namespace

const std::vector<std::string>& SqliteMigrations() {
  static const std::vector<std::string>* migrations =
      new std::vector<std::string>{kSchemaV1, kSchemaV2, kSchemaV3};
  return *migrations;
}

Result<int64_t> SqliteSchemaVersion(SqliteConnection& conn) {
  SH_RETURN_IF_ERROR(EnsureMigrationsTable(conn));
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
  return row ? stmt->Int(0) : 0;
}

Status ApplySqliteMigrations(SqliteConnection& conn, int64_t now_ms) {
  SH_ASSIGN_OR_RETURN(int64_t current, SqliteSchemaVersion(conn));
  const auto& migrations = SqliteMigrations();
  int64_t known = static_cast<int64_t>(migrations.size());
  if (current > known) {
    return Status::Unsupported("metadata schema version " + std::to_string(current) +
                               " is newer than this binary's " + std::to_string(known) + " at " +
                               conn.path());
  }
  for (int64_t v = current + 1; v <= known; ++v) {
    SH_RETURN_IF_ERROR(ApplyOne(conn, v, migrations[static_cast<size_t>(v - 1)], now_ms));
  }
  return Status::OK();
}

}  // namespace sh
