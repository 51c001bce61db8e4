// Background work: seals by age, rolls, retention, leases, stop and restart,
// failed seals.
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "broker/broker_test_util.h"
#include "objstore/local_object_store.h"
#include "objstore/test_temp_dir.h"

namespace sh::broker {
namespace {

TEST_F(BrokerTest, TailOlderThanFlushMsIsSealed) {
  options_.flush_ms = 1000;
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1000000"}});
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(3, 1)).ok());
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_TRUE(Segments("t").empty());
  clock_.AdvanceMs(1000);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  ASSERT_EQ(Segments("t").size(), 1u);
  EXPECT_EQ(Segments("t")[0].end_offset, 3);
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 3);
}

TEST_F(BrokerTest, SegmentMsRollsTheTail) {
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1000000"}, {"segment.ms", "5000"}});
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(3, 1)).ok());
  clock_.AdvanceMs(4999);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_TRUE(Segments("t").empty());
  clock_.AdvanceMs(1);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_EQ(Segments("t").size(), 1u);
}

TEST_F(BrokerTest, BackgroundThreadSealsWithoutBeingAsked) {
  options_.flush_ms = 0;
  options_.background_interval_ms = 2;
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1000000"}});
  ASSERT_TRUE(broker_->Start().ok());
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(3, 1)).ok());
  for (int i = 0; i < 5000 && Segments("t").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(Segments("t").size(), 1u);
  ASSERT_TRUE(broker_->Stop().ok());
  ASSERT_TRUE(broker_->Stop().ok());  // idempotent
}

// One produce per segment (each batch is over segment.bytes), with the given
// record timestamps.
void ProduceSegments(Broker& broker, const std::vector<int64_t>& timestamps) {
  for (int64_t ts : timestamps) {
    ASSERT_TRUE(broker.Produce("t", 0, MakeBatch(4, ts, 0, 400)).ok());
    ASSERT_TRUE(broker.SealFullTails().ok());
  }
}

TEST_F(BrokerTest, RetentionByTimeDeletesOldestSegmentsAndObjects) {
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1024"}, {"retention.ms", "10000"}});
  int64_t now = clock_.NowMs();
  // The third segment is old but follows a new one: only a prefix goes.
  ProduceSegments(*broker_, {now - 30000, now - 20000, now, now - 20000, now});
  std::vector<SegmentInfo> before = Segments("t");
  ASSERT_EQ(before.size(), 5u);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  std::vector<SegmentInfo> after = Segments("t");
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].base_offset, before[2].base_offset);
  EXPECT_EQ(broker_->Offsets("t", 0)->log_start_offset, before[2].base_offset);
  EXPECT_EQ(metadata_->GetPartition("t", 0)->log_start_offset, before[2].base_offset);
  EXPECT_FALSE(memory_.Get(before[0].object_key).ok());
  EXPECT_FALSE(memory_.Get(before[1].object_key).ok());
  EXPECT_TRUE(memory_.Get(before[2].object_key).ok());
  EXPECT_EQ(broker_->Fetch("t", 0, 0, 100).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(Decode(FetchAll(*broker_, "t", 0, before[2].base_offset)).size(), 12u);
  // Time passes: everything is old now.
  clock_.AdvanceMs(10001);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_TRUE(Segments("t").empty());
  EXPECT_EQ(broker_->Offsets("t", 0)->log_start_offset, 20);
  EXPECT_TRUE(memory_.List("topics/t/")->empty());
}

TEST_F(BrokerTest, RetentionReachesPartitionsNotUsedSinceStart) {
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1024"}, {"retention.ms", "10000"}});
  CreateTopic("keep", 1, {{"segment.bytes", "1024"}, {"retention.ms", "-1"}});
  int64_t now = clock_.NowMs();
  ProduceSegments(*broker_, {now, now});
  ASSERT_TRUE(broker_->Produce("keep", 0, MakeBatch(4, now, 0, 400)).ok());
  ASSERT_TRUE(broker_->SealFullTails().ok());
  ASSERT_EQ(Segments("t").size(), 2u);
  ASSERT_EQ(Segments("keep").size(), 1u);
  // A restart, and no client touches either topic again.
  broker_.reset();
  OpenBroker();
  clock_.AdvanceMs(10001);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_TRUE(Segments("t").empty());
  EXPECT_EQ(metadata_->GetPartition("t", 0)->log_start_offset, 8);
  EXPECT_TRUE(memory_.List("topics/t/")->empty());
  EXPECT_EQ(Segments("keep").size(), 1u);
}

