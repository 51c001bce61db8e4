// PostgresMetadataStore, first half: opening, topics, partitions, segments.
#include "metadata/postgres_metadata_store.h"

#include "metadata/postgres_metadata_store_impl.h"
#include "metadata/postgres_migrations.h"
#include "metadata/topic_config.h"

namespace sh {
namespace {

constexpr int kMaxPoolSize = 1'024;
constexpr size_t kMaxIdentifierBytes = 63;  // PostgreSQL's NAMEDATALEN - 1

constexpr const char* kSegmentColumns =
    "topic, partition, base_offset, end_offset, record_count, size_bytes, object_key, "
    "min_timestamp, max_timestamp, created_at";
constexpr const char* kTopicSelect = "SELECT name, partition_count, config, created_at FROM topics";
constexpr const char* kPartitionSelect =
    "SELECT topic, partition, high_watermark, log_start_offset FROM partitions";

SegmentInfo SegmentAt(const PgResult& r, int row) {
  SegmentInfo s;
  s.topic = r.Text(row, 0);
  s.partition = static_cast<int32_t>(r.Int(row, 1));
  s.base_offset = r.Int(row, 2);
  s.end_offset = r.Int(row, 3);
  s.record_count = r.Int(row, 4);
  s.size_bytes = r.Int(row, 5);
  s.object_key = r.Text(row, 6);
  s.min_timestamp_ms = r.Int(row, 7);
  s.max_timestamp_ms = r.Int(row, 8);
  s.created_at_ms = r.Int(row, 9);
  return s;
}

PartitionInfo PartitionAt(const PgResult& r, int row) {
  return PartitionInfo{r.Text(row, 0), static_cast<int32_t>(r.Int(row, 1)), r.Int(row, 2),
                       r.Int(row, 3)};
}

TopicInfo TopicAt(const PgResult& r, int row) {
  return TopicInfo{r.Text(row, 0), static_cast<int32_t>(r.Int(row, 1)), r.Text(row, 2),
                   r.Int(row, 3)};
}

// "postgresql://user@host:port/db?schema=s": the URL's parts minus the password.
std::string DescribeConninfo(PQconninfoOption* opts, const std::string& schema) {
  std::string user, host, port, db;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    std::string key = o->keyword;
    std::string val = o->val != nullptr ? o->val : "";
    if (key == "user") user = val;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = val;
    if (key == "port") port = val;
    if (key == "dbname") db = val;
  }
  std::string out = "postgresql://";
  if (!user.empty()) out += user + "@";
  out += host.empty() ? "localhost" : host;
  if (!port.empty()) out += ":" + port;
  return out + "/" + db + "?schema=" + schema;
}

Status ValidateOptions(const PostgresOptions& o) {
  if (o.url.empty()) return Status::InvalidArgument("metadata database URL is empty");
  if (o.pool_size < 1 || o.pool_size > kMaxPoolSize) {
    return Status::InvalidArgument("metadata database pool size " + std::to_string(o.pool_size) +
                                   " outside 1.." + std::to_string(kMaxPoolSize));
  }
  if (o.connect_timeout_ms <= 0) {
    return Status::InvalidArgument("metadata database connect timeout must be positive");
  }
  if (o.schema.empty() || o.schema.size() > kMaxIdentifierBytes ||
      o.schema.find('\0') != std::string::npos) {
    return Status::InvalidArgument("metadata database schema '" + o.schema +
                                   "' must be 1..63 bytes without NUL");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> OpenPostgresMetadataStore(const PostgresOptions& options) {
  SH_RETURN_IF_ERROR(ValidateOptions(options));
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.url.c_str(), &error);
  if (parsed == nullptr) {
    std::string msg = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    // Some libpq parse errors quote the whole URL, password included.
    for (size_t at = msg.find(options.url); at != std::string::npos; at = msg.find(options.url)) {
      msg.replace(at, options.url.size(), "<url>");
    }
    return Status::InvalidArgument("metadata database URL: " + msg);
  }
  std::string description = DescribeConninfo(parsed, options.schema);
  PQconninfoFree(parsed);

  std::string context = "open metadata store " + description;
  PgConnectSpec spec{options.url, options.connect_timeout_ms, options.schema};
  auto conn = PgConnection::Connect(spec);
  if (!conn.ok()) return conn.status().WithContext(context);
  const Clock* clock = SystemClock::Get();
  Status st = ApplyPostgresMigrations(**conn, options.schema, clock->NowMs());
  if (!st.ok()) return st.WithContext(context);
  auto pool = std::make_unique<PgPool>(spec, options.pool_size, std::move(conn).value());
  return std::unique_ptr<MetadataStore>(
      new PostgresMetadataStore(std::move(pool), description, clock));
}

// ---- helpers ----

Status PostgresMetadataStore::CheckPartitionExists(PgConnection& conn, const std::string& topic,
                                                   int32_t partition) {
  std::string tp = TopicPartitionName(topic, partition);
  SH_ASSIGN_OR_RETURN(auto res, conn.Exec("look up " + tp,
                                          "SELECT 1 FROM partitions WHERE topic = $1 AND "
                                          "partition = $2",
                                          {topic, partition}));
  return res.rows() > 0 ? Status::OK() : Status::NotFound(tp + " does not exist");
}

Status PostgresMetadataStore::CheckLeaderEpoch(PgConnection& conn, const std::string& topic,
                                               int32_t partition, int64_t leader_epoch) {
  SH_ASSIGN_OR_RETURN(auto lease, ReadLease(conn, topic, partition));
  if (!lease.has_value() || lease->leader_epoch == leader_epoch) return Status::OK();
  return Status::Fenced(TopicPartitionName(topic, partition) + ": leader epoch " +
                        std::to_string(leader_epoch) + " is not the lease's epoch " +
                        std::to_string(lease->leader_epoch) + " (held by agent " +
                        lease->leader_agent_id + ")");
}

Status PostgresMetadataStore::ExplainUnwritten(PgConnection& conn, const std::string& topic,
                                               int32_t partition, int64_t leader_epoch) {
  SH_RETURN_IF_ERROR(CheckPartitionExists(conn, topic, partition));
  SH_RETURN_IF_ERROR(CheckLeaderEpoch(conn, topic, partition, leader_epoch));
  // The lease moved back between the write and this check; the write was
  // still refused, so report it as fenced (retrying is safe).
  return Status::Fenced(TopicPartitionName(topic, partition) + ": leader epoch " +
                        std::to_string(leader_epoch) + " was fenced by a concurrent lease change");
}

Result<TopicInfo> PostgresMetadataStore::ReadTopic(PgConnection& conn, const std::string& name,
                                                   bool for_update) {
  std::string sql =
      std::string(kTopicSelect) + " WHERE name = $1" + (for_update ? " FOR UPDATE" : "");
  SH_ASSIGN_OR_RETURN(auto res, conn.Exec("read topic " + name, sql.c_str(), {name}));
  if (res.rows() == 0) return Status::NotFound("topic " + name + " does not exist");
  return TopicAt(res, 0);
}

// ---- topics ----

Status PostgresMetadataStore::CreateTopic(const TopicInfo& topic) {
  SH_ASSIGN_OR_RETURN(std::string config, CheckNewTopic(topic));
  std::string what = "create topic " + topic.name;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_RETURN_IF_ERROR(conn->Begin(what));
  auto inserted =
      conn->Exec(what,
                 "INSERT INTO topics (name, partition_count, config, created_at) "
                 "VALUES ($1, $2, $3, $4)",
                 {topic.name, topic.partition_count, config, NowOr(topic.created_at_ms)});
  if (inserted.status().code() == ErrorCode::kAlreadyExists) {
    return Status::AlreadyExists("topic " + topic.name + " already exists");
  }
  SH_RETURN_IF_ERROR(inserted.status());
  SH_RETURN_IF_ERROR(conn->Exec(what,
                                "INSERT INTO partitions (topic, partition, high_watermark, "
                                "log_start_offset) SELECT $1, p, 0, 0 "
                                "FROM generate_series(0, $2::integer - 1) AS p",
                                {topic.name, topic.partition_count})
                         .status());
  return conn->Commit(what);
}

Result<TopicInfo> PostgresMetadataStore::GetTopic(const std::string& name) {
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("read topic " + name));
  return ReadTopic(*conn, name, /*for_update=*/false);
}

Result<std::vector<TopicInfo>> PostgresMetadataStore::ListTopics() {
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("list topics"));
  std::string sql = std::string(kTopicSelect) + " ORDER BY name";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec("list topics", sql.c_str()));
  std::vector<TopicInfo> out;
  for (int i = 0; i < res.rows(); ++i) out.push_back(TopicAt(res, i));
  return out;
}

