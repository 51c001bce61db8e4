#include "metadata/cached_metadata_store.h"

#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <thread>

#include "metadata/counting_metadata_store.h"
#include "metadata/forwarding_metadata_store.h"
#include "metadata/metadata_test_data.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh {
namespace {

using Method = CountingMetadataStore::Method;

using metadata_test::Topic;

// A cache over a counter over SQLite: the counter sees exactly what the cache
// lets through.
class CachedMetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    sqlite_ = std::move(opened).value();
    ASSERT_TRUE(sqlite_->CreateTopic(Topic("a", 2)).ok());
    ASSERT_TRUE(sqlite_->CreateTopic(Topic("b", 1)).ok());
    counting_ = std::make_unique<CountingMetadataStore>(*sqlite_);
  }
  CachedMetadataStore& Cache(size_t capacity = 100, int64_t ttl_ms = 1000) {
    cache_ = std::make_unique<CachedMetadataStore>(*counting_, capacity, ttl_ms, &clock_);
    return *cache_;
  }
  int64_t inner_reads() const { return counting_->reads(); }

  ManualClock clock_;
  std::unique_ptr<SqliteMetadataStore> sqlite_;
  std::unique_ptr<CountingMetadataStore> counting_;
  std::unique_ptr<CachedMetadataStore> cache_;
};

TEST_F(CachedMetadataStoreTest, HitsDoNotReachTheInnerStore) {
  auto& cache = Cache();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(cache.GetTopic("a")->partition_count, 2);
    ASSERT_EQ(cache.ListPartitions("a")->size(), 2u);
    ASSERT_EQ(cache.GetPartition("a", 1)->partition, 1);
    ASSERT_EQ(cache.ListTopics()->size(), 2u);
  }
  EXPECT_EQ(inner_reads(), 4);
  EXPECT_EQ(counting_->calls(Method::kGetTopic), 1);
  EXPECT_EQ(counting_->calls(Method::kListPartitions), 1);
  EXPECT_EQ(counting_->calls(Method::kGetPartition), 1);
  EXPECT_EQ(counting_->calls(Method::kListTopics), 1);
  // Different keys are different entries.
  ASSERT_TRUE(cache.GetPartition("a", 0).ok());
  ASSERT_TRUE(cache.GetTopic("b").ok());
  EXPECT_EQ(inner_reads(), 6);
}

