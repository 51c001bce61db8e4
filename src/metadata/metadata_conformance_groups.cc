// Conformance tests, second half: fencing, leases, consumer groups, agents
// and idempotent-producer state.
#include <set>
#include <thread>

#include "base/clock.h"
#include "metadata/metadata_conformance.h"
#include "metadata/metadata_test_data.h"

namespace sh {
namespace {

constexpr int64_t kTtl = 10'000;

using metadata_test::Segment;
using metadata_test::Topic;

ProducerState Producer(const std::string& topic, int32_t partition, int64_t pid, int32_t seq,
                       int64_t offset) {
  ProducerState s;
  s.topic = topic;
  s.partition = partition;
  s.producer_id = pid;
  s.producer_epoch = 3;
  s.last_sequence = seq;
  s.last_offset = offset;
  s.updated_at_ms = 1'700'000'000'000 + seq;
  return s;
}

// ---- fencing ----

TEST_P(MetadataConformanceTest, WritesWithoutLeaseAreNotFenced) {
  ASSERT_TRUE(store().CreateTopic(Topic("f", 1)).ok());
  EXPECT_TRUE(store().UpdateHighWatermark("f", 0, 5, 0).ok());
  EXPECT_TRUE(store().UpdateHighWatermark("f", 0, 6, 17).ok());  // any epoch
  EXPECT_TRUE(store().RegisterSegment(Segment("f", 0, 0, 8), 3).ok());
  EXPECT_TRUE(store().SaveProducerStates({Producer("f", 0, 1, 0, 7)}, 9).ok());
  EXPECT_EQ(store().GetPartition("f", 0)->high_watermark, 8);
}

TEST_P(MetadataConformanceTest, DeposedLeaderIsFenced) {
  ManualClock clock;
  ASSERT_TRUE(store().CreateTopic(Topic("f", 2)).ok());
  auto a = store().AcquireLease("f", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const int64_t epoch_a = a->leader_epoch;

  // The current epoch writes; any other epoch is fenced and changes nothing.
  ASSERT_TRUE(store().UpdateHighWatermark("f", 0, 10, epoch_a).ok());
  Status stale = store().UpdateHighWatermark("f", 0, 20, epoch_a - 1);
  EXPECT_EQ(stale.code(), ErrorCode::kFenced);
  EXPECT_NE(stale.message().find("f"), std::string::npos);
  EXPECT_EQ(store().UpdateHighWatermark("f", 0, 20, epoch_a + 1).code(), ErrorCode::kFenced);
  EXPECT_EQ(store().GetPartition("f", 0)->high_watermark, 10);

  // Agent b takes over after a's lease lapses.
  clock.AdvanceMs(kTtl + 1);
  auto b = store().AcquireLease("f", 0, "agent-b", clock.NowMs(), kTtl);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->leader_epoch, epoch_a + 1);

  EXPECT_EQ(store().UpdateHighWatermark("f", 0, 30, epoch_a).code(), ErrorCode::kFenced);
  EXPECT_EQ(store().RegisterSegment(Segment("f", 0, 10, 40), epoch_a).code(), ErrorCode::kFenced);
  EXPECT_EQ(store().SaveProducerStates({Producer("f", 0, 1, 0, 12)}, epoch_a).code(),
            ErrorCode::kFenced);
  EXPECT_EQ(store().GetPartition("f", 0)->high_watermark, 10);
  EXPECT_TRUE(store().ListSegments("f", 0)->empty());
  EXPECT_TRUE(store().LoadProducerStates("f", 0)->empty());

  EXPECT_TRUE(store().RegisterSegment(Segment("f", 0, 10, 40), b->leader_epoch).ok());
  EXPECT_TRUE(store().SaveProducerStates({Producer("f", 0, 1, 0, 12)}, b->leader_epoch).ok());
  EXPECT_EQ(store().GetPartition("f", 0)->high_watermark, 40);
  // Partition 1 has no lease: unaffected by partition 0's.
  EXPECT_TRUE(store().UpdateHighWatermark("f", 1, 3, epoch_a).ok());
}

TEST_P(MetadataConformanceTest, FencedBatchSavesNothing) {
  ASSERT_TRUE(store().CreateTopic(Topic("f", 2)).ok());
  auto lease = store().AcquireLease("f", 1, "agent-a", 1000, kTtl);
  ASSERT_TRUE(lease.ok());
  // The first state is for an unleased partition, the second is fenced: all or nothing.
  Status st = store().SaveProducerStates({Producer("f", 0, 1, 0, 0), Producer("f", 1, 1, 0, 0)},
                                         lease->leader_epoch + 5);
  EXPECT_EQ(st.code(), ErrorCode::kFenced);
  EXPECT_TRUE(store().LoadProducerStates("f", 0)->empty());
}

// ---- leases ----

TEST_P(MetadataConformanceTest, LeaseAcquireRenewExpireRelease) {
  ManualClock clock;
  ASSERT_TRUE(store().CreateTopic(Topic("l", 1)).ok());
  EXPECT_FALSE(store().GetLease("l", 0)->has_value());

  auto first = store().AcquireLease("l", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->topic, "l");
  EXPECT_EQ(first->partition, 0);
  EXPECT_EQ(first->leader_agent_id, "agent-a");
  EXPECT_GE(first->leader_epoch, 1);
  EXPECT_EQ(first->expires_at_ms, clock.NowMs() + kTtl);
  const int64_t e = first->leader_epoch;

  // Re-acquiring as the holder renews: same epoch, later expiry.
  clock.AdvanceMs(4000);
  auto again = store().AcquireLease("l", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->leader_epoch, e);
  EXPECT_EQ(again->expires_at_ms, clock.NowMs() + kTtl);

  // Another agent cannot take an unexpired lease.
  clock.AdvanceMs(kTtl - 1);
  Status busy = store().AcquireLease("l", 0, "agent-b", clock.NowMs(), kTtl).status();
  EXPECT_EQ(busy.code(), ErrorCode::kFenced);
  EXPECT_NE(busy.message().find("agent-a"), std::string::npos);

  // RenewLease by the holder with its epoch extends it.
  auto renewed = store().RenewLease("l", 0, "agent-a", e, clock.NowMs(), kTtl);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->leader_epoch, e);
  EXPECT_EQ(renewed->expires_at_ms, clock.NowMs() + kTtl);
  EXPECT_EQ(store().GetLease("l", 0)->value().expires_at_ms, clock.NowMs() + kTtl);