Status PostgresMetadataStore::DeleteTopic(const std::string& name) {
  std::string what = "delete topic " + name;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_RETURN_IF_ERROR(conn->Begin(what));
  // Partitions, segments, leases and producer states go by ON DELETE CASCADE;
  // committed offsets are not keyed to partitions, so they are removed here.
  SH_RETURN_IF_ERROR(
      conn->Exec(what, "DELETE FROM consumer_offsets WHERE topic = $1", {name}).status());
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what, "DELETE FROM topics WHERE name = $1", {name}));
  if (res.affected() == 0) return Status::NotFound("topic " + name + " does not exist");
  return conn->Commit(what);
}

Status PostgresMetadataStore::UpdateTopicConfig(const std::string& name,
                                                const std::string& config_json) {
  auto config = CanonicalTopicConfig(config_json);
  if (!config.ok()) return config.status().WithContext("topic " + name);
  std::string what = "update config of topic " + name;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(
      auto res, conn->Exec(what, "UPDATE topics SET config = $1 WHERE name = $2", {*config, name}));
  if (res.affected() == 0) return Status::NotFound("topic " + name + " does not exist");
  return Status::OK();
}

Status PostgresMetadataStore::AddPartitions(const std::string& name, int32_t new_count) {
  std::string what = "add partitions to topic " + name;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_RETURN_IF_ERROR(conn->Begin(what));
  // FOR UPDATE: two concurrent AddPartitions queue here instead of both
  // inserting the same partition numbers.
  SH_ASSIGN_OR_RETURN(TopicInfo topic, ReadTopic(*conn, name, /*for_update=*/true));
  SH_RETURN_IF_ERROR(CheckPartitionGrowth(name, topic.partition_count, new_count));
  SH_RETURN_IF_ERROR(
      conn->Exec(what, "UPDATE topics SET partition_count = $1 WHERE name = $2", {new_count, name})
          .status());
  SH_RETURN_IF_ERROR(conn->Exec(what,
                                "INSERT INTO partitions (topic, partition, high_watermark, "
                                "log_start_offset) SELECT $1, p, 0, 0 "
                                "FROM generate_series($2::integer, $3::integer - 1) AS p",
                                {name, topic.partition_count, new_count})
                         .status());
  return conn->Commit(what);
}

