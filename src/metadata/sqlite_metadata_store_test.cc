// SQLite backend: the shared conformance suite on ":memory:" and on a file,
// plus what only a file database has (migrations, persistence, WAL, sharing).
#include "metadata/sqlite_metadata_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "metadata/metadata_conformance.h"
#include "metadata/metadata_test_data.h"
#include "metadata/sqlite_migrations.h"

namespace sh {
namespace {

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "sh_metadata_XXXXXX";
    SH_CHECK(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TempDir& SharedTempDir() {
  static TempDir* dir = new TempDir();  // lives for the whole test binary
  return *dir;
}

std::unique_ptr<MetadataStore> OpenOrNull(const std::string& path) {
  auto store = SqliteMetadataStore::Open(path);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

std::unique_ptr<MetadataStore> MakeMemoryStore() { return OpenOrNull(":memory:"); }

std::unique_ptr<MetadataStore> MakeFileStore() {
  static std::atomic<int> counter{0};
  return OpenOrNull(SharedTempDir().File("conformance_" + std::to_string(counter++) + ".db"));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MetadataConformanceTest,
                         ::testing::Values(MetadataBackend{"memory", MakeMemoryStore},
                                           MetadataBackend{"file", MakeFileStore}),
                         MetadataBackendName);

// Runs one integer query on a separate raw connection to the same file.
int64_t RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  SH_CHECK(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  SH_CHECK(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

using metadata_test::Topic;

class SqliteMetadataStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteMetadataStore> Open(const Clock* clock = SystemClock::Get()) {
    auto store = SqliteMetadataStore::Open(path_, clock);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  TempDir dir_;
  std::string path_ = dir_.File("metadata.db");
};

TEST_F(SqliteMetadataStoreTest, MigrationsApplyOnceAcrossReopens) {
  const auto known = static_cast<int64_t>(SqliteMigrations().size());
  ASSERT_GE(known, 1);
  for (int i = 0; i < 3; ++i) {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->SchemaVersion(), known);
    if (i == 0) {
      ASSERT_TRUE(store->CreateTopic(Topic("kept", 2)).ok());
    }
  }
  EXPECT_EQ(RawQuery(path_, "SELECT COUNT(*) FROM schema_migrations"), known);
  EXPECT_EQ(RawQuery(path_, "SELECT MAX(version) FROM schema_migrations"), known);
  EXPECT_GT(RawQuery(path_, "SELECT MIN(applied_at) FROM schema_migrations"), 0);
  // The producer-id counter is seeded once, not once per open.
  EXPECT_EQ(RawQuery(path_, "SELECT COUNT(*) FROM producer_ids"), 1);
  EXPECT_EQ(RawQuery(path_, "SELECT COUNT(*) FROM partitions"), 2);
}

TEST_F(SqliteMetadataStoreTest, RefusesSchemaNewerThanTheBinary) {
  { ASSERT_NE(Open(), nullptr); }
  ASSERT_EQ(RawQuery(path_, "INSERT INTO schema_migrations VALUES (999, 1) RETURNING version"),
            999);
  auto store = SqliteMetadataStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

// Writes a database as a StreamHouse of the given schema version left it,
// holding rows (SQL of that version).
void CreateAtVersion(const std::string& path, size_t version,
                     const std::vector<std::string>& rows) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string sql =
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
      "applied_at INTEGER NOT NULL);";
  for (size_t v = 1; v <= version; ++v) {
    sql += "INSERT INTO schema_migrations VALUES (" + std::to_string(v) + ", 1);" +
           SqliteMigrations()[v - 1];
  }
  for (const auto& row : rows) sql += row + ";";
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

TEST_F(SqliteMetadataStoreTest, UpgradesAVersionOneDatabase) {
  std::vector<std::string> rows = metadata_test::VersionOneRows();
  for (const auto& row : metadata_test::OffsetRowsBeforeEpochs()) rows.push_back(row);
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(path_, 1, rows));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), static_cast<int64_t>(SqliteMigrations().size()));
  metadata_test::ExpectVersionOneRowsUpgraded(*store);
  metadata_test::ExpectOffsetRowsUpgraded(*store);
}

TEST_F(SqliteMetadataStoreTest, UpgradesAVersionTwoDatabase) {
  ASSERT_GE(SqliteMigrations().size(), 3u);
  ASSERT_NO_FATAL_FAILURE(CreateAtVersion(path_, 2, metadata_test::OffsetRowsBeforeEpochs()));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), static_cast<int64_t>(SqliteMigrations().size()));
  EXPECT_EQ(RawQuery(path_, "SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(SqliteMigrations().size()));
  metadata_test::ExpectOffsetRowsUpgraded(*store);
}

TEST_F(SqliteMetadataStoreTest, DataPersistsAcrossReopen) {
  int64_t pid = 0;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateTopic(Topic("orders", 3)).ok());
    ASSERT_TRUE(store->UpdateHighWatermark("orders", 2, 77, 0).ok());
    ASSERT_TRUE(store->CommitOffsets({{"g", "orders", 2, 70, "m", 0}}).ok());
    ASSERT_TRUE(store->AcquireLease("orders", 1, "agent-a", 1000, 5000).ok());
    pid = *store->AllocateProducerId();
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetTopic("orders")->partition_count, 3);
  EXPECT_EQ(store->GetPartition("orders", 2)->high_watermark, 77);
  EXPECT_EQ(store->FetchOffsets("g")->at(0).metadata, "m");
  EXPECT_EQ(store->GetLease("orders", 1)->value().leader_agent_id, "agent-a");
  EXPECT_GT(*store->AllocateProducerId(), pid);  // ids are never reused after a restart
}

TEST_F(SqliteMetadataStoreTest, FileDatabaseUsesWal) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->JournalMode(), "wal");
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(store->Describe(), "sqlite://" + path_);
}

