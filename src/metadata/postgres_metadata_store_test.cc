// PostgreSQL backend: the shared conformance suite on a fresh schema per
// test, plus what only a server shows: agents opening one schema at once,
// connections killed under the store, agents racing for a lease, fencing
// checked in the tables themselves, URL forms and option errors.
//
// Needs a server: run through tests/support/servers.py run --postgres, which
// exports SH_TEST_POSTGRES_URL. Without it every test fails, saying so.
#include "metadata/postgres_metadata_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <thread>

#include "metadata/metadata_conformance.h"
#include "metadata/postgres_migrations.h"

namespace sh {
namespace {

constexpr int64_t kTtl = 10'000;

std::string ServerUrl() {
  const char* url = std::getenv("SH_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "SH_TEST_POSTGRES_URL is not set; run this binary as "
                     "tests/support/servers.py run --postgres -- metadata_postgres_test";
    return "";
  }
  return url;
}

// Schema names of [a-z0-9_] only, so tests may splice them into their own SQL.
std::string FreshSchema(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "sh_" + tag + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

PostgresOptions Options(const std::string& schema, int pool_size = 4) {
  PostgresOptions o;
  o.url = ServerUrl();
  o.pool_size = pool_size;
  o.connect_timeout_ms = 5'000;
  o.schema = schema;
  return o;
}

std::unique_ptr<MetadataStore> OpenOrNull(const PostgresOptions& options) {
  if (options.url.empty()) return nullptr;  // ServerUrl() has reported why
  auto store = OpenPostgresMetadataStore(options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

std::unique_ptr<MetadataStore> MakeFreshPgStore() {
  return OpenOrNull(Options(FreshSchema("conformance")));
}

INSTANTIATE_TEST_SUITE_P(Postgres, MetadataConformanceTest,
                         ::testing::Values(MetadataBackend{"postgres", MakeFreshPgStore}),
                         MetadataBackendName);

// A libpq session of the test's own, to look at and disturb the server.
class RawSession {
 public:
  RawSession() : conn_(PQconnectdb(ServerUrl().c_str())) {}
  ~RawSession() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Runs sql; returns the first column of every row (a failure is a test failure).
  std::vector<std::string> Query(const std::string& sql,
                                 const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    std::vector<std::string> out;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn_);
    } else if (st == PGRES_TUPLES_OK) {
      for (int i = 0; i < PQntuples(res); ++i) out.push_back(PQgetvalue(res, i, 0));
    }
    PQclear(res);
    return out;
  }
  std::string One(const std::string& sql, const std::vector<std::string>& params = {}) {
    auto rows = Query(sql, params);
    return rows.empty() ? "<no row>" : rows[0];
  }

 private:
  PGconn* conn_;
};

TopicInfo Topic(const std::string& name, int32_t partitions) {
  TopicInfo t;
  t.name = name;
  t.partition_count = partitions;
  return t;
}

SegmentInfo Segment(const std::string& topic, int32_t partition, int64_t base, int64_t end) {
  SegmentInfo s;
  s.topic = topic;
  s.partition = partition;
  s.base_offset = base;
  s.end_offset = end;
  s.record_count = end - base;
  s.size_bytes = 100;
  s.object_key = topic + "/" + std::to_string(partition) + "/" + std::to_string(base);
  return s;
}

// Two stores on one schema, as two agents of one cluster have.
std::pair<std::unique_ptr<MetadataStore>, std::unique_ptr<MetadataStore>> TwoAgents(
    const std::string& schema) {
  return {OpenOrNull(Options(schema, 2)), OpenOrNull(Options(schema, 2))};
}

// Runs fn on n threads released together; joins them.
void RunTogether(int n, const std::function<void(int)>& fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready++;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (ready.load() < n && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

TEST(PostgresMetadataStoreTest, ConcurrentOpensApplyMigrationsOnce) {
  const std::string schema = FreshSchema("race");
  constexpr int kAgents = 6;
  std::vector<Status> opened(kAgents);
  std::vector<std::unique_ptr<MetadataStore>> stores(kAgents);
  RunTogether(kAgents, [&](int i) {
    auto store = OpenPostgresMetadataStore(Options(schema, 2));
    opened[i] = store.status();
    if (store.ok()) stores[i] = std::move(store).value();
  });
  for (int i = 0; i < kAgents; ++i) ASSERT_TRUE(opened[i].ok()) << opened[i].ToString();

  RawSession db;
  ASSERT_TRUE(db.ok());
  auto versions = db.Query("SELECT version FROM " + schema + ".schema_migrations ORDER BY version");
  ASSERT_EQ(versions.size(), PostgresMigrations().size());
  for (size_t v = 0; v < versions.size(); ++v) EXPECT_EQ(versions[v], std::to_string(v + 1));
  // The tables are in the schema asked for.
  auto tables = db.Query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
      {schema});
  for (const char* t : {"agents", "partition_leases", "segments", "topics"}) {
    EXPECT_NE(std::find(tables.begin(), tables.end(), t), tables.end()) << t;
  }
  // All stores share it: one writes, every one reads.
  ASSERT_TRUE(stores[0]->CreateTopic(Topic("shared", 3)).ok());
  for (auto& s : stores) EXPECT_EQ(s->GetTopic("shared")->partition_count, 3);
  // Opening again applies nothing.
  ASSERT_NE(OpenOrNull(Options(schema)), nullptr);
  EXPECT_EQ(db.Query("SELECT version FROM " + schema + ".schema_migrations").size(),
            PostgresMigrations().size());
}

TEST(PostgresMetadataStoreTest, SurvivesKilledConnections) {
  constexpr int kPool = 3;
  auto store = OpenOrNull(Options(FreshSchema("kill"), kPool));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateTopic(Topic("t", 2)).ok());
  ASSERT_TRUE(store->RegisterSegment(Segment("t", 0, 0, 10), 0).ok());
  ASSERT_TRUE(store->CommitOffsets({{"g", "t", 1, 7, "meta", 0}}).ok());
  // Overlapping calls, so that more than one slot of the pool is connected.
  RunTogether(kPool, [&](int) {
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(store->ListTopics().ok());
  });

  RawSession admin;
  ASSERT_TRUE(admin.ok());
  auto killed = admin.Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE pid <> pg_backend_pid() AND datname = current_database()");
  ASSERT_GE(killed.size(), 1u);
  // Bounded wait until the killed sessions are gone, so the store meets dead sockets.
  for (int i = 0; i < 200; ++i) {
    if (admin.One("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                  "datname = current_database() AND backend_type = 'client backend'") == "0") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }

  // Each connection may fail one call, with Unavailable; then calls work again.
  std::atomic<int> unavailable{0};
  std::atomic<int> other_failures{0};
  RunTogether(kPool, [&](int) {
    for (int i = 0; i < 10; ++i) {
      Status st = store->ListTopics().status();
      if (st.code() == ErrorCode::kUnavailable) {
        unavailable++;
      } else if (!st.ok()) {
        other_failures++;
        ADD_FAILURE() << st.ToString();
      }
    }
  });
  EXPECT_LE(unavailable.load(), kPool);
  EXPECT_EQ(other_failures.load(), 0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store->ListTopics().ok());

  // Nothing written before the kill is lost, and writes work.
  EXPECT_EQ(store->GetPartition("t", 0)->high_watermark, 10);
  EXPECT_EQ(store->ListSegments("t", 0)->size(), 1u);
  auto offsets = store->FetchOffsets("g");
  ASSERT_TRUE(offsets.ok());
  ASSERT_EQ(offsets->size(), 1u);
  EXPECT_EQ((*offsets)[0].offset, 7);
  EXPECT_EQ((*offsets)[0].metadata, "meta");
  EXPECT_TRUE(store->RegisterSegment(Segment("t", 0, 10, 20), 0).ok());
  EXPECT_EQ(store->GetPartition("t", 0)->high_watermark, 20);
}

TEST(PostgresMetadataStoreTest, CallCutOffMidStatementIsUnavailableAndNextWorks) {
  const std::string schema = FreshSchema("cut");
  auto store = OpenOrNull(Options(schema, 1));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateTopic(Topic("t", 1)).ok());

  // The admin session holds the partition row, so the store's update waits
  // on it; then the admin kills the waiting session.
  RawSession admin;
  ASSERT_TRUE(admin.ok());
  admin.Query("BEGIN");
  admin.Query("SELECT 1 FROM " + schema + ".partitions WHERE topic = 't' FOR UPDATE");
  Status cut;
  std::thread writer([&] { cut = store->UpdateHighWatermark("t", 0, 5, 0); });
  std::vector<std::string> waiting;
  for (int i = 0; i < 400 && waiting.empty(); ++i) {
    waiting = admin.Query(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
        "datname = current_database() AND pid <> pg_backend_pid()");
    if (waiting.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (!waiting.empty()) admin.Query("SELECT pg_terminate_backend($1::integer)", {waiting[0]});
  admin.Query("ROLLBACK");  // releases the writer whatever happened above
  writer.join();
  ASSERT_FALSE(waiting.empty()) << "the store's update never waited on the lock";

  EXPECT_EQ(cut.code(), ErrorCode::kUnavailable) << cut.ToString();
  EXPECT_TRUE(cut.retriable());
  EXPECT_EQ(store->GetPartition("t", 0)->high_watermark, 0);  // the cut write did not happen
  EXPECT_TRUE(store->UpdateHighWatermark("t", 0, 5, 0).ok());
  EXPECT_EQ(store->GetPartition("t", 0)->high_watermark, 5);
}

TEST(PostgresMetadataStoreTest, ConcurrentAcquireLeaseHasOneWinner) {
  const std::string schema = FreshSchema("lease");
  auto [a, b] = TwoAgents(schema);
  ASSERT_TRUE(a != nullptr && b != nullptr);
  constexpr int kPartitions = 16;
  ASSERT_TRUE(a->CreateTopic(Topic("l", kPartitions)).ok());
  const int64_t now = 1'000'000;
  for (int32_t p = 0; p < kPartitions; ++p) {
    std::optional<Result<PartitionLease>> got[2];
    RunTogether(2, [&](int i) {
      got[i] = (i == 0 ? a : b)->AcquireLease("l", p, i == 0 ? "agent-a" : "agent-b", now, kTtl);
    });
    int winners = 0;
    std::string winner;
    for (auto& r : got) {
      if (r->ok()) {
        ++winners;
        winner = (*r)->leader_agent_id;
        EXPECT_EQ((*r)->leader_epoch, 1);
      } else {
        EXPECT_EQ(r->status().code(), ErrorCode::kFenced) << r->status().ToString();
      }
    }
    ASSERT_EQ(winners, 1) << "partition " << p;
    auto stored = a->GetLease("l", p);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->leader_agent_id, winner);
  }
}

TEST(PostgresMetadataStoreTest, FencedEpochWriteChangesNothing) {
  const std::string schema = FreshSchema("fence");
  auto [a, b] = TwoAgents(schema);
  ASSERT_TRUE(a != nullptr && b != nullptr);
  ASSERT_TRUE(a->CreateTopic(Topic("f", 1)).ok());
  auto lease_a = a->AcquireLease("f", 0, "agent-a", 1000, kTtl);
  ASSERT_TRUE(lease_a.ok()) << lease_a.status().ToString();
  ASSERT_TRUE(a->UpdateHighWatermark("f", 0, 10, lease_a->leader_epoch).ok());
  auto lease_b = b->AcquireLease("f", 0, "agent-b", 1000 + kTtl, kTtl);  // a's lapsed
  ASSERT_TRUE(lease_b.ok()) << lease_b.status().ToString();
  ASSERT_EQ(lease_b->leader_epoch, lease_a->leader_epoch + 1);

  const int64_t old_epoch = lease_a->leader_epoch;
  EXPECT_EQ(a->UpdateHighWatermark("f", 0, 50, old_epoch).code(), ErrorCode::kFenced);
  EXPECT_EQ(a->RegisterSegment(Segment("f", 0, 10, 60), old_epoch).code(), ErrorCode::kFenced);
  ProducerState ps{"f", 0, 42, 1, 5, 9, 0};
  EXPECT_EQ(a->SaveProducerStates({ps}, old_epoch).code(), ErrorCode::kFenced);
  EXPECT_EQ(a->RenewLease("f", 0, "agent-a", old_epoch, 2000, kTtl).status().code(),
            ErrorCode::kFenced);

  RawSession db;
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db.One("SELECT high_watermark FROM " + schema + ".partitions"), "10");
  EXPECT_EQ(db.One("SELECT count(*) FROM " + schema + ".segments"), "0");
  EXPECT_EQ(db.One("SELECT count(*) FROM " + schema + ".producer_states"), "0");
  EXPECT_EQ(db.One("SELECT leader_agent_id FROM " + schema + ".partition_leases"), "agent-b");

  // The current epoch writes.
  EXPECT_TRUE(b->RegisterSegment(Segment("f", 0, 10, 60), lease_b->leader_epoch).ok());
  EXPECT_TRUE(b->SaveProducerStates({ps}, lease_b->leader_epoch).ok());
  EXPECT_EQ(db.One("SELECT high_watermark FROM " + schema + ".partitions"), "60");
  EXPECT_EQ(db.One("SELECT count(*) FROM " + schema + ".producer_states"), "1");
}

TEST(PostgresMetadataStoreTest, CallersWaitForAFreeConnection) {
  auto store = OpenOrNull(Options(FreshSchema("pool"), 1));
  ASSERT_NE(store, nullptr);
  std::atomic<int> ok{0};
  RunTogether(6, [&](int) {
    for (int i = 0; i < 10; ++i) ok += store->AllocateProducerId().ok() ? 1 : 0;
  });
  EXPECT_EQ(ok.load(), 60);
}

TEST(PostgresMetadataStoreTest, AcceptsKeyValueConninfoAndOddSchemaNames) {
  std::string url = ServerUrl();
  ASSERT_FALSE(url.empty());
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
  ASSERT_NE(parsed, nullptr) << (error != nullptr ? error : "");
  std::string conninfo;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    std::string key = o->keyword;
    if (o->val != nullptr && (key == "host" || key == "port" || key == "user" || key == "dbname")) {
      conninfo += key + "=" + o->val + " ";
    }
  }
  PQconninfoFree(parsed);

  PostgresOptions options = Options("Odd \"Schema\"; DROP", 2);
  options.url = conninfo;
  auto store = OpenOrNull(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateTopic(Topic("k", 1)).ok());
  EXPECT_EQ(store->ListTopics()->size(), 1u);
  EXPECT_NE(store->Describe().find("Odd"), std::string::npos) << store->Describe();
  RawSession db;
  EXPECT_EQ(db.One("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND "
                   "table_name = 'topics'",
                   {options.schema}),
            "1");
}

TEST(PostgresMetadataStoreTest, DescribeHidesThePassword) {
  std::string url = ServerUrl();
  ASSERT_FALSE(url.empty());
  size_t at = url.find('@');
  ASSERT_NE(at, std::string::npos) << url;
  // The test server trusts loopback logins, so any password is accepted.
  PostgresOptions options = Options(FreshSchema("describe"), 1);
  options.url = url.substr(0, at) + ":s3cret-word" + url.substr(at);
  auto store = OpenOrNull(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe().find("s3cret"), std::string::npos) << store->Describe();
  EXPECT_NE(store->Describe().find("postgresql://"), std::string::npos) << store->Describe();
  EXPECT_NE(store->Describe().find(options.schema), std::string::npos) << store->Describe();
}

TEST(PostgresMetadataStoreTest, BadOptionsAndUnreachableServer) {
  PostgresOptions o = Options(FreshSchema("bad"));
  o.url = "";
  EXPECT_EQ(OpenPostgresMetadataStore(o).status().code(), ErrorCode::kInvalidArgument);
  o.url = "not a url";
  EXPECT_EQ(OpenPostgresMetadataStore(o).status().code(), ErrorCode::kInvalidArgument);
  o.url = "postgresql://127.0.0.1:5432/db?no_such_option=1";
  EXPECT_EQ(OpenPostgresMetadataStore(o).status().code(), ErrorCode::kInvalidArgument);
  o = Options(FreshSchema("bad"), 0);
  EXPECT_EQ(OpenPostgresMetadataStore(o).status().code(), ErrorCode::kInvalidArgument);
  o = Options("", 1);
  EXPECT_EQ(OpenPostgresMetadataStore(o).status().code(), ErrorCode::kInvalidArgument);
  o = Options(std::string(64, 's'), 1);
  EXPECT_EQ(OpenPostgresMetadataStore(o).status().code(), ErrorCode::kInvalidArgument);

  // Nothing listens on port 1 of loopback.
  o = Options(FreshSchema("bad"), 1);
  o.url = "postgresql://postgres@127.0.0.1:1/postgres";
  o.connect_timeout_ms = 2'000;
  auto down = OpenPostgresMetadataStore(o);
  EXPECT_EQ(down.status().code(), ErrorCode::kUnavailable) << down.status().ToString();
  EXPECT_NE(down.status().message().find("127.0.0.1"), std::string::npos)
      << down.status().ToString();
}

}  // namespace
}  // namespace sh