// ---- partitions ----

Result<PartitionInfo> PostgresMetadataStore::GetPartition(const std::string& topic,
                                                          int32_t partition) {
  std::string tp = TopicPartitionName(topic, partition);
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire("read " + tp));
  std::string sql = std::string(kPartitionSelect) + " WHERE topic = $1 AND partition = $2";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec("read " + tp, sql.c_str(), {topic, partition}));
  if (res.rows() == 0) return Status::NotFound(tp + " does not exist");
  return PartitionAt(res, 0);
}

Result<std::vector<PartitionInfo>> PostgresMetadataStore::ListPartitions(const std::string& topic) {
  std::string what = "list partitions of topic " + topic;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  std::string sql = std::string(kPartitionSelect) + " WHERE topic = $1 ORDER BY partition";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what, sql.c_str(), {topic}));
  // Every topic has at least one partition, so none means no topic.
  if (res.rows() == 0) return Status::NotFound("topic " + topic + " does not exist");
  std::vector<PartitionInfo> out;
  for (int i = 0; i < res.rows(); ++i) out.push_back(PartitionAt(res, i));
  return out;
}

Status PostgresMetadataStore::UpdateHighWatermark(const std::string& topic, int32_t partition,
                                                  int64_t hw, int64_t leader_epoch) {
  std::string tp = TopicPartitionName(topic, partition);
  if (hw < 0)
    return Status::InvalidArgument(tp + ": negative high watermark " + std::to_string(hw));
  std::string what = "update high watermark of " + tp;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  // The fencing rule is in the WHERE clause: check and write are one statement.
  SH_ASSIGN_OR_RETURN(auto res,
                      conn->Exec(what,
                                 "UPDATE partitions SET high_watermark = GREATEST(high_watermark, "
                                 "$1::bigint) WHERE topic = $2 AND partition = $3 AND NOT EXISTS ("
                                 "SELECT 1 FROM partition_leases l WHERE l.topic = $2 AND "
                                 "l.partition = $3 AND l.leader_epoch <> $4::bigint)",
                                 {hw, topic, partition, leader_epoch}));
  if (res.affected() > 0) return Status::OK();
  return ExplainUnwritten(*conn, topic, partition, leader_epoch);
}