TEST_F(BrokerTest, RetentionByBytesKeepsAtLeastTheLimit) {
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1024"}});
  int64_t now = clock_.NowMs();
  ProduceSegments(*broker_, {now, now, now, now, now});
  std::vector<SegmentInfo> before = Segments("t");
  ASSERT_EQ(before.size(), 5u);
  int64_t size = before[0].size_bytes;
  // Two and a half segments: the two oldest go (three stay, >= the limit).
  int64_t limit = size * 5 / 2;
  ASSERT_TRUE(
      broker_->AlterTopicConfig("t", {{"retention.bytes", std::to_string(limit)}}, {}, true, false)
          .ok());
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  std::vector<SegmentInfo> after = Segments("t");
  int64_t kept = 0;
  for (const auto& s : after) kept += s.size_bytes;
  EXPECT_GE(kept, limit);
  ASSERT_FALSE(after.empty());
  EXPECT_LT(kept - after[0].size_bytes, limit);
  EXPECT_EQ(after.back().end_offset, before.back().end_offset);
  EXPECT_FALSE(memory_.Get(before[0].object_key).ok());
  EXPECT_EQ(broker_->Offsets("t", 0)->log_start_offset, after[0].base_offset);
}

TEST_F(BrokerTest, CompactOnlyTopicsAreNotTrimmed) {
  OpenBroker();
  CreateTopic("t", 1,
              {{"segment.bytes", "1024"}, {"retention.ms", "1"}, {"cleanup.policy", "compact"}});
  ProduceSegments(*broker_, {1, 2, 3});
  clock_.AdvanceMs(100000);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_EQ(Segments("t").size(), 3u);
  ASSERT_TRUE(
      broker_->AlterTopicConfig("t", {{"cleanup.policy", "compact,delete"}}, {}, true, false).ok());
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_TRUE(Segments("t").empty());
}

TEST_F(BrokerTest, StopSealsEverythingAndANewBrokerContinues) {
  OpenBroker();
  CreateTopic("t", 2, {{"segment.bytes", "1000000"}});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(broker_->Produce("t", i % 2, MakeBatch(3, i)).ok());
  Bytes p0 = FetchAll(*broker_, "t", 0, 0);
  ASSERT_TRUE(broker_->Stop().ok());
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 6);
  EXPECT_EQ(metadata_->GetPartition("t", 1)->high_watermark, 6);
  broker_.reset();

  OpenBroker();
  EXPECT_EQ(broker_->Offsets("t", 0)->high_watermark, 6);
  EXPECT_EQ(FetchAll(*broker_, "t", 0, 0), p0);
  auto r = broker_->Produce("t", 0, MakeBatch(2, 9));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset, 6);
  EXPECT_EQ(Decode(FetchAll(*broker_, "t", 0, 0)).size(), 8u);
  broker_.reset();  // the destructor stops, so this is sealed too
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 8);
}

TEST_F(BrokerTest, FailedSealLosesNothingAndIsRetried) {
  options_.flush_ms = 0;
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1000000"}});
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(3, 1)).ok());
  store_.FailAlways(ObjectOp::kPut);
  EXPECT_FALSE(broker_->RunMaintenance().ok());
  EXPECT_FALSE(broker_->Stop().ok());
  // Still served from the tail. An append cannot be made durable while the
  // store refuses writes (the WAL goes there too): it fails, retriably.
  Result<ProduceResult> refused = broker_->Produce("t", 0, MakeBatch(2, 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().retriable()) << refused.status().ToString();
  EXPECT_EQ(Decode(FetchAll(*broker_, "t", 0, 0)).size(), 3u);
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 0);
  EXPECT_TRUE(Segments("t").empty());

  store_.ClearFailures(ObjectOp::kPut);
  ASSERT_TRUE(broker_->RunMaintenance().ok());  // re-appends the failed WAL entry
  for (int i = 0; i < 500 && broker_->Offsets("t", 0)->high_watermark < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  ASSERT_TRUE(broker_->Stop().ok());
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 5);
  broker_.reset();
  OpenBroker();
  EXPECT_EQ(Decode(FetchAll(*broker_, "t", 0, 0)).size(), 5u);
}

TEST_F(BrokerTest, LeaseIsRenewedAtAThird) {
  options_.lease_ms = 3000;
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(1, 1)).ok());
  int64_t first = (*metadata_->GetLease("t", 0))->expires_at_ms;
  clock_.AdvanceMs(999);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_EQ((*metadata_->GetLease("t", 0))->expires_at_ms, first);
  clock_.AdvanceMs(1);
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  EXPECT_EQ((*metadata_->GetLease("t", 0))->expires_at_ms, clock_.NowMs() + 3000);
}

TEST_F(BrokerTest, AnotherAgentTakingTheLeaseFencesProduce) {
  options_.lease_ms = 3000;
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(1, 1)).ok());
  clock_.AdvanceMs(3001);  // no renewal ran: the lease expired
  auto taken = metadata_->AcquireLease("t", 0, "agent-other", clock_.NowMs(), 60000);
  ASSERT_TRUE(taken.ok());
  auto r = broker_->Produce("t", 0, MakeBatch(1, 1));
  EXPECT_EQ(r.status().code(), ErrorCode::kFenced);
  // The stale leader is dropped; opening a new one fails while the lease is held.
  (void)broker_->RunMaintenance();
  EXPECT_EQ(broker_->Produce("t", 0, MakeBatch(1, 1)).status().code(), ErrorCode::kFenced);
}

}  // namespace
}  // namespace sh::broker

