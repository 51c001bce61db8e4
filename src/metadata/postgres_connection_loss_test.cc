// PostgreSQL backend, connection loss: sessions killed while idle or in the
// middle of a statement, the database refusing connections for a while, and
// callers queueing for a pool of one. Part of metadata_postgres_test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "metadata/postgres_metadata_store.h"
#include "metadata/postgres_test_support.h"

namespace sh {
namespace {

using namespace pgtest;  // NOLINT: the helpers of this binary

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

// Closes the test database to new sessions and ends the open ones, as a
// server restart does, until End() (or destruction) opens it again. Works
// from template1, since a database that refuses connections cannot be
// administered from inside.
class Outage {
 public:
  Outage() : admin_("template1") {
    db_ = RawSession().One("SELECT current_database()");
    admin_.Query(admin_.One(
        "SELECT format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS false', $1::text)", {db_}));
    admin_.Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                 {db_});
    // Bounded wait until the ended sessions are gone.
    for (int i = 0; i < 200; ++i) {
      if (admin_.One("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND "
                     "backend_type = 'client backend'",
                     {db_}) == "0") {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~Outage() { End(); }
  bool ok() { return admin_.ok() && !db_.empty(); }
  void End() {
    if (ended_) return;
    ended_ = true;
    admin_.Query(admin_.One(
        "SELECT format('ALTER DATABASE %I WITH ALLOW_CONNECTIONS true', $1::text)", {db_}));
  }

 private:
  RawSession admin_;
  std::string db_;
  bool ended_ = false;
};

TEST(PostgresMetadataStoreTest, OutageIsUnavailableUntilTheServerIsBack) {
  auto store = OpenOrNull(Options(FreshSchema("outage"), 2));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateTopic(Topic("o", 1)).ok());
  ASSERT_TRUE(store->UpdateHighWatermark("o", 0, 12, 0).ok());
  {
    Outage outage;
    ASSERT_TRUE(outage.ok());
    // Every call while the database is closed fails, retriably, naming the
    // operation; none hangs or crashes.
    for (int i = 0; i < 3; ++i) {
      Status st = store->UpdateHighWatermark("o", 0, 20, 0);
      EXPECT_EQ(st.code(), ErrorCode::kUnavailable) << st.ToString();
      EXPECT_NE(st.message().find("high watermark"), std::string::npos) << st.ToString();
      EXPECT_EQ(store->GetTopic("o").status().code(), ErrorCode::kUnavailable);
    }
    outage.End();
    // Back: the next call reconnects and works.
    EXPECT_TRUE(store->UpdateHighWatermark("o", 0, 20, 0).ok());
  }
  EXPECT_EQ(store->GetPartition("o", 0)->high_watermark, 20);
  EXPECT_EQ(store->GetTopic("o")->partition_count, 1);
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

}  // namespace
}  // namespace sh
