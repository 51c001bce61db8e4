// Cluster mode (docs/cluster.md, docs/broker.md "Cluster mode"): serving only
// led partitions, takeover from every agent's WAL, hand-over, lease safety at
// acknowledgement, and what a deposed leader can still do (nothing visible).
// Two Broker instances (agents a1, a2) share one metadata store and one
// object store, each through its own FaultyObjectStore view.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "broker/broker_cluster_test_util.h"

namespace sh::broker {
namespace {

using namespace std::chrono_literals;
using Partitions = std::vector<std::pair<std::string, int32_t>>;

class ClusterTest : public TwoAgentTest {
 protected:
  void SetUp() override { SetUpAgents(3); }

  static void ExpectAllOk(const std::vector<Status>& statuses, size_t n) {
    ASSERT_EQ(statuses.size(), n);
    for (const Status& s : statuses) EXPECT_TRUE(s.ok()) << s.ToString();
  }

  std::map<int64_t, int64_t> EpochStarts(int32_t p = 0) {
    auto starts = metadata_->ListEpochStarts("t", p);
    EXPECT_TRUE(starts.ok()) << starts.status().ToString();
    return starts.ok() ? *starts : std::map<int64_t, int64_t>{};
  }

  // The local deadline after a grant whose request started now.
  int64_t DeadlineFromNow() const { return clock_.MonotonicMicros() / 1000 + kLeaseMs - kMarginMs; }
};

TEST_F(ClusterTest, UnledPartitionsAreFencedAndGetNoLease) {
  const std::string msg = "t/1 is not led by this agent";
  auto expect_fenced = [&](const Status& s) {
    EXPECT_EQ(s.code(), ErrorCode::kFenced) << s.ToString();
    EXPECT_NE(s.message().find(msg), std::string::npos) << s.ToString();
  };
  expect_fenced(a1_->Produce("t", 1, MakeBatch(1, 1)).status());
  expect_fenced(a1_->Fetch("t", 1, 0, 1 << 20).status());
  expect_fenced(a1_->Offsets("t", 1).status());
  expect_fenced(a1_->OffsetForTimestamp("t", 1, 0).status());
  expect_fenced(a1_->OffsetOfMaxTimestamp("t", 1).status());
  expect_fenced(a1_->DeleteRecords("t", 1, 0).status());
  expect_fenced(a1_->LeaderEpoch("t", 1).status());
  for (int32_t p = 0; p < 3; ++p) {
    auto lease = metadata_->GetLease("t", p);
    ASSERT_TRUE(lease.ok());
    EXPECT_FALSE(lease->has_value()) << "partition " << p << " got a lease";
  }
  EXPECT_TRUE(a1_->Led().empty());
  // Admin calls work on any agent; unknown partitions stay NotFound.
  EXPECT_TRUE(a1_->ListTopics().ok());
  EXPECT_TRUE(a1_->DescribeTopicConfig("t").ok());
  EXPECT_TRUE(a1_->CreateTopic("u", 1, {}, false).ok());
  EXPECT_EQ(a1_->Fetch("t", 7, 0, 100).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(a1_->Produce("nope", 0, MakeBatch(1, 1)).status().code(), ErrorCode::kNotFound);
}

TEST_F(ClusterTest, LeadThenProduceAndFetch) {
  int64_t deadline = DeadlineFromNow();
  ExpectAllOk(a1_->Lead({{"t", 0}, {"t", 2}, {"t", 0}}), 3);
  std::vector<LedPartition> led = a1_->Led();
  ASSERT_EQ(led.size(), 2u);
  EXPECT_EQ(led[0].partition, 0);
  EXPECT_EQ(led[1].partition, 2);
  for (const LedPartition& l : led) {
    EXPECT_EQ(l.leader_epoch, 1);
    EXPECT_EQ(l.lease_deadline_ms, deadline);
    EXPECT_TRUE(l.serving);
  }
  Produce(*a1_, 3, "a");
  Produce(*a1_, 2, "b");
  EXPECT_EQ(Served(*a1_), acked_);
  EXPECT_EQ(*a1_->LeaderEpoch("t", 0), 1);
  EXPECT_EQ(a1_->Offsets("t", 2)->high_watermark, 0);
  EXPECT_EQ(EpochStarts(), (std::map<int64_t, int64_t>{{1, 0}}));
  // Leading again is a no-op; partition 1 is still not ours.
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  EXPECT_EQ(a1_->Fetch("t", 1, 0, 100).status().code(), ErrorCode::kFenced);
  std::vector<Status> bad = a1_->Lead({{"t", 9}, {"missing", 0}});
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].code(), ErrorCode::kNotFound);
  EXPECT_EQ(bad[1].code(), ErrorCode::kNotFound);