Status PostgresMetadataStore::UpdateLogStartOffset(const std::string& topic, int32_t partition,
                                                   int64_t log_start_offset) {
  std::string tp = TopicPartitionName(topic, partition);
  std::string what = "update log start offset of " + tp;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(
      auto res, conn->Exec(what,
                           "UPDATE partitions SET log_start_offset = GREATEST(log_start_offset, "
                           "$1::bigint) WHERE topic = $2 AND partition = $3 AND "
                           "$1::bigint <= high_watermark",
                           {log_start_offset, topic, partition}));
  if (res.affected() > 0) return Status::OK();
  SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, topic, partition));
  return Status::OutOfRange(tp + ": log start offset " + std::to_string(log_start_offset) +
                            " is above the high watermark");
}

// ---- segments ----

Status PostgresMetadataStore::RegisterSegment(const SegmentInfo& s, int64_t leader_epoch) {
  SH_RETURN_IF_ERROR(CheckSegment(s));
  std::string what = "register segment of " + TopicPartitionName(s.topic, s.partition) +
                     " at base offset " + std::to_string(s.base_offset);
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_RETURN_IF_ERROR(conn->Begin(what));
  // Checked first: a foreign-key failure would abort the transaction, and
  // NotFound is the answer for a missing partition whatever the epoch.
  SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, s.topic, s.partition));
  std::string insert = std::string("INSERT INTO segments (") + kSegmentColumns +
                       ") SELECT $1, $2::integer, $3::bigint, $4::bigint, $5::bigint, "
                       "$6::bigint, $7, $8::bigint, $9::bigint, $10::bigint WHERE NOT EXISTS ("
                       "SELECT 1 FROM partition_leases l WHERE l.topic = $1 AND "
                       "l.partition = $2::integer AND l.leader_epoch <> $11::bigint)";
  auto inserted = conn->Exec(
      what, insert.c_str(),
      {s.topic, s.partition, s.base_offset, s.end_offset, s.record_count, s.size_bytes,
       s.object_key, s.min_timestamp_ms, s.max_timestamp_ms, NowOr(s.created_at_ms), leader_epoch});
  if (inserted.status().code() == ErrorCode::kAlreadyExists) {
    return Status::AlreadyExists(what + ": a segment with that base offset is already registered");
  }
  if (!inserted.ok()) return inserted.status();
  if (inserted->affected() == 0) {
    return ExplainUnwritten(*conn, s.topic, s.partition, leader_epoch);
  }
  SH_RETURN_IF_ERROR(conn->Exec(what,
                                "UPDATE partitions SET high_watermark = GREATEST(high_watermark, "
                                "$1::bigint) WHERE topic = $2 AND partition = $3",
                                {s.end_offset, s.topic, s.partition})
                         .status());
  return conn->Commit(what);
}

Result<std::vector<SegmentInfo>> PostgresMetadataStore::ListSegments(const std::string& topic,
                                                                     int32_t partition,
                                                                     int64_t from_offset) {
  std::string what = "list segments of " + TopicPartitionName(topic, partition);
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  std::string sql = std::string("SELECT ") + kSegmentColumns +
                    " FROM segments WHERE topic = $1 AND partition = $2 AND "
                    "end_offset > $3::bigint ORDER BY base_offset";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what, sql.c_str(), {topic, partition, from_offset}));
  if (res.rows() == 0) SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, topic, partition));
  std::vector<SegmentInfo> out;
  for (int i = 0; i < res.rows(); ++i) out.push_back(SegmentAt(res, i));
  return out;
}

Result<std::vector<SegmentInfo>> PostgresMetadataStore::DeleteSegmentsBefore(
    const std::string& topic, int32_t partition, int64_t offset) {
  std::string what = "delete segments of " + TopicPartitionName(topic, partition);
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  // One statement: the rows returned are exactly the rows deleted.
  std::string sql = std::string(
                        "WITH gone AS (DELETE FROM segments WHERE topic = $1 AND "
                        "partition = $2 AND end_offset <= $3::bigint RETURNING ") +
                    kSegmentColumns + ") SELECT " + kSegmentColumns +
                    " FROM gone ORDER BY base_offset";
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what, sql.c_str(), {topic, partition, offset}));
  if (res.rows() == 0) SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, topic, partition));
  std::vector<SegmentInfo> out;
  for (int i = 0; i < res.rows(); ++i) out.push_back(SegmentAt(res, i));
  return out;
}

}  // namespace sh
