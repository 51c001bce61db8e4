// Conformance tests, third part: what cluster mode adds (docs/cluster.md):
// epoch start offsets and the agents' Kafka node ids.
#include <atomic>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "metadata/metadata_conformance.h"
#include "metadata/metadata_test_data.h"

namespace sh {
namespace {

using metadata_test::Topic;
using Starts = std::map<int64_t, int64_t>;

constexpr int64_t kTtl = 10'000;

// Runs fn(i) on n threads; joins them.
void OnThreads(int n, const std::function<void(int)>& fn) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(fn, i);
  for (auto& t : threads) t.join();
}

// ---- epoch start offsets ----

TEST_P(MetadataConformanceTest, EpochStartsRecordAndList) {
  ManualClock clock;
  ASSERT_TRUE(store().CreateTopic(Topic("e", 2)).ok());
  EXPECT_EQ(*store().ListEpochStarts("e", 0), Starts{});

  auto a = store().AcquireLease("e", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Status st = store().RecordEpochStart("e", 0, a->leader_epoch, 100);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(*store().ListEpochStarts("e", 0), (Starts{{a->leader_epoch, 100}}));

  // The next holder records its own start; both are listed, by epoch.
  clock.AdvanceMs(kTtl + 1);
  auto b = store().AcquireLease("e", 0, "agent-b", clock.NowMs(), kTtl);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(store().RecordEpochStart("e", 0, b->leader_epoch, 110).ok());
  EXPECT_EQ(*store().ListEpochStarts("e", 0),
            (Starts{{a->leader_epoch, 100}, {b->leader_epoch, 110}}));
  EXPECT_EQ(*store().ListEpochStarts("e", 1), Starts{});  // other partition untouched
}

TEST_P(MetadataConformanceTest, EpochStartKeepsTheFirstValue) {
  ASSERT_TRUE(store().CreateTopic(Topic("e", 1)).ok());
  auto a = store().AcquireLease("e", 0, "agent-a", 1000, kTtl);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store().RecordEpochStart("e", 0, a->leader_epoch, 40).ok());
  // The same holder restarting recovers more and records again: OK, unchanged.
  Status again = store().RecordEpochStart("e", 0, a->leader_epoch, 55);
  EXPECT_TRUE(again.ok()) << again.ToString();
  EXPECT_TRUE(store().RecordEpochStart("e", 0, a->leader_epoch, 0).ok());
  EXPECT_EQ(*store().ListEpochStarts("e", 0), (Starts{{a->leader_epoch, 40}}));
}

TEST_P(MetadataConformanceTest, EpochStartIsFencedByAnotherEpochsLease) {
  ManualClock clock;
  ASSERT_TRUE(store().CreateTopic(Topic("e", 1)).ok());
  auto a = store().AcquireLease("e", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(a.ok());
  const int64_t epoch_a = a->leader_epoch;
  ASSERT_TRUE(store().RecordEpochStart("e", 0, epoch_a, 10).ok());
  // Not the lease's epoch, lower or higher: fenced, nothing recorded.
  Status stale = store().RecordEpochStart("e", 0, epoch_a - 1, 5);
  EXPECT_EQ(stale.code(), ErrorCode::kFenced) << stale.ToString();
  EXPECT_NE(stale.message().find("e"), std::string::npos);
  EXPECT_EQ(store().RecordEpochStart("e", 0, epoch_a + 1, 20).code(), ErrorCode::kFenced);

  clock.AdvanceMs(kTtl + 1);
  auto b = store().AcquireLease("e", 0, "agent-b", clock.NowMs(), kTtl);
  ASSERT_TRUE(b.ok());
  // The deposed holder is fenced even re-recording the epoch it once recorded.
  EXPECT_EQ(store().RecordEpochStart("e", 0, epoch_a, 10).code(), ErrorCode::kFenced);
  EXPECT_EQ(store().RecordEpochStart("e", 0, epoch_a, 30).code(), ErrorCode::kFenced);
  EXPECT_EQ(*store().ListEpochStarts("e", 0), (Starts{{epoch_a, 10}}));
  ASSERT_TRUE(store().RecordEpochStart("e", 0, b->leader_epoch, 30).ok());
  EXPECT_EQ(*store().ListEpochStarts("e", 0), (Starts{{epoch_a, 10}, {b->leader_epoch, 30}}));
}

TEST_P(MetadataConformanceTest, EpochStartWithoutLeaseIsNotFenced) {
  ASSERT_TRUE(store().CreateTopic(Topic("e", 1)).ok());
  EXPECT_TRUE(store().RecordEpochStart("e", 0, 0, 0).ok());
  EXPECT_TRUE(store().RecordEpochStart("e", 0, 7, 90).ok());  // any epoch
  EXPECT_EQ(*store().ListEpochStarts("e", 0), (Starts{{0, 0}, {7, 90}}));
}

TEST_P(MetadataConformanceTest, EpochStartErrors) {
  ASSERT_TRUE(store().CreateTopic(Topic("e", 1)).ok());
  EXPECT_EQ(store().RecordEpochStart("e", 0, 1, -1).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().RecordEpochStart("e", 0, -1, 0).code(), ErrorCode::kInvalidArgument);
  Status missing = store().RecordEpochStart("e", 4, 1, 0);
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find('4'), std::string::npos) << missing.ToString();
  EXPECT_EQ(store().RecordEpochStart("ghost", 0, 1, 0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().ListEpochStarts("e", 4).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().ListEpochStarts("ghost", 0).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(*store().ListEpochStarts("e", 0), Starts{});
}

TEST_P(MetadataConformanceTest, EpochStartsGoWithTheTopic) {
  ASSERT_TRUE(store().CreateTopic(Topic("gone", 2)).ok());
  ASSERT_TRUE(store().CreateTopic(Topic("kept", 1)).ok());
  ASSERT_TRUE(store().RecordEpochStart("gone", 0, 1, 10).ok());
  ASSERT_TRUE(store().RecordEpochStart("gone", 1, 2, 20).ok());
  ASSERT_TRUE(store().RecordEpochStart("kept", 0, 1, 30).ok());
  ASSERT_TRUE(store().DeleteTopic("gone").ok());
  EXPECT_EQ(store().ListEpochStarts("gone", 0).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(*store().ListEpochStarts("kept", 0), (Starts{{1, 30}}));
  // Re-created, the topic starts with no epoch starts, and records anew.
  ASSERT_TRUE(store().CreateTopic(Topic("gone", 2)).ok());
  EXPECT_EQ(*store().ListEpochStarts("gone", 0), Starts{});
  EXPECT_EQ(*store().ListEpochStarts("gone", 1), Starts{});
  ASSERT_TRUE(store().RecordEpochStart("gone", 0, 1, 0).ok());
  EXPECT_EQ(*store().ListEpochStarts("gone", 0), (Starts{{1, 0}}));
}

TEST_P(MetadataConformanceTest, ConcurrentRecordsOfOneEpochKeepOneValue) {
  constexpr int kThreads = 4;
  constexpr int32_t kPartitions = 4;
  ASSERT_TRUE(store().CreateTopic(Topic("c", kPartitions)).ok());
  std::atomic<int> failures{0};
  // Every thread records epoch 3 of every partition with its own offset, and
  // an epoch of its own: the first record of epoch 3 wins, nothing is lost.
  OnThreads(kThreads, [&](int t) {
    for (int32_t p = 0; p < kPartitions; ++p) {
      if (!store().RecordEpochStart("c", p, 3, 100 + t).ok()) ++failures;
      if (!store().RecordEpochStart("c", p, 10 + t, 200 + t).ok()) ++failures;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  for (int32_t p = 0; p < kPartitions; ++p) {
    auto starts = store().ListEpochStarts("c", p);
    ASSERT_TRUE(starts.ok()) << starts.status().ToString();
    ASSERT_EQ(starts->size(), static_cast<size_t>(kThreads + 1)) << "partition " << p;
    EXPECT_GE(starts->at(3), 100);
    EXPECT_LT(starts->at(3), 100 + kThreads);
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(starts->at(10 + t), 200 + t);
  }
}

TEST_P(MetadataConformanceTest, EpochStartRacingATakeoverIsAllOrNothing) {
  constexpr int32_t kPartitions = 8;
  ASSERT_TRUE(store().CreateTopic(Topic("r", kPartitions)).ok());
  for (int32_t p = 0; p < kPartitions; ++p) {
    auto a = store().AcquireLease("r", p, "agent-a", 1000, kTtl);
    ASSERT_TRUE(a.ok());
    Status recorded;
    Result<PartitionLease> b = Status::Internal("not run");
    OnThreads(2, [&](int i) {
      if (i == 0) recorded = store().RecordEpochStart("r", p, a->leader_epoch, 50);
      if (i == 1) b = store().AcquireLease("r", p, "agent-b", 1000 + kTtl, kTtl);
    });
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    auto starts = store().ListEpochStarts("r", p);
    ASSERT_TRUE(starts.ok());
    // Either the record came first (and stands) or it was fenced (and left nothing).
    if (recorded.ok()) {
      EXPECT_EQ(*starts, (Starts{{a->leader_epoch, 50}})) << "partition " << p;
    } else {
      EXPECT_EQ(recorded.code(), ErrorCode::kFenced) << recorded.ToString();
      EXPECT_EQ(*starts, Starts{}) << "partition " << p;
    }
    EXPECT_EQ(store().RecordEpochStart("r", p, a->leader_epoch, 50).code(), ErrorCode::kFenced);
  }
}

// ---- agents' Kafka node ids ----

TEST_P(MetadataConformanceTest, AgentsCarryTheirNodeId) {
  AgentInfo a{"agent-a", "10.0.0.1:9092", "zone-a", 100, 150};
  a.node_id = 7;
  AgentInfo b{"agent-b", "10.0.0.2:9092", "zone-b", 100, 200};  // no node id assigned
  ASSERT_TRUE(store().UpsertAgent(a).ok());
  ASSERT_TRUE(store().UpsertAgent(b).ok());
  auto agents = store().ListAgents();
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ(agents->size(), 2u);
  EXPECT_EQ((*agents)[0].node_id, 7);
  EXPECT_EQ((*agents)[1].node_id, -1);

  // A heartbeat carries the row again; a changed node id replaces the old one.
  a.node_id = 2'147'483'647;
  a.last_heartbeat_ms = 300;
  b.node_id = 0;
  ASSERT_TRUE(store().UpsertAgent(a).ok());
  ASSERT_TRUE(store().UpsertAgent(b).ok());
  agents = store().ListAgents();
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ(agents->size(), 2u);
  EXPECT_EQ((*agents)[0].node_id, 2'147'483'647);
  EXPECT_EQ((*agents)[0].last_heartbeat_ms, 300);
  EXPECT_EQ((*agents)[1].node_id, 0);
}

}  // namespace
}  // namespace sh