  // A second agent cannot take a held lease.
  a2_ = Agent("a2", view2_);
  std::vector<Status> refused = a2_->Lead({{"t", 0}});
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code(), ErrorCode::kFenced) << refused[0].ToString();
  EXPECT_EQ(a2_->Fetch("t", 0, 0, 100).status().code(), ErrorCode::kFenced);
}

TEST_F(ClusterTest, EmbeddedModeRefusesLeadAndHandOver) {
  options_.cluster_mode = false;
  auto embedded = Agent("e1", view2_);
  ASSERT_NE(embedded, nullptr);
  std::vector<Status> s = embedded->Lead({{"t", 0}});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(embedded->HandOver("t", 0).code(), ErrorCode::kInvalidArgument);
  // ... and leads on first use, as always.
  ASSERT_TRUE(embedded->Produce("t", 0, MakeBatch(1, 1)).ok());
  EXPECT_EQ(embedded->Led().size(), 1u);
}

TEST_F(ClusterTest, BadLeaseTimingsAreRefusedInClusterMode) {
  options_.lease_safety_margin_ms = kLeaseMs / 2;
  auto b = Broker::Open(options_, *metadata_, view2_, clock_);
  EXPECT_EQ(b.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ClusterTest, TakeoverAfterCrashServesEveryAcknowledgedRecord) {
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  Produce(*a1_, 3, "big", 1500);  // > segment.bytes: sealed below
  ASSERT_TRUE(a1_->SealFullTails().ok());
  ASSERT_EQ(Segments("t").size(), 1u);
  Produce(*a1_, 4, "w1");  // only in the WAL (and a1's memory)
  Produce(*a1_, 2, "w2");
  const int64_t sealed = Segments("t")[0].end_offset;
  EXPECT_EQ(sealed, 3);
  // a1 crashes: nothing it does reaches the store any more.
  view1_.FailAlways(ObjectOp::kPut);
  view1_.FailAlways(ObjectOp::kDelete);
  a2_ = Agent("a2", view2_);
  // While a1's lease runs, a2 must wait.
  EXPECT_EQ(a2_->Lead({{"t", 0}})[0].code(), ErrorCode::kFenced);
  clock_.AdvanceMs(kLeaseMs + 1);
  ExpectAllOk(a2_->Lead({{"t", 0}}), 1);
  EXPECT_EQ(*a2_->LeaderEpoch("t", 0), 2);
  EXPECT_EQ(Served(*a2_), acked_);
  EXPECT_EQ(a2_->Offsets("t", 0)->high_watermark, 9);
  EXPECT_EQ(EpochStarts(), (std::map<int64_t, int64_t>{{1, 0}, {2, 9}}));
  // New records continue at S(2) under epoch 2.
  Produce(*a2_, 1, "after");
  EXPECT_EQ(acked_.back().first, 9);
  auto tail = a2_->Fetch("t", 0, 9, 1 << 20);
  ASSERT_TRUE(tail.ok());
  auto batches = Batches(tail->batches);
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches.back().partition_leader_epoch(), 2);
  EXPECT_EQ(Served(*a2_), acked_);
  // The deposed a1 is refused (its renewal is Fenced) and forgets the partition.
  EXPECT_EQ(a1_->Produce("t", 0, MakeBatch(1, 1)).status().code(), ErrorCode::kFenced);
  (void)a1_->RunMaintenance();
  EXPECT_TRUE(a1_->Led().empty());
  EXPECT_EQ(a1_->Fetch("t", 0, 0, 100).status().code(), ErrorCode::kFenced);
}

