// PostgreSQL backend: the shared conformance suite on a fresh schema per
// test, plus what only a server shows: agents opening one schema at once,
// agents racing for a lease, fencing checked in the tables themselves, URL
// forms and option errors. Connection loss: postgres_connection_loss_test.cc.
//
// Needs a server: run through tests/support/servers.py run --postgres, which
// exports SH_TEST_POSTGRES_URL. Without it every test fails, saying so.
#include "metadata/postgres_metadata_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "metadata/metadata_conformance.h"
#include "metadata/postgres_migrations.h"
#include "metadata/postgres_test_support.h"

namespace sh {
namespace {

using namespace pgtest;  // NOLINT: the helpers of this binary

std::unique_ptr<MetadataStore> MakeFreshPgStore() {
  return OpenOrNull(Options(FreshSchema("conformance")));
}

INSTANTIATE_TEST_SUITE_P(Postgres, MetadataConformanceTest,
                         ::testing::Values(MetadataBackend{"postgres", MakeFreshPgStore}),
                         MetadataBackendName);

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

// Writes schema as a StreamHouse of the given schema version left it,
// holding rows (SQL of that version).
void CreateAtVersion(const std::string& schema, size_t version,
                     const std::vector<std::string>& rows) {
  RawSession db;
  ASSERT_TRUE(db.ok());
  db.Query("CREATE SCHEMA " + schema);
  db.Query("SET search_path TO " + schema);
  db.Query("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT)");
  for (size_t v = 1; v <= version; ++v) {
    db.Query("INSERT INTO schema_migrations VALUES (" + std::to_string(v) + ", 1)");
    // One statement per call: a parameterised call runs a single command.
    const std::string& script = PostgresMigrations()[v - 1];
    for (size_t from = 0, semi; (semi = script.find(';', from)) != std::string::npos;
         from = semi + 1) {
      db.Query(script.substr(from, semi - from));
    }
  }
  for (const auto& row : rows) db.Query(row);
}

TEST(PostgresMetadataStoreTest, UpgradesAVersionOneSchema) {
  const std::string schema = FreshSchema("upgrade");
  std::vector<std::string> rows = metadata_test::VersionOneRows();
  for (const auto& row : metadata_test::OffsetRowsBeforeEpochs()) rows.push_back(row);
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(schema, 1, rows));
  auto store = OpenOrNull(Options(schema));
  ASSERT_NE(store, nullptr);
  RawSession db;
  EXPECT_EQ(db.One("SELECT max(version) FROM " + schema + ".schema_migrations"),
            std::to_string(PostgresMigrations().size()));
  metadata_test::ExpectVersionOneRowsUpgraded(*store);
  metadata_test::ExpectOffsetRowsUpgraded(*store);
}

TEST(PostgresMetadataStoreTest, UpgradesAVersionTwoSchema) {
  ASSERT_GE(PostgresMigrations().size(), 3u);
  const std::string schema = FreshSchema("upgrade2");
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(schema, 2, metadata_test::OffsetRowsBeforeEpochs()));
  auto store = OpenOrNull(Options(schema));
  ASSERT_NE(store, nullptr);
  RawSession db;
  EXPECT_EQ(db.Query("SELECT version FROM " + schema + ".schema_migrations").size(),
            PostgresMigrations().size());
  metadata_test::ExpectOffsetRowsUpgraded(*store);
}

TEST(PostgresMetadataStoreTest, ConcurrentAcquireLeaseHasOneWinner) {
  const std::string schema = FreshSchema("lease");
  // Not a structured binding: the lambda below captures both, which clang
  // before 16 does not allow for bindings.
  auto agents = TwoAgents(schema);
  std::unique_ptr<MetadataStore>& a = agents.first;
  std::unique_ptr<MetadataStore>& b = agents.second;
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
  EXPECT_EQ(a->RecordEpochStart("f", 0, old_epoch, 10).code(), ErrorCode::kFenced);

  RawSession db;
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db.One("SELECT high_watermark FROM " + schema + ".partitions"), "10");
  EXPECT_EQ(db.One("SELECT count(*) FROM " + schema + ".segments"), "0");
  EXPECT_EQ(db.One("SELECT count(*) FROM " + schema + ".producer_states"), "0");
  EXPECT_EQ(db.One("SELECT count(*) FROM " + schema + ".partition_epochs"), "0");
  EXPECT_EQ(db.One("SELECT leader_agent_id FROM " + schema + ".partition_leases"), "agent-b");

  // The current epoch writes.
  EXPECT_TRUE(b->RegisterSegment(Segment("f", 0, 10, 60), lease_b->leader_epoch).ok());
  EXPECT_TRUE(b->SaveProducerStates({ps}, lease_b->leader_epoch).ok());
  EXPECT_EQ(db.One("SELECT high_watermark FROM " + schema + ".partitions"), "60");
  EXPECT_TRUE(b->RecordEpochStart("f", 0, lease_b->leader_epoch, 10).ok());
  EXPECT_EQ(db.One("SELECT count(*) FROM " + schema + ".producer_states"), "1");
  EXPECT_EQ(db.One("SELECT start_offset FROM " + schema + ".partition_epochs"), "10");
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
  o.url = "postgresql://u:pw-secret@[::1/db";  // unclosed IPv6 bracket
  auto bad = OpenPostgresMetadataStore(o);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find("pw-secret"), std::string::npos) << bad.status().ToString();
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
