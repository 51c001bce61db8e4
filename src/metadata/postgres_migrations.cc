#include "metadata/postgres_migrations.h"

namespace sh {
namespace {

// Version 1: the tables of docs/design.md §5, as in the SQLite store. Offsets and
// Unix-millisecond timestamps are BIGINT; config is the canonical JSON text
// the store writes (TEXT rather than jsonb so both backends return it
// byte-for-byte alike).
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE topics (
  name            TEXT PRIMARY KEY,
  partition_count INTEGER NOT NULL CHECK (partition_count >= 1),
  config          TEXT NOT NULL DEFAULT '{}',
  created_at      BIGINT NOT NULL
);
CREATE TABLE partitions (
  topic            TEXT NOT NULL REFERENCES topics(name) ON DELETE CASCADE,
  partition        INTEGER NOT NULL CHECK (partition >= 0),
  high_watermark   BIGINT NOT NULL DEFAULT 0,
  log_start_offset BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, partition)
);
CREATE TABLE segments (
  topic         TEXT NOT NULL,
  partition     INTEGER NOT NULL,
  base_offset   BIGINT NOT NULL,
  end_offset    BIGINT NOT NULL,
  record_count  BIGINT NOT NULL,
  size_bytes    BIGINT NOT NULL,
  object_key    TEXT NOT NULL,
  min_timestamp BIGINT NOT NULL,
  max_timestamp BIGINT NOT NULL,
  created_at    BIGINT NOT NULL,
  UNIQUE (topic, partition, base_offset),
  FOREIGN KEY (topic, partition) REFERENCES partitions(topic, partition) ON DELETE CASCADE
);
CREATE INDEX segments_by_end ON segments(topic, partition, end_offset);
CREATE TABLE consumer_groups (
  group_id      TEXT PRIMARY KEY,
  protocol_type TEXT NOT NULL DEFAULT '',
  state         TEXT NOT NULL DEFAULT '',
  updated_at    BIGINT NOT NULL
);
CREATE TABLE consumer_offsets (
  group_id         TEXT NOT NULL REFERENCES consumer_groups(group_id) ON DELETE CASCADE,
  topic            TEXT NOT NULL,
  partition        INTEGER NOT NULL,
  committed_offset BIGINT NOT NULL,
  metadata         TEXT NOT NULL DEFAULT '',
  committed_at     BIGINT NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
);
CREATE INDEX consumer_offsets_by_topic ON consumer_offsets(topic);
CREATE TABLE agents (
  agent_id       TEXT PRIMARY KEY,
  address        TEXT NOT NULL,
  zone           TEXT NOT NULL DEFAULT '',
  started_at     BIGINT NOT NULL,
  last_heartbeat BIGINT NOT NULL
);
CREATE TABLE partition_leases (
  topic           TEXT NOT NULL,
  partition       INTEGER NOT NULL,
  leader_agent_id TEXT NOT NULL,
  leader_epoch    BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  PRIMARY KEY (topic, partition),
  FOREIGN KEY (topic, partition) REFERENCES partitions(topic, partition) ON DELETE CASCADE
);
CREATE SEQUENCE producer_id_seq AS BIGINT MINVALUE 0 START WITH 0;
CREATE TABLE producer_states (
  topic          TEXT NOT NULL,
  partition      INTEGER NOT NULL,
  producer_id    BIGINT NOT NULL,
  producer_epoch INTEGER NOT NULL,
  last_sequence  INTEGER NOT NULL,
  last_offset    BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
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
  leader_epoch BIGINT NOT NULL CHECK (leader_epoch >= 0),
  start_offset BIGINT NOT NULL CHECK (start_offset >= 0),
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

Result<int64_t> MaxVersion(PgConnection& conn) {
  SH_ASSIGN_OR_RETURN(
      auto res,
      conn.Exec("read schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return res.Int(0, 0);
}

Status ApplyLocked(PgConnection& conn, const std::string& schema, int64_t now_ms) {
  // Taken first: everything below, CREATE SCHEMA included, runs one agent at
  // a time (concurrent CREATE SCHEMA IF NOT EXISTS can otherwise collide).
  SH_RETURN_IF_ERROR(conn.Exec("lock schema migrations",
                               "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                               {"streamhouse schema migrations: " + schema})
                         .status());
  // Looked up before creating: CREATE ... IF NOT EXISTS checks the CREATE
  // privilege even when the object exists, and an up-to-date schema should
  // open with a user that may only read and write its tables.
  SH_ASSIGN_OR_RETURN(auto found,
                      conn.Exec("look up schema " + schema,
                                "SELECT 1 FROM pg_namespace WHERE nspname = $1", {schema}));
  if (found.rows() == 0) {
    // An identifier cannot be a parameter; PgQuoteIdentifier makes it literal.
    std::string create = "CREATE SCHEMA " + PgQuoteIdentifier(schema);
    SH_RETURN_IF_ERROR(conn.ExecScript("create schema " + schema, create.c_str()));
  }
  SH_ASSIGN_OR_RETURN(auto table, conn.Exec("look up schema_migrations",
                                            "SELECT to_regclass('schema_migrations') IS NOT NULL"));
  if (table.Text(0, 0) != "t") {
    SH_RETURN_IF_ERROR(conn.ExecScript("create schema_migrations",
                                       "CREATE TABLE schema_migrations ("
                                       " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)"));
  }
  SH_ASSIGN_OR_RETURN(int64_t current, MaxVersion(conn));
  const auto& migrations = PostgresMigrations();
  int64_t known = static_cast<int64_t>(migrations.size());
  if (current > known) {
    return Status::Unsupported("metadata schema " + schema + " is at version " +
                               std::to_string(current) + ", newer than this binary's " +
                               std::to_string(known));
  }
  for (int64_t v = current + 1; v <= known; ++v) {
    std::string what = "schema migration " + std::to_string(v);
    SH_RETURN_IF_ERROR(conn.ExecScript(what, migrations[static_cast<size_t>(v - 1)].c_str()));
    SH_RETURN_IF_ERROR(conn.Exec(what,
                                 "INSERT INTO schema_migrations (version, applied_at) "
                                 "VALUES ($1, $2)",
                                 {v, now_ms})
                           .status());
  }
  return Status::OK();
}

}  // namespace

const std::vector<std::string>& PostgresMigrations() {
  static const std::vector<std::string>* migrations =
      new std::vector<std::string>{kSchemaV1, kSchemaV2, kSchemaV3};
  return *migrations;
}

Status ApplyPostgresMigrations(PgConnection& conn, const std::string& schema, int64_t now_ms) {
  SH_RETURN_IF_ERROR(conn.Begin("begin schema migrations"));
  Status st = ApplyLocked(conn, schema, now_ms);
  if (st.ok()) st = conn.Commit("commit schema migrations");
  // On failure the open transaction is rolled back (and the lock released).
  if (!st.ok()) conn.RollbackIfInTransaction();
  return st;
}

Result<int64_t> PostgresSchemaVersion(PgConnection& conn) { return MaxVersion(conn); }

}  // namespace sh