TEST_F(ClusterTest, HandOverLeavesNothingToRecover) {
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  Produce(*a1_, 5, "h");
  Produce(*a1_, 2, "i");
  ASSERT_TRUE(a1_->HandOver("t", 0).ok());
  EXPECT_TRUE(a1_->Led().empty());
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 7);  // the tail was sealed
  auto lease = metadata_->GetLease("t", 0);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_LE((*lease)->expires_at_ms, clock_.NowMs());  // released: no need to wait
  EXPECT_EQ(a1_->Produce("t", 0, MakeBatch(1, 1)).status().code(), ErrorCode::kFenced);
  EXPECT_TRUE(a1_->HandOver("t", 0).ok());  // not led: nothing to do

  a2_ = Agent("a2", view2_);
  ExpectAllOk(a2_->Lead({{"t", 0}}), 1);  // no clock movement needed
  EXPECT_EQ(*a2_->LeaderEpoch("t", 0), 2);
  EXPECT_EQ(EpochStarts()[2], 7);
  EXPECT_EQ(Served(*a2_), acked_);
  Produce(*a2_, 1, "j");
  EXPECT_EQ(Served(*a2_), acked_);
}

TEST_F(ClusterTest, LeadRecoversSeveralPartitionsInOneWalPass) {
  ExpectAllOk(a1_->Lead({{"t", 0}, {"t", 1}, {"t", 2}}), 3);
  for (int32_t p = 0; p < 3; ++p) Produce(*a1_, 2 + p, "p" + std::to_string(p), 10, p);
  view1_.FailAlways(ObjectOp::kPut);
  view1_.FailAlways(ObjectOp::kDelete);
  clock_.AdvanceMs(kLeaseMs + 1);
  a2_ = Agent("a2", view2_);
  view2_.ResetCounters();
  ExpectAllOk(a2_->Lead({{"t", 0}, {"t", 1}, {"t", 2}}), 3);
  EXPECT_EQ(view2_.calls(ObjectOp::kList), 1u);  // one listing of wal/ for all three
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(a2_->Offsets("t", p)->high_watermark, 2 + p);
    EXPECT_EQ(EpochStarts(p)[2], 2 + p);
  }
}

// The WAL Put outlasts the local deadline: durable, yet neither acknowledged
// nor visible; a takeover may recover it below its S(E), never above.
TEST_F(ClusterTest, ProduceWhoseWalWriteOutlastsTheDeadlineIsRefused) {
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  Produce(*a1_, 2, "ok");
  std::atomic<int> moves{0};
  a1_->AddDataListener("t", 0, [&moves] { ++moves; });
  view1_.SetDelay(ObjectOp::kPut, 1ns);
  view1_.SetSleepFunction([this](std::chrono::nanoseconds) { clock_.AdvanceMs(kLeaseMs - 500); });
  auto late = a1_->Produce("t", 0, MakeBatch(3, 1, 1, 10, records::Compression::kNone, "late"));
  view1_.Reset();
  EXPECT_EQ(late.status().code(), ErrorCode::kFenced) << late.status().ToString();
  EXPECT_EQ(moves.load(), 0);  // the high watermark did not move
  std::vector<LedPartition> led = a1_->Led();
  ASSERT_EQ(led.size(), 1u);
  EXPECT_FALSE(led[0].serving);
  // a1's lease (not renewed) expires; a2 takes over.
  clock_.AdvanceMs(501);
  a2_ = Agent("a2", view2_);
  ExpectAllOk(a2_->Lead({{"t", 0}}), 1);
  EXPECT_EQ(a1_->Fetch("t", 0, 0, 100).status().code(), ErrorCode::kFenced);
  // Every acknowledged record is served at its offset; the refused one, durable
  // in a1's WAL, lies wholly below S(2) if a2 recovered it.
  auto served = Served(*a2_);
  ASSERT_GE(served.size(), acked_.size());
  EXPECT_EQ(std::vector(served.begin(), served.begin() + 2), acked_);
  int64_t hw = a2_->Offsets("t", 0)->high_watermark;
  EXPECT_EQ(EpochStarts()[2], hw);
  Produce(*a2_, 1, "new");
  EXPECT_EQ(acked_.back().first, hw);
}