TEST_F(SqliteMetadataStoreTest, TwoStoresOnOneFileShareState) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->CreateTopic(Topic("shared", 1)).ok());
  EXPECT_EQ(b->GetTopic("shared")->partition_count, 1);
  EXPECT_EQ(b->CreateTopic(Topic("shared", 1)).code(), ErrorCode::kAlreadyExists);

  // A lease taken through one store fences a stale leader writing through the other.
  auto lease = a->AcquireLease("shared", 0, "agent-a", 1000, 5000);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(b->UpdateHighWatermark("shared", 0, 9, lease->leader_epoch - 1).code(),
            ErrorCode::kFenced);
  ASSERT_TRUE(b->UpdateHighWatermark("shared", 0, 9, lease->leader_epoch).ok());
  EXPECT_EQ(a->GetPartition("shared", 0)->high_watermark, 9);
}

TEST_F(SqliteMetadataStoreTest, ConcurrentWritersOnOneFileDoNotCollide) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<int64_t> ids_a, ids_b;
  auto run = [](SqliteMetadataStore* s, std::vector<int64_t>* out) {
    for (int i = 0; i < 30; ++i) {
      auto id = s->AllocateProducerId();
      if (id.ok()) out->push_back(*id);
    }
  };
  std::thread ta(run, a.get(), &ids_a);
  std::thread tb(run, b.get(), &ids_b);
  ta.join();
  tb.join();
  std::set<int64_t> all(ids_a.begin(), ids_a.end());
  all.insert(ids_b.begin(), ids_b.end());
  EXPECT_EQ(all.size(), 60u);
}

TEST_F(SqliteMetadataStoreTest, TimestampsOfZeroComeFromTheClock) {
  ManualClock clock(1'234'567);
  auto store = Open(&clock);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateTopic(Topic("t", 1)).ok());
  EXPECT_EQ(store->GetTopic("t")->created_at_ms, 1'234'567);
  clock.AdvanceMs(10);
  ASSERT_TRUE(store->CommitOffsets({{"g", "t", 0, 1, "", 0}}).ok());
  EXPECT_EQ(store->FetchOffsets("g")->at(0).committed_at_ms, 1'234'577);
}

TEST_F(SqliteMetadataStoreTest, OpenFailsCleanlyOnBadPaths) {
  auto missing_dir = SqliteMetadataStore::Open(dir_.File("no/such/dir/metadata.db"));
  EXPECT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.status().message().find("no/such/dir"), std::string::npos);

  std::string junk = dir_.File("junk.db");
  std::ofstream(junk) << std::string(4096, 'x');
  auto not_a_db = SqliteMetadataStore::Open(junk);
  ASSERT_FALSE(not_a_db.ok());
  EXPECT_EQ(not_a_db.status().code(), ErrorCode::kCorruption);
}

TEST_F(SqliteMetadataStoreTest, HostileStringsAreStoredVerbatim) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::string nasty = "x'); DROP TABLE topics; --\n\"\\";
  ASSERT_TRUE(
      store->CommitOffsets({{nasty, "t", 0, 1, nasty + std::string(1, '\0') + "z", 0}}).ok());
  auto offsets = store->FetchOffsets(nasty);
  ASSERT_TRUE(offsets.ok());
  ASSERT_EQ(offsets->size(), 1u);
  EXPECT_EQ((*offsets)[0].metadata, nasty + std::string(1, '\0') + "z");
  EXPECT_TRUE(store->ListTopics().ok());
}

}  // namespace
}  // namespace sh