TEST_F(CachedMetadataStoreTest, ErrorsAreNotCached) {
  auto& cache = Cache();
  EXPECT_EQ(cache.GetTopic("c").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(cache.GetTopic("c").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(counting_->calls(Method::kGetTopic), 2);
  ASSERT_TRUE(sqlite_->CreateTopic(Topic("c", 1)).ok());  // behind the cache's back
  EXPECT_TRUE(cache.GetTopic("c").ok());
}

TEST_F(CachedMetadataStoreTest, ExpiredEntriesAreFetchedAgain) {
  auto& cache = Cache(100, 1000);
  ASSERT_TRUE(cache.GetPartition("a", 0).ok());
  // Changed elsewhere: the cache serves the old value until the TTL passes.
  ASSERT_TRUE(sqlite_->UpdateHighWatermark("a", 0, 50, 0).ok());
  clock_.AdvanceMs(999);
  EXPECT_EQ(cache.GetPartition("a", 0)->high_watermark, 0);
  EXPECT_EQ(inner_reads(), 1);
  clock_.AdvanceMs(1);
  EXPECT_EQ(cache.GetPartition("a", 0)->high_watermark, 50);
  EXPECT_EQ(inner_reads(), 2);
  EXPECT_EQ(cache.GetPartition("a", 0)->high_watermark, 50);
  EXPECT_EQ(inner_reads(), 2);
}

// Answers like the inner store, or fails every read with `failure` while set.
class FlakyStore final : public ForwardingMetadataStore {
 public:
  using ForwardingMetadataStore::ForwardingMetadataStore;
  std::optional<Status> failure;
  Result<TopicInfo> GetTopic(const std::string& name) override {
    if (failure) return *failure;
    return ForwardingMetadataStore::GetTopic(name);
  }
  Result<std::vector<TopicInfo>> ListTopics() override {
    if (failure) return *failure;
    return ForwardingMetadataStore::ListTopics();
  }
  Result<std::vector<PartitionInfo>> ListPartitions(const std::string& topic) override {
    if (failure) return *failure;
    return ForwardingMetadataStore::ListPartitions(topic);
  }
};

TEST_F(CachedMetadataStoreTest, ExpiredEntriesAreServedWhileTheStoreIsUnavailable) {
  FlakyStore flaky(*sqlite_);
  CachedMetadataStore cache(flaky, 100, 1000, &clock_);
  ASSERT_TRUE(cache.GetTopic("a").ok());
  ASSERT_TRUE(cache.ListTopics().ok());
  ASSERT_TRUE(cache.ListPartitions("a").ok());
  clock_.AdvanceMs(5000);
  flaky.failure = Status::Unavailable("database restarting");
  EXPECT_EQ(cache.GetTopic("a")->partition_count, 2);
  EXPECT_EQ(cache.ListTopics()->size(), 2u);
  EXPECT_EQ(cache.ListPartitions("a")->size(), 2u);
  // Never seen: nothing to fall back on.
  EXPECT_EQ(cache.GetTopic("b").status().code(), ErrorCode::kUnavailable);
  // Other failures are not masked.
  flaky.failure = Status::IOError("disk");
  EXPECT_EQ(cache.GetTopic("a").status().code(), ErrorCode::kIOError);
  // Back up: fresh answers again (a change made meanwhile shows).
  flaky.failure.reset();
  ASSERT_TRUE(sqlite_->AddPartitions("a", 3).ok());
  EXPECT_EQ(cache.GetTopic("a")->partition_count, 3);
  // A write through the cache drops the stale entry: no fallback after it.
  ASSERT_TRUE(cache.UpdateTopicConfig("a", "{}").ok());
  clock_.AdvanceMs(5000);
  flaky.failure = Status::Unavailable("down");
  EXPECT_EQ(cache.GetTopic("a").status().code(), ErrorCode::kUnavailable);
}

TEST_F(CachedMetadataStoreTest, AcquiringALeaseDropsThePartitionsCachedHighWatermark) {
  auto& cache = Cache();
  ASSERT_EQ(cache.GetPartition("a", 0)->high_watermark, 0);
  // The previous leader seals behind this cache's back, then lets the lease go.
  ASSERT_TRUE(sqlite_->UpdateHighWatermark("a", 0, 55, 0).ok());
  EXPECT_EQ(cache.GetPartition("a", 0)->high_watermark, 0);  // cached
  ASSERT_TRUE(cache.AcquireLease("a", 0, "agent-2", clock_.NowMs(), 8000).ok());
  EXPECT_EQ(cache.GetPartition("a", 0)->high_watermark, 55);
}

TEST_F(CachedMetadataStoreTest, PartitionWritesInvalidateThatPartition) {
  auto& cache = Cache();
  ASSERT_TRUE(cache.GetPartition("a", 0).ok());
  ASSERT_TRUE(cache.GetPartition("a", 1).ok());
  ASSERT_TRUE(cache.ListPartitions("a").ok());
  ASSERT_TRUE(cache.GetTopic("a").ok());
  counting_->Reset();

  ASSERT_TRUE(cache.UpdateHighWatermark("a", 0, 10, 0).ok());
  EXPECT_EQ(cache.GetPartition("a", 0)->high_watermark, 10);
  EXPECT_EQ(cache.ListPartitions("a")->at(0).high_watermark, 10);
  EXPECT_EQ(inner_reads(), 2);
  ASSERT_TRUE(cache.GetPartition("a", 1).ok());  // untouched entries stay
  ASSERT_TRUE(cache.GetTopic("a").ok());
  EXPECT_EQ(inner_reads(), 2);

  SegmentInfo seg;
  seg.topic = "a";
  seg.partition = 1;
  seg.end_offset = 30;
  seg.object_key = "k";
  ASSERT_TRUE(cache.RegisterSegment(seg, 0).ok());
  EXPECT_EQ(cache.GetPartition("a", 1)->high_watermark, 30);
  ASSERT_TRUE(cache.UpdateLogStartOffset("a", 1, 20).ok());
  EXPECT_EQ(cache.GetPartition("a", 1)->log_start_offset, 20);
}

TEST_F(CachedMetadataStoreTest, TopicWritesInvalidateTheTopic) {
  auto& cache = Cache();
  ASSERT_EQ(cache.ListTopics()->size(), 2u);
  ASSERT_EQ(cache.ListPartitions("a")->size(), 2u);
  ASSERT_TRUE(cache.GetPartition("a", 1).ok());
  ASSERT_TRUE(cache.GetTopic("b").ok());

  ASSERT_TRUE(cache.AddPartitions("a", 4).ok());
  EXPECT_EQ(cache.ListPartitions("a")->size(), 4u);
  EXPECT_EQ(cache.GetTopic("a")->partition_count, 4);

  ASSERT_TRUE(cache.UpdateTopicConfig("a", R"({"x":"y"})").ok());
  EXPECT_EQ(cache.GetTopic("a")->config_json, R"({"x":"y"})");

  ASSERT_TRUE(cache.CreateTopic(Topic("c", 1)).ok());
  EXPECT_EQ(cache.ListTopics()->size(), 3u);

  ASSERT_TRUE(cache.DeleteTopic("a").ok());
  EXPECT_EQ(cache.GetTopic("a").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(cache.GetPartition("a", 1).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(cache.ListTopics()->size(), 2u);

  counting_->Reset();
  ASSERT_TRUE(cache.GetTopic("b").ok());  // another topic's entry survived all that
  EXPECT_EQ(inner_reads(), 0);
}

TEST_F(CachedMetadataStoreTest, LruBoundIsRespected) {
  ASSERT_TRUE(sqlite_->AddPartitions("a", 10).ok());
  auto& cache = Cache(3, 60'000);
  for (int32_t p = 0; p < 3; ++p) ASSERT_TRUE(cache.GetPartition("a", p).ok());
  EXPECT_EQ(cache.size(), 3u);
  ASSERT_TRUE(cache.GetPartition("a", 0).ok());  // touch 0: 1 is now the oldest
  ASSERT_TRUE(cache.GetPartition("a", 3).ok());  // evicts 1
  EXPECT_EQ(cache.size(), 3u);
  counting_->Reset();
  ASSERT_TRUE(cache.GetPartition("a", 0).ok());
  ASSERT_TRUE(cache.GetPartition("a", 2).ok());
  ASSERT_TRUE(cache.GetPartition("a", 3).ok());
  EXPECT_EQ(inner_reads(), 0);
  ASSERT_TRUE(cache.GetPartition("a", 1).ok());
  EXPECT_EQ(inner_reads(), 1);
  EXPECT_EQ(cache.size(), 3u);
}

TEST_F(CachedMetadataStoreTest, ZeroCapacityOrTtlDisablesCaching) {
  for (auto [capacity, ttl] : {std::pair<size_t, int64_t>{0, 1000}, {10, 0}}) {
    auto& cache = Cache(capacity, ttl);
    counting_->Reset();
    ASSERT_TRUE(cache.GetTopic("a").ok());
    ASSERT_TRUE(cache.GetTopic("a").ok());
    EXPECT_EQ(inner_reads(), 2);
    EXPECT_EQ(cache.size(), 0u);
  }
}

TEST_F(CachedMetadataStoreTest, OtherCallsPassThrough) {
  auto& cache = Cache();
  ASSERT_TRUE(cache.UpsertAgent({"agent-a", "h:1", "", 1, 1}).ok());
  ASSERT_EQ(cache.ListAgents()->size(), 1u);
  ASSERT_EQ(cache.ListAgents()->size(), 1u);
  EXPECT_EQ(counting_->calls(Method::kListAgents), 2);
  EXPECT_EQ(counting_->calls(Method::kUpsertAgent), 1);
  EXPECT_EQ(cache.Describe(), "cached(counting(sqlite://:memory:))");
}

TEST_F(CachedMetadataStoreTest, EpochStartsAndNodeIdsAreNeverCached) {
  auto& cache = Cache();
  AgentInfo agent{"agent-a", "h:1", "", 1, 1};
  agent.node_id = 4;
  ASSERT_TRUE(cache.UpsertAgent(agent).ok());
  EXPECT_EQ(cache.ListAgents()->at(0).node_id, 4);
  agent.node_id = 5;
  ASSERT_TRUE(sqlite_->UpsertAgent(agent).ok());  // behind the cache's back
  EXPECT_EQ(cache.ListAgents()->at(0).node_id, 5);

  ASSERT_TRUE(cache.RecordEpochStart("a", 0, 1, 10).ok());
  EXPECT_EQ(cache.ListEpochStarts("a", 0)->size(), 1u);
  ASSERT_TRUE(sqlite_->RecordEpochStart("a", 0, 2, 20).ok());  // behind the cache's back
  EXPECT_EQ(cache.ListEpochStarts("a", 0)->size(), 2u);
  EXPECT_EQ(counting_->calls(Method::kRecordEpochStart), 1);
  EXPECT_EQ(counting_->calls(Method::kListEpochStarts), 2);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(CachedMetadataStoreTest, ConcurrentReadersAndWritersSeeTheirOwnWrites) {
  auto& cache = Cache(8, 60'000);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int32_t p = 0; p < 2; ++p) {
    threads.emplace_back([&, p] {
      for (int64_t hw = 1; hw <= 100; ++hw) {
        if (!cache.UpdateHighWatermark("a", p, hw, 0).ok()) ++failures;
        auto got = cache.GetPartition("a", p);
        // Only this thread writes partition p: it must read back what it wrote.
        if (!got.ok() || got->high_watermark != hw) ++failures;
        if (!cache.ListPartitions("a").ok() || !cache.GetTopic("b").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// Holds the first GetPartition answer after reading it, until released: lets a
// test put a write between a cache miss's read and its fill.
class PausingStore final : public ForwardingMetadataStore {
 public:
  using ForwardingMetadataStore::ForwardingMetadataStore;
  Result<PartitionInfo> GetPartition(const std::string& topic, int32_t partition) override {
    auto result = inner().GetPartition(topic, partition);
    if (!paused_once_.exchange(true)) {
      read_done_.set_value();
      release_.get_future().wait();
    }
    return result;
  }
  std::promise<void> read_done_;
  std::promise<void> release_;

 private:
  std::atomic<bool> paused_once_{false};
};

TEST_F(CachedMetadataStoreTest, ReadRacingAWriteDoesNotCacheTheOldValue) {
  PausingStore pausing(*sqlite_);
  CachedMetadataStore cache(pausing, 100, 60'000, &clock_);
  auto read_done = pausing.read_done_.get_future();
  std::thread reader([&] { (void)cache.GetPartition("a", 0); });  // reads HW 0, then waits
  read_done.wait();
  ASSERT_TRUE(cache.UpdateHighWatermark("a", 0, 10, 0).ok());
  pausing.release_.set_value();
  reader.join();
  // The reader's stale answer must not have been put in the cache after the write.
  EXPECT_EQ(cache.GetPartition("a", 0)->high_watermark, 10);
}

// ---- the counting decorator on its own ----

TEST(CountingMetadataStoreTest, CountsReadsAndWritesPerMethod) {
  auto sqlite = SqliteMetadataStore::Open(":memory:");
  ASSERT_TRUE(sqlite.ok());
  CountingMetadataStore counting(**sqlite);
  ASSERT_TRUE(counting.CreateTopic(Topic("t", 1)).ok());
  ASSERT_TRUE(counting.GetTopic("t").ok());
  ASSERT_TRUE(counting.GetPartition("t", 0).ok());
  ASSERT_TRUE(counting.ListSegments("t", 0).ok());
  ASSERT_TRUE(counting.AllocateProducerId().ok());
  ASSERT_TRUE(counting.RecordEpochStart("t", 0, 1, 0).ok());
  ASSERT_TRUE(counting.ListEpochStarts("t", 0).ok());
  EXPECT_EQ(counting.GetTopic("x").status().code(), ErrorCode::kNotFound);  // errors count too
  EXPECT_EQ(counting.reads(), 5);
  EXPECT_EQ(counting.writes(), 3);
  EXPECT_EQ(counting.total(), 8);
  EXPECT_EQ(counting.calls(Method::kRecordEpochStart), 1);
  EXPECT_EQ(counting.calls(Method::kListEpochStarts), 1);
  EXPECT_EQ(counting.calls(Method::kGetTopic), 2);
  EXPECT_EQ(counting.calls(Method::kAllocateProducerId), 1);
  EXPECT_EQ(counting.calls(Method::kListTopics), 0);
  counting.Reset();
  EXPECT_EQ(counting.total(), 0);
  EXPECT_EQ(counting.calls(Method::kGetTopic), 0);
}

}  // namespace
}  // namespace sh