TEST_F(ClusterTest, EntriesHeldPastTheDeadlineBecomeVisibleAfterARenewal) {
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  view1_.SetDelay(ObjectOp::kPut, 1ns);
  view1_.SetSleepFunction([this](std::chrono::nanoseconds) { clock_.AdvanceMs(kLeaseMs - 500); });
  auto late = a1_->Produce("t", 0, MakeBatch(3, 1));
  view1_.Reset();
  EXPECT_EQ(late.status().code(), ErrorCode::kFenced);
  // Nobody took the lease: the renewal succeeds and the held, durable
  // entries become visible (never acknowledged); offsets stay consistent.
  ASSERT_TRUE(a1_->RunMaintenance().ok());
  EXPECT_TRUE(a1_->Led()[0].serving);
  EXPECT_EQ(a1_->Offsets("t", 0)->high_watermark, 3);
  auto r = a1_->Produce("t", 0, MakeBatch(2, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_offset, 3);
  ASSERT_TRUE(a1_->HandOver("t", 0).ok());
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 5);
}

TEST_F(ClusterTest, DeposedLeaderCannotWriteMetadataOrOverwriteSegments) {
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  Produce(*a1_, 4, "x");  // acknowledged, in a1's tail, not sealed
  clock_.AdvanceMs(kLeaseMs + 1);
  a2_ = Agent("a2", view2_);
  ExpectAllOk(a2_->Lead({{"t", 0}}), 1);
  Produce(*a2_, 2, "y");
  ASSERT_TRUE(a2_->HandOver("t", 0).ok());  // seals [0, 6) under epoch 2
  std::vector<SegmentInfo> segments = Segments("t");
  ASSERT_EQ(segments.size(), 1u);
  const std::string key = segments[0].object_key;
  EXPECT_EQ(key, "topics/t/0/seg_00000000000000000000_e2.bin");
  Bytes before = *memory_.Get(key);
  // a1 wakes up and seals its stale tail [0, 4): its object lands under
  // another key and its registration is Fenced.
  Status stopped = a1_->Stop();
  EXPECT_EQ(stopped.code(), ErrorCode::kFenced) << stopped.ToString();
  EXPECT_EQ(*memory_.Get(key), before);
  segments = Segments("t");
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].object_key, key);
  EXPECT_EQ(metadata_->GetPartition("t", 0)->high_watermark, 6);
  // Its other leader writes are fenced too.
  EXPECT_EQ(metadata_->UpdateHighWatermark("t", 0, 4, 1).code(), ErrorCode::kFenced);
  EXPECT_EQ(metadata_->RecordEpochStart("t", 0, 1, 4).code(), ErrorCode::kFenced);
  // A third leader reads what a2 sealed.
  auto a3 = Agent("a3", view1_);
  view1_.Reset();
  ExpectAllOk(a3->Lead({{"t", 0}}), 1);
  EXPECT_EQ(Served(*a3), acked_);
}

TEST_F(ClusterTest, RestartedAgentRetakesItsLeaseWithTheSameEpoch) {
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  Produce(*a1_, 3, "r");
  view1_.FailAlways(ObjectOp::kPut);
  view1_.FailAlways(ObjectOp::kDelete);
  auto listed = memory_.List("wal/a1/");
  ASSERT_TRUE(listed.ok());
  const size_t objects = listed->size();
  // The same agent id restarts before its lease expired: the lease is its own.
  auto again = Agent("a1", view2_);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->Led().empty());  // nothing is served before Lead()
  ExpectAllOk(again->Lead({{"t", 0}}), 1);
  EXPECT_EQ(*again->LeaderEpoch("t", 0), 1);
  EXPECT_EQ(Served(*again), acked_);
  Produce(*again, 2, "s");
  EXPECT_EQ(Served(*again), acked_);
  // Its WAL continued after the old objects instead of overwriting them.
  EXPECT_EQ(memory_.List("wal/a1/")->size(), objects + 1);
  EXPECT_EQ(EpochStarts(), (std::map<int64_t, int64_t>{{1, 0}}));  // the first value stays
  // A hand-over in progress refuses produces as not led here.
  ASSERT_TRUE(again->HandOver("t", 0).ok());
  EXPECT_EQ(again->Produce("t", 0, MakeBatch(1, 1)).status().code(), ErrorCode::kFenced);
}