  // Expired: another agent takes it with the next epoch.
  clock.AdvanceMs(kTtl);
  auto b = store().AcquireLease("l", 0, "agent-b", clock.NowMs(), kTtl);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->leader_epoch, e + 1);
  EXPECT_EQ(b->leader_agent_id, "agent-b");

  // The old holder can neither renew nor release.
  EXPECT_EQ(store().RenewLease("l", 0, "agent-a", e, clock.NowMs(), kTtl).status().code(),
            ErrorCode::kFenced);
  EXPECT_EQ(store().ReleaseLease("l", 0, "agent-a", e).code(), ErrorCode::kFenced);
  EXPECT_EQ(store().RenewLease("l", 0, "agent-b", e, clock.NowMs(), kTtl).status().code(),
            ErrorCode::kFenced);  // right agent, wrong epoch

  // A released lease is free at once and keeps its epoch for the next holder.
  ASSERT_TRUE(store().ReleaseLease("l", 0, "agent-b", e + 1).ok());
  auto released = store().GetLease("l", 0);
  ASSERT_TRUE(released.ok() && released->has_value());
  EXPECT_EQ((*released)->leader_epoch, e + 1);
  auto a2 = store().AcquireLease("l", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(a2.ok()) << a2.status().ToString();
  EXPECT_EQ(a2->leader_epoch, e + 2);
}

TEST_P(MetadataConformanceTest, LeaseEpochMovesOnlyOnHolderChange) {
  ManualClock clock;
  ASSERT_TRUE(store().CreateTopic(Topic("l", 1)).ok());
  auto a = store().AcquireLease("l", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(a.ok());
  // The same holder re-taking its own lapsed lease: nobody led in between.
  clock.AdvanceMs(3 * kTtl);
  auto a_again = store().AcquireLease("l", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(a_again.ok());
  EXPECT_EQ(a_again->leader_epoch, a->leader_epoch);
  ASSERT_TRUE(store().ReleaseLease("l", 0, "agent-a", a->leader_epoch).ok());
  auto a_third = store().AcquireLease("l", 0, "agent-a", clock.NowMs(), kTtl);
  ASSERT_TRUE(a_third.ok());
  EXPECT_EQ(a_third->leader_epoch, a->leader_epoch);
}

TEST_P(MetadataConformanceTest, LeaseErrorsAndListing) {
  ASSERT_TRUE(store().CreateTopic(Topic("l", 2)).ok());
  ASSERT_TRUE(store().CreateTopic(Topic("m", 1)).ok());
  EXPECT_EQ(store().AcquireLease("l", 5, "agent-a", 0, kTtl).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().AcquireLease("zz", 0, "agent-a", 0, kTtl).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(store().AcquireLease("l", 0, "", 0, kTtl).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().AcquireLease("l", 0, "agent-a", 0, 0).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().RenewLease("l", 0, "agent-a", 1, 0, kTtl).status().code(),
            ErrorCode::kFenced);  // never acquired

  ASSERT_TRUE(store().AcquireLease("m", 0, "agent-b", 0, kTtl).ok());
  ASSERT_TRUE(store().AcquireLease("l", 1, "agent-a", 0, kTtl).ok());
  ASSERT_TRUE(store().AcquireLease("l", 0, "agent-c", 0, kTtl).ok());
  auto leases = store().ListLeases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 3u);
  EXPECT_EQ((*leases)[0].topic + std::to_string((*leases)[0].partition), "l0");
  EXPECT_EQ((*leases)[0].leader_agent_id, "agent-c");
  EXPECT_EQ((*leases)[1].topic + std::to_string((*leases)[1].partition), "l1");
  EXPECT_EQ((*leases)[2].topic + std::to_string((*leases)[2].partition), "m0");
}

// ---- consumer groups and offsets ----

TEST_P(MetadataConformanceTest, GroupsUpsertGetListDelete) {
  ASSERT_TRUE(store().UpsertGroup({"g2", "consumer", "Stable", 1000}).ok());
  ASSERT_TRUE(store().UpsertGroup({"g1", "", "Empty", 2000}).ok());
  auto g2 = store().GetGroup("g2");
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->protocol_type, "consumer");
  EXPECT_EQ(g2->state, "Stable");
  EXPECT_EQ(g2->updated_at_ms, 1000);

  ASSERT_TRUE(store().UpsertGroup({"g2", "consumer", "PreparingRebalance", 3000}).ok());
  EXPECT_EQ(store().GetGroup("g2")->state, "PreparingRebalance");
  EXPECT_EQ(store().GetGroup("g2")->updated_at_ms, 3000);

  auto groups = store().ListGroups();
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].group_id, "g1");
  EXPECT_EQ((*groups)[1].group_id, "g2");

