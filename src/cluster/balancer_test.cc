#include "cluster/balancer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace sh::cluster {
namespace {

constexpr int64_t kNow = 1'000'000;
constexpr int64_t kTtl = 8000;
const std::vector<std::string> kAll = {"a1", "a2", "a3"};

// The first partition of topic "t" (0..999) that rendezvous over agents gives to owner.
TopicPartition OwnedBy(const std::string& owner, const std::vector<std::string>& agents) {
  for (int32_t p = 0; p < 1000; ++p) {
    if (DesiredOwner("t", p, agents) == owner) return {"t", p};
  }
  ADD_FAILURE() << "no partition for " << owner;
  return {"t", -1};
}

PartitionLease Lease(const TopicPartition& tp, const std::string& holder, int64_t epoch,
                     int64_t expires_at) {
  return PartitionLease{tp.topic, tp.partition, holder, epoch, expires_at};
}

BalancerInput Input(const std::string& self, std::vector<std::string> live,
                    std::vector<TopicPartition> parts, std::vector<PartitionLease> leases = {},
                    std::set<TopicPartition> led = {}) {
  BalancerInput in;
  in.self = self;
  in.live_agents = std::move(live);
  in.partitions = std::move(parts);
  in.leases = std::move(leases);
  in.led = std::move(led);
  in.now_ms = kNow;
  in.lease_ms = kTtl;
  return in;
}

using Parts = std::vector<TopicPartition>;

bool Empty(const Plan& p) {
  return p.to_acquire.empty() && p.to_release.empty() && p.to_renew.empty() && p.waiting.empty() &&
         p.lost.empty();
}

TEST(BalancerTest, FreePartitionIsAcquiredByItsDesiredOwnerOnly) {
  TopicPartition mine = OwnedBy("a1", kAll), theirs = OwnedBy("a2", kAll);
  Plan p = PlanLeases(Input("a1", kAll, {mine, theirs}));
  EXPECT_EQ(p.to_acquire, Parts{mine});
  EXPECT_TRUE(p.to_release.empty() && p.to_renew.empty() && p.waiting.empty());
}

TEST(BalancerTest, ExpiredLeaseIsAcquired) {
  TopicPartition mine = OwnedBy("a1", kAll);
  // Expired exactly now counts as expired, as in MetadataStore::AcquireLease.
  Plan p = PlanLeases(Input("a1", kAll, {mine}, {Lease(mine, "a2", 4, kNow)}));
  EXPECT_EQ(p.to_acquire, Parts{mine});
}

TEST(BalancerTest, LeaseOfADeadAgentIsTakenOnlyOnceItExpires) {
  std::vector<std::string> live = {"a1", "a3"};  // a2 stopped heartbeating
  TopicPartition mine = OwnedBy("a1", live);
  auto in = Input("a1", live, {mine}, {Lease(mine, "a2", 4, kNow + 3000)});
  Plan p = PlanLeases(in);
  EXPECT_TRUE(p.to_acquire.empty());  // a2 may still acknowledge writes until then
  EXPECT_EQ(p.waiting, Parts{mine});
  in.now_ms = kNow + 3000;
  p = PlanLeases(in);
  EXPECT_EQ(p.to_acquire, Parts{mine});
  EXPECT_TRUE(p.waiting.empty());
}

TEST(BalancerTest, LiveHolderHandsOverAndTheNewOwnerWaits) {
  // a4 joins: the partitions it now wins are still leased to their old owners.
  std::vector<std::string> four = {"a1", "a2", "a3", "a4"};
  TopicPartition tp = OwnedBy("a4", four);
  std::string old_owner = *DesiredOwner(tp.topic, tp.partition, kAll);
  PartitionLease lease = Lease(tp, old_owner, 7, kNow + 6000);
  Plan newcomer = PlanLeases(Input("a4", four, {tp}, {lease}));
  EXPECT_TRUE(newcomer.to_acquire.empty());
  EXPECT_EQ(newcomer.waiting, Parts{tp});
  Plan holder = PlanLeases(Input(old_owner, four, {tp}, {lease}, {tp}));
  ASSERT_EQ(holder.to_release.size(), 1u);
  EXPECT_EQ(holder.to_release[0].leader_epoch, 7);  // ReleaseLease needs the epoch
  EXPECT_TRUE(holder.to_renew.empty());             // never renew what we hand over
  // After the release (expires now, epoch kept) the newcomer acquires.
  lease.expires_at_ms = kNow;
  newcomer = PlanLeases(Input("a4", four, {tp}, {lease}));
  EXPECT_EQ(newcomer.to_acquire, Parts{tp});
}

TEST(BalancerTest, OursButDesiredElsewhere) {
  TopicPartition theirs = OwnedBy("a2", kAll);
  // Unexpired, led here: release.
  Plan p = PlanLeases(Input("a1", kAll, {theirs}, {Lease(theirs, "a1", 3, kNow + 5000)}, {theirs}));
  EXPECT_EQ(p.to_release.size(), 1u);
  // Unexpired, not led here (a previous run): release so a2 need not wait.
  p = PlanLeases(Input("a1", kAll, {theirs}, {Lease(theirs, "a1", 3, kNow + 5000)}));
  EXPECT_EQ(p.to_release.size(), 1u);
  // Expired but still led here: release (the leader must stop serving).
  p = PlanLeases(Input("a1", kAll, {theirs}, {Lease(theirs, "a1", 3, kNow - 1)}, {theirs}));
  EXPECT_EQ(p.to_release.size(), 1u);
  // Expired and not led: nothing to do.
  p = PlanLeases(Input("a1", kAll, {theirs}, {Lease(theirs, "a1", 3, kNow - 1)}));
  EXPECT_TRUE(Empty(p));
}

TEST(BalancerTest, RenewalIsDueWhenLessThanTwoThirdsRemain) {
  TopicPartition mine = OwnedBy("a1", kAll);
  auto plan_at = [&](int64_t remaining) {
    return PlanLeases(Input("a1", kAll, {mine}, {Lease(mine, "a1", 2, kNow + remaining)}, {mine}));
  };
  EXPECT_TRUE(Empty(plan_at(kTtl)));  // just renewed
  EXPECT_TRUE(Empty(plan_at(5334)));  // 2/3 of 8000 is 5333.3
  Plan due = plan_at(5333);
  ASSERT_EQ(due.to_renew.size(), 1u);
  EXPECT_EQ(due.to_renew[0].leader_epoch, 2);
  EXPECT_TRUE(due.to_acquire.empty());
  EXPECT_EQ(plan_at(1).to_renew.size(), 1u);
}

TEST(BalancerTest, RenewalDueHelper) {
  PartitionLease l = Lease({"t", 0}, "a1", 1, 10'000);
  EXPECT_FALSE(RenewalDue(l, 10'000 - 5334, 8000));
  EXPECT_TRUE(RenewalDue(l, 10'000 - 5333, 8000));
  EXPECT_TRUE(RenewalDue(l, 10'001, 8000));  // already expired
}

TEST(BalancerTest, OwnLeaseFromAPreviousRunIsReacquired) {
  TopicPartition mine = OwnedBy("a1", kAll);
  Plan p = PlanLeases(Input("a1", kAll, {mine}, {Lease(mine, "a1", 5, kNow + 4000)}));
  EXPECT_EQ(p.to_acquire, Parts{mine});  // same holder: AcquireLease keeps epoch 5
  EXPECT_TRUE(p.to_renew.empty());
  // Our own lapsed lease, still led: take it again (nobody else took it).
  p = PlanLeases(Input("a1", kAll, {mine}, {Lease(mine, "a1", 5, kNow - 10)}, {mine}));
  EXPECT_EQ(p.to_acquire, Parts{mine});
}

TEST(BalancerTest, LedPartitionLeasedToAnotherAgentIsLost) {
  TopicPartition mine = OwnedBy("a1", kAll), theirs = OwnedBy("a2", kAll);
  auto in =
      Input("a1", kAll, {mine, theirs},
            {Lease(mine, "a3", 9, kNow + 100), Lease(theirs, "a2", 2, kNow - 100)}, {mine, theirs});
  Plan p = PlanLeases(in);
  Parts both = {mine, theirs};
  std::sort(both.begin(), both.end());  // plans list partitions in order
  EXPECT_EQ(p.lost, both);
  EXPECT_EQ(p.waiting, Parts{mine});
  EXPECT_TRUE(p.to_release.empty());
  // A led partition whose lease row vanished (topic deleted) is lost too.
  p = PlanLeases(Input("a1", kAll, {theirs}, {}, {theirs}));
  EXPECT_EQ(p.lost, Parts{theirs});
}

TEST(BalancerTest, AgentNotLiveDrainsEverything) {
  TopicPartition mine = OwnedBy("a1", kAll), other = OwnedBy("a2", kAll);
  std::vector<std::string> others = {"a2", "a3"};
  Plan p =
      PlanLeases(Input("a1", others, {mine, other}, {Lease(mine, "a1", 1, kNow + 5000)}, {mine}));
  EXPECT_TRUE(p.to_acquire.empty());
  ASSERT_EQ(p.to_release.size(), 1u);
  EXPECT_EQ(p.to_release[0].partition, mine.partition);
}

TEST(BalancerTest, ThreeAgentsSplitFreePartitionsWithoutOverlap) {
  Parts all;
  for (int32_t p = 0; p < 300; ++p) all.push_back({"orders", p});
  std::map<TopicPartition, int> takers;
  for (const auto& self : kAll) {
    for (const auto& tp : PlanLeases(Input(self, kAll, all)).to_acquire) ++takers[tp];
  }
  ASSERT_EQ(takers.size(), all.size());
  for (const auto& [tp, n] : takers) EXPECT_EQ(n, 1) << ToString(tp);
}

TEST(BalancerTest, LeasesOfUnknownPartitionsAreIgnored) {
  TopicPartition gone{"deleted", 0};
  Plan p = PlanLeases(Input("a1", kAll, {}, {Lease(gone, "a1", 1, kNow + 5000)}));
  EXPECT_TRUE(Empty(p));
}

}  // namespace
}  // namespace sh::cluster