TEST_F(ClusterTest, TornFinalObjectOfThePreviousRunIsDeletedAtStart) {
  ExpectAllOk(a1_->Lead({{"t", 0}}), 1);
  Produce(*a1_, 3, "r");
  // The process dies inside a WAL Put that leaves a prefix behind.
  view1_.TruncateNextPuts(1, 30, TornPut::kReportFailure);
  view1_.FailAlways(ObjectOp::kDelete);
  EXPECT_FALSE(a1_->Produce("t", 0, MakeBatch(1, 1)).ok());
  view1_.FailAlways(ObjectOp::kPut);
  auto listed = memory_.List("wal/a1/");
  ASSERT_TRUE(listed.ok() && !listed->empty());
  const std::string torn = listed->back().key;
  auto again = Agent("a1", view2_);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(memory_.Size(torn).status().code(), ErrorCode::kNotFound) << torn;
  ExpectAllOk(again->Lead({{"t", 0}}), 1);
  Produce(*again, 2, "s");
  EXPECT_EQ(Served(*again), acked_);
  // Another crash and a takeover by a2: no torn object in the middle of a1's WAL.
  view2_.FailAlways(ObjectOp::kPut);
  view2_.FailAlways(ObjectOp::kDelete);
  clock_.AdvanceMs(kLeaseMs + 1);
  view1_.Reset();  // a2's view of the store
  a2_ = Agent("a2", view1_);
  ExpectAllOk(a2_->Lead({{"t", 0}}), 1);
  EXPECT_EQ(Served(*a2_), acked_);
}

TEST_F(ClusterTest, RequestsDuringATakeoverWaitForItInsteadOfBeingRefused) {
  // The WAL listing of the takeover is held until a produce has arrived and
  // waits for the takeover (another agent already names a1 as the leader).
  std::promise<void> listing, waiting, release;
  std::once_flag listed, waited;
  options_.test_hooks.on_takeover_wait = [&](const std::string&, int32_t) {
    std::call_once(waited, [&] { waiting.set_value(); });
  };
  a1_.reset();
  a1_ = Agent("a1", view1_);
  ASSERT_NE(a1_, nullptr);
  std::shared_future<void> released = release.get_future().share();
  view1_.SetDelay(ObjectOp::kList, 1ns);
  view1_.SetSleepFunction([&, released](std::chrono::nanoseconds) {
    std::call_once(listed, [&] { listing.set_value(); });
    released.wait();
  });
  auto lead = std::async(std::launch::async, [&] { return a1_->Lead({{"t", 0}}); });
  listing.get_future().wait();  // the lease is taken, the tail not yet recovered
  auto produce = std::async(std::launch::async, [&] { Produce(*a1_, 2, "early"); });
  waiting.get_future().wait();  // the produce waits for the takeover
  release.set_value();
  produce.get();
  view1_.Reset();
  view1_.SetSleepFunction([](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); });
  ExpectAllOk(lead.get(), 1);
  EXPECT_EQ(Served(*a1_), acked_);
  // Not being taken over: refused at once.
  EXPECT_EQ(a1_->Fetch("t", 1, 0, 100).status().code(), ErrorCode::kFenced);
}

TEST_F(ClusterTest, OneDamagedPartitionDoesNotBlockTheOthers) {
  ExpectAllOk(a1_->Lead({{"t", 0}, {"t", 1}}), 2);
  Produce(*a1_, 2, "p0", 10, 0);  // one WAL object per produce (they run one at a time)
  Produce(*a1_, 2, "p1a", 10, 1);
  Produce(*a1_, 2, "p1b", 10, 1);
  view1_.FailAlways(ObjectOp::kPut);
  view1_.FailAlways(ObjectOp::kDelete);
  auto listed = memory_.List("wal/a1/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  std::vector<std::string> keys;
  for (const ObjectInfo& o : *listed) keys.push_back(o.key);
  std::sort(keys.begin(), keys.end());
  ASSERT_TRUE(memory_.Delete(keys[1]).ok());  // partition 1 now has a hole at 0..1
  clock_.AdvanceMs(kLeaseMs + 1);
  a2_ = Agent("a2", view2_);
  std::vector<Status> led = a2_->Lead({{"t", 0}, {"t", 1}});
  ASSERT_EQ(led.size(), 2u);
  EXPECT_TRUE(led[0].ok()) << led[0].ToString();
  EXPECT_EQ(led[1].code(), ErrorCode::kCorruption) << led[1].ToString();
  EXPECT_EQ(a2_->Offsets("t", 0)->high_watermark, 2);
  EXPECT_EQ(a2_->Offsets("t", 1).status().code(), ErrorCode::kFenced);  // not served
}

}  // namespace
}  // namespace sh::broker