  ASSERT_TRUE(store().DeleteGroup("g1").ok());
  Status missing = store().DeleteGroup("g1");
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find("g1"), std::string::npos);
  EXPECT_EQ(store().GetGroup("g1").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().ListGroups()->size(), 1u);
  EXPECT_EQ(store().UpsertGroup({"", "", "", 0}).code(), ErrorCode::kInvalidArgument);
}

TEST_P(MetadataConformanceTest, CommitFetchAndDeleteOffsets) {
  EXPECT_TRUE(store().FetchOffsets("fresh")->empty());
  ASSERT_TRUE(store()
                  .CommitOffsets({{"g", "orders", 1, 100, "meta-1", 5000},
                                  {"g", "orders", 0, 50, "", 5000},
                                  {"g", "clicks", 0, 7, "{\"k\":1}\n", 5000},
                                  {"other", "orders", 0, 1, "x", 5000}})
                  .ok());
  ASSERT_TRUE(store().GetGroup("g").ok());  // created by the commit

  auto offsets = store().FetchOffsets("g");
  ASSERT_TRUE(offsets.ok());
  ASSERT_EQ(offsets->size(), 3u);  // by topic, then partition
  EXPECT_EQ((*offsets)[0].topic, "clicks");
  EXPECT_EQ((*offsets)[0].metadata, "{\"k\":1}\n");
  EXPECT_EQ((*offsets)[1].partition, 0);
  EXPECT_EQ((*offsets)[1].offset, 50);
  EXPECT_EQ((*offsets)[2].partition, 1);
  EXPECT_EQ((*offsets)[2].offset, 100);
  EXPECT_EQ((*offsets)[2].metadata, "meta-1");
  EXPECT_EQ((*offsets)[2].committed_at_ms, 5000);
  EXPECT_EQ((*offsets)[2].group_id, "g");

  // A later commit overwrites.
  ASSERT_TRUE(store().CommitOffsets({{"g", "orders", 1, 120, "meta-2", 6000}}).ok());
  offsets = store().FetchOffsets("g");
  EXPECT_EQ((*offsets)[2].offset, 120);
  EXPECT_EQ((*offsets)[2].metadata, "meta-2");

  ASSERT_TRUE(store().DeleteOffset("g", "orders", 0).ok());
  EXPECT_EQ(store().DeleteOffset("g", "orders", 0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().FetchOffsets("g")->size(), 2u);

  ASSERT_TRUE(store().DeleteGroup("g").ok());  // takes its offsets along
  EXPECT_TRUE(store().FetchOffsets("g")->empty());
  EXPECT_EQ(store().FetchOffsets("other")->size(), 1u);
  EXPECT_TRUE(store().CommitOffsets({}).ok());
  EXPECT_EQ(store().CommitOffsets({{"", "t", 0, 1, "", 0}}).code(), ErrorCode::kInvalidArgument);
}

TEST_P(MetadataConformanceTest, OffsetsKeepTheirLeaderEpoch) {
  CommittedOffset with_epoch{"g", "orders", 0, 100, "m", 5000};
  with_epoch.leader_epoch = 7;
  CommittedOffset unknown{"g", "orders", 1, 20, "", 5000};  // epoch left at its default
  CommittedOffset zero{"g", "orders", 2, 3, "", 5000};
  zero.leader_epoch = 0;
  ASSERT_TRUE(store().CommitOffsets({with_epoch, unknown, zero}).ok());
  auto offsets = store().FetchOffsets("g");
  ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
  ASSERT_EQ(offsets->size(), 3u);
  EXPECT_EQ((*offsets)[0].leader_epoch, 7);
  EXPECT_EQ((*offsets)[0].offset, 100);
  EXPECT_EQ((*offsets)[1].leader_epoch, -1);
  EXPECT_EQ((*offsets)[2].leader_epoch, 0);

  // A later commit replaces the epoch with its own, known or not.
  with_epoch.offset = 150;
  with_epoch.leader_epoch = 9;
  unknown.leader_epoch = 2'000'000'000;
  ASSERT_TRUE(store().CommitOffsets({with_epoch, unknown}).ok());
  offsets = store().FetchOffsets("g");
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ((*offsets)[0].leader_epoch, 9);
  EXPECT_EQ((*offsets)[1].leader_epoch, 2'000'000'000);
  with_epoch.leader_epoch = -1;
  ASSERT_TRUE(store().CommitOffsets({with_epoch}).ok());
  offsets = store().FetchOffsets("g");
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ((*offsets)[0].leader_epoch, -1);
  EXPECT_EQ((*offsets)[0].offset, 150);
  EXPECT_EQ((*offsets)[2].leader_epoch, 0);  // untouched
}

// ---- agents ----

TEST_P(MetadataConformanceTest, AgentsUpsertListRemove) {
  ASSERT_TRUE(store().UpsertAgent({"agent-b", "10.0.0.2:9092", "zone-b", 100, 200}).ok());
  ASSERT_TRUE(store().UpsertAgent({"agent-a", "10.0.0.1:9092", "zone-a", 100, 150}).ok());
  ASSERT_TRUE(store().UpsertAgent({"agent-b", "10.0.0.2:9093", "zone-b", 100, 900}).ok());
  auto agents = store().ListAgents();
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ(agents->size(), 2u);
  EXPECT_EQ((*agents)[0].agent_id, "agent-a");
  EXPECT_EQ((*agents)[0].zone, "zone-a");
  EXPECT_EQ((*agents)[1].address, "10.0.0.2:9093");
  EXPECT_EQ((*agents)[1].started_at_ms, 100);
  EXPECT_EQ((*agents)[1].last_heartbeat_ms, 900);

  ASSERT_TRUE(store().RemoveAgent("agent-a").ok());
  Status missing = store().RemoveAgent("agent-a");
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find("agent-a"), std::string::npos);
  EXPECT_EQ(store().ListAgents()->size(), 1u);
  EXPECT_EQ(store().UpsertAgent({"", "h:1", "", 0, 0}).code(), ErrorCode::kInvalidArgument);
}

// ---- idempotent producers ----

TEST_P(MetadataConformanceTest, ProducerIdsAreUniqueAndIncreasing) {
  int64_t last = -1;
  for (int i = 0; i < 50; ++i) {
    auto id = store().AllocateProducerId();
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_GE(*id, 0);
    EXPECT_GT(*id, last);
    last = *id;
  }
}

TEST_P(MetadataConformanceTest, ProducerIdsAreUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto id = store().AllocateProducerId();
        if (id.ok()) ids[t].push_back(*id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(MetadataConformanceTest, ProducerStatesSaveAndLoad) {
  ASSERT_TRUE(store().CreateTopic(Topic("p", 2)).ok());
  EXPECT_TRUE(store().LoadProducerStates("p", 0)->empty());
  ASSERT_TRUE(store()
                  .SaveProducerStates({Producer("p", 0, 9, 4, 40), Producer("p", 0, 2, 1, 11),
                                       Producer("p", 1, 9, 0, 3)},
                                      0)
                  .ok());
  auto states = store().LoadProducerStates("p", 0);
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 2u);  // by producer id
  EXPECT_EQ((*states)[0].producer_id, 2);
  EXPECT_EQ((*states)[0].last_sequence, 1);
  EXPECT_EQ((*states)[0].last_offset, 11);
  EXPECT_EQ((*states)[1].producer_id, 9);
  EXPECT_EQ((*states)[1].producer_epoch, 3);
  EXPECT_EQ((*states)[1].updated_at_ms, 1'700'000'000'004);
  EXPECT_EQ((*states)[1].topic, "p");
  EXPECT_EQ((*states)[1].partition, 0);

  ProducerState next = Producer("p", 0, 9, 9, 52);
  next.producer_epoch = 4;
  ASSERT_TRUE(store().SaveProducerStates({next}, 0).ok());
  states = store().LoadProducerStates("p", 0);
  ASSERT_EQ(states->size(), 2u);
  EXPECT_EQ((*states)[1].producer_epoch, 4);
  EXPECT_EQ((*states)[1].last_sequence, 9);
  EXPECT_EQ((*states)[1].last_offset, 52);
  EXPECT_EQ(store().LoadProducerStates("p", 1)->size(), 1u);

  EXPECT_EQ(store().SaveProducerStates({Producer("p", 7, 1, 0, 0)}, 0).code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(store().LoadProducerStates("p", 7).status().code(), ErrorCode::kNotFound);
}

TEST_P(MetadataConformanceTest, DescribeNamesTheBackend) {
  EXPECT_FALSE(store().Describe().empty());
}

}  // namespace
}  // namespace sh