namespace sh::broker {
namespace {

// Producers, a reader and the background thread at once: every record is
// kept exactly once, in one gap-free offset sequence.
TEST_F(BrokerTest, ConcurrentProduceFetchAndSealsKeepEveryRecord) {
  options_.flush_ms = 0;
  options_.background_interval_ms = 1;
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "2048"}});
  ASSERT_TRUE(broker_->Start().ok());
  constexpr int kThreads = 4, kBatches = 50;
  std::atomic<bool> done{false};
  std::atomic<int> fetch_errors{0};
  std::thread reader([&] {
    while (!done) {
      auto offsets = broker_->Offsets("t", 0);
      if (!offsets.ok()) continue;
      auto r = broker_->Fetch("t", 0, offsets->high_watermark / 2, 4096);
      if (!r.ok()) ++fetch_errors;
    }
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        auto r = broker_->Produce(
            "t", 0,
            MakeBatch(3, i, 1, 100, records::Compression::kNone, "p" + std::to_string(t) + "-"));
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  for (auto& p : producers) p.join();
  done = true;
  reader.join();
  ASSERT_TRUE(broker_->Stop().ok());
  EXPECT_EQ(fetch_errors.load(), 0);
  auto recs = Decode(FetchAll(*broker_, "t", 0, 0));
  ASSERT_EQ(recs.size(), size_t{kThreads * kBatches * 3});
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(recs[i].offset, static_cast<int64_t>(i));
  std::map<std::string, int> per_value;
  for (const auto& r : recs) ++per_value[*r.value];
  for (const auto& [value, count] : per_value) EXPECT_EQ(count, kBatches) << value;
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, static_cast<int64_t>(recs.size()));
}

}  // namespace
}  // namespace sh::broker

namespace sh::broker {
namespace {

// The embedded setup on disk: a SQLite file and a LocalObjectStore, both
// closed and reopened between two brokers.
TEST(BrokerOnDiskTest, RestartOnTheSameFilesKeepsEverything) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ManualClock clock;
  BrokerOptions options;
  options.segment_bytes = 2048;
  Bytes before;
  for (int round = 0; round < 2; ++round) {
    auto metadata = SqliteMetadataStore::Open(dir.path() + "/metadata.db", &clock);
    ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
    auto store = LocalObjectStore::Open(dir.path() + "/objects");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto broker = Broker::Open(options, **metadata, **store, clock);
    ASSERT_TRUE(broker.ok());
    if (round == 0) {
      ASSERT_TRUE((*broker)->CreateTopic("t", 1, {}, false).ok());
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE((*broker)->Produce("t", 0, MakeBatch(4, i, 1, 200)).ok());
      }
      before = FetchAll(**broker, "t", 0, 0);
      ASSERT_TRUE((*broker)->Stop().ok());
    } else {
      EXPECT_EQ((*broker)->Offsets("t", 0)->high_watermark, 40);
      EXPECT_EQ(FetchAll(**broker, "t", 0, 0), before);
      auto r = (*broker)->Produce("t", 0, MakeBatch(1, 1));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->base_offset, 40);
    }
  }
}

}  // namespace
}  // namespace sh::broker

namespace sh::broker {
namespace {

TEST_F(BrokerTest, StopReleasesLeasesAndLaterCallsTakeThemBack) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(2, 1)).ok());
  int32_t epoch = *broker_->LeaderEpoch("t", 0);
  ASSERT_TRUE(broker_->Stop().ok());
  auto lease = metadata_->GetLease("t", 0);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_LE((*lease)->expires_at_ms, clock_.NowMs());  // released
  // Another agent could take it now; this one uses the partition again instead.
  auto r = broker_->Produce("t", 0, MakeBatch(2, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_offset, 2);
  EXPECT_EQ(*broker_->LeaderEpoch("t", 0), epoch);  // same holder, same epoch
  EXPECT_GT((*metadata_->GetLease("t", 0))->expires_at_ms, clock_.NowMs());
  EXPECT_EQ(Decode(FetchAll(*broker_, "t", 0, 0)).size(), 4u);
}

TEST_F(BrokerTest, AfterStopAnotherAgentTakesOverWithAHigherEpoch) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(2, 1)).ok());
  int32_t epoch = *broker_->LeaderEpoch("t", 0);
  ASSERT_TRUE(broker_->Stop().ok());
  broker_.reset();
  options_.agent_id = "agent-1";
  OpenBroker();
  EXPECT_EQ(*broker_->LeaderEpoch("t", 0), epoch + 1);
  auto r = broker_->Produce("t", 0, MakeBatch(2, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_offset, 2);
}

}  // namespace
}  // namespace sh::broker
