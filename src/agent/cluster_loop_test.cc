// ClusterLoop (docs/cluster.md §2, §5, §7): two agents, a1 (node 1) and a2
// (node 2), each a Broker in cluster mode with its own loop, share one SQLite
// metadata store and one MemoryObjectStore on a ManualClock. Passes are
// driven by hand with RunOnce().
#include "agent/cluster_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "cluster/rendezvous.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/faulty_object_store.h"
#include "objstore/memory_object_store.h"
#include "records/record_batch.h"
#include "wal/wal_format.h"

namespace sh::agent {
namespace {

using cluster::TopicPartition;

constexpr int kRounds = 10;  // bound on the passes any convergence may take

class ClusterLoopTest : public testing::Test {
 protected:
  void SetUp() override {
    auto md = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(md.ok()) << md.status().ToString();
    metadata_ = std::move(md).value();
    b1_ = OpenBroker("a1");
    b2_ = OpenBroker("a2");
    ASSERT_TRUE(b1_ && b2_);
    ASSERT_TRUE(b1_->CreateTopic("t", 8, {}, false).ok());
    ASSERT_TRUE(b1_->CreateTopic("u", 4, {}, false).ok());
    for (int32_t p = 0; p < 8; ++p) partitions_.push_back({"t", p});
    for (int32_t p = 0; p < 4; ++p) partitions_.push_back({"u", p});
    l1_ = MakeLoop("a1", 1, "127.0.0.1:9101", "zone-a", *b1_);
    l2_ = MakeLoop("a2", 2, "127.0.0.1:9102", "", *b2_);
    ASSERT_TRUE(l1_ && l2_);
  }

  void TearDown() override {
    l1_.reset();
    l2_.reset();
    b1_.reset();
    b2_.reset();
  }

  std::unique_ptr<broker::Broker> OpenBroker(const std::string& id, ObjectStore* store = nullptr) {
    broker::BrokerOptions o;
    o.agent_id = id;
    o.cluster_mode = true;
    o.lease_ms = 8000;
    o.lease_safety_margin_ms = 1000;
    o.flush_ms = 1'000'000'000;
    o.retention_ms = -1;
    auto b = broker::Broker::Open(o, *metadata_, store ? *store : objects_, clock_);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::move(b).value() : nullptr;
  }

  size_t WalObjects(const std::string& agent) {
    auto listed = objects_.List(wal::WalPrefix(agent));
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    return listed.ok() ? listed->size() : 0;
  }

  // Agent a0 (no loop: never live) leads t/0, writes two WAL objects, then
  // hands t/0 back (sealing both) but cannot delete them: it left right
  // after sealing. The older of the two is for a sweep to delete.
  void LeaveWalOfDepartedAgent() {
    view0_ = std::make_unique<FaultyObjectStore>(objects_);
    auto b0 = OpenBroker("a0", view0_.get());
    ASSERT_TRUE(b0);
    std::vector<Status> led = b0->Lead({{"t", 0}});
    ASSERT_TRUE(led.size() == 1 && led[0].ok()) << led[0].ToString();
    view0_->FailAlways(ObjectOp::kDelete);
    for (int i = 0; i < 2; ++i) {
      records::BatchBuilder batch{records::BatchOptions{}};
      batch.Add(std::nullopt, "v" + std::to_string(i), 1000, {});
      auto bytes = batch.Build();
      ASSERT_TRUE(bytes.ok());
      auto r = b0->Produce("t", 0, *bytes);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    ASSERT_TRUE(b0->HandOver("t", 0).ok());
    ASSERT_TRUE(b0->Stop().ok());
    ASSERT_EQ(WalObjects("a0"), 2u);
  }

  static ClusterLoopOptions Options(const std::string& id, int32_t node, const std::string& address,
                                    const std::string& zone) {
    ClusterLoopOptions o;
    o.membership.agent_id = id;
    o.membership.node_id = node;
    o.membership.address = address;
    o.membership.zone = zone;
    return o;
  }

  std::unique_ptr<ClusterLoop> MakeLoop(const std::string& id, int32_t node,
                                        const std::string& address, const std::string& zone,
                                        broker::Broker& broker) {
    auto loop = ClusterLoop::Create(Options(id, node, address, zone), *metadata_, broker, clock_);
    EXPECT_TRUE(loop.ok()) << loop.status().ToString();
    return loop.ok() ? std::move(loop).value() : nullptr;
  }

  static void Pass(ClusterLoop& loop) {
    auto r = loop.RunOnce();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  static std::set<TopicPartition> LedBy(broker::Broker& b) {
    std::set<TopicPartition> out;
    for (const broker::LedPartition& p : b.Led()) out.insert({p.topic, p.partition});
    return out;
  }

  // Passes of both loops until every partition is led where rendezvous
  // over `agents` wants it, then one more pass each to publish. Bounded.
  void Converge(const std::vector<std::string>& agents) {
    for (int i = 0; i < kRounds; ++i) {
      Pass(*l1_);
      Pass(*l2_);
      if (Split(agents)) break;
    }
    Pass(*l1_);
    Pass(*l2_);
  }

  bool Split(const std::vector<std::string>& agents) {
    std::set<TopicPartition> led1 = LedBy(*b1_), led2 = LedBy(*b2_);
    for (const TopicPartition& tp : partitions_) {
      std::string owner = *cluster::DesiredOwner(tp.topic, tp.partition, agents);
      bool in1 = led1.count(tp) > 0, in2 = led2.count(tp) > 0;
      if (in1 != (owner == "a1") || in2 != (owner == "a2")) return false;
    }
    return true;
  }

  int64_t LeaseEpoch(const TopicPartition& tp) {
    auto lease = metadata_->GetLease(tp.topic, tp.partition);
    EXPECT_TRUE(lease.ok() && lease->has_value()) << cluster::ToString(tp);
    return lease.ok() && lease->has_value() ? (*lease)->leader_epoch : -1;
  }

  ManualClock clock_;
  std::unique_ptr<SqliteMetadataStore> metadata_;
  MemoryObjectStore objects_;
  std::unique_ptr<FaultyObjectStore> view0_;
  std::unique_ptr<broker::Broker> b1_, b2_;
  std::unique_ptr<ClusterLoop> l1_, l2_;
  std::vector<TopicPartition> partitions_;
};

TEST_F(ClusterLoopTest, NothingBeforeTheFirstPass) {
  EXPECT_EQ(l1_->self_node_id(), 1);
  EXPECT_TRUE(l1_->Brokers().empty());
  EXPECT_EQ(l1_->Leader("t", 0).leader_node_id, -1);
  EXPECT_FALSE(l1_->CoordinatorFor("g").has_value());
  EXPECT_TRUE(b1_->Led().empty());
}

TEST_F(ClusterLoopTest, TwoAgentsSplitByRendezvousAndAgree) {
  Converge({"a1", "a2"});
  ASSERT_TRUE(Split({"a1", "a2"}));
  std::set<TopicPartition> led1 = LedBy(*b1_), led2 = LedBy(*b2_);
  EXPECT_FALSE(led1.empty());
  EXPECT_FALSE(led2.empty());
  EXPECT_EQ(led1.size() + led2.size(), partitions_.size());

  for (ClusterLoop* loop : {l1_.get(), l2_.get()}) {
    std::vector<kafka::BrokerNode> brokers = loop->Brokers();
    ASSERT_EQ(brokers.size(), 2u);
    EXPECT_EQ(brokers[0].node_id, 1);
    EXPECT_EQ(brokers[0].host, "127.0.0.1");
    EXPECT_EQ(brokers[0].port, 9101);
    EXPECT_EQ(brokers[0].rack, "zone-a");
    EXPECT_EQ(brokers[1].node_id, 2);
    EXPECT_EQ(brokers[1].port, 9102);
    EXPECT_EQ(brokers[1].rack, "");
    for (const TopicPartition& tp : partitions_) {
      kafka::PartitionLeadership leader = loop->Leader(tp.topic, tp.partition);
      EXPECT_EQ(leader.leader_node_id, led1.count(tp) ? 1 : 2) << cluster::ToString(tp);
      EXPECT_EQ(leader.leader_epoch, LeaseEpoch(tp)) << cluster::ToString(tp);
    }
    EXPECT_EQ(loop->Leader("t", 99).leader_node_id, -1);
    std::set<int32_t> coordinators;
    for (int g = 0; g < 20; ++g) {
      std::string group = "group-" + std::to_string(g);
      std::string owner = *cluster::GroupCoordinator(group, {"a1", "a2"});
      EXPECT_EQ(loop->CoordinatorFor(group), owner == "a1" ? 1 : 2) << group;
      coordinators.insert(*loop->CoordinatorFor(group));
    }
    EXPECT_EQ(coordinators.size(), 2u);
  }
  // The agents rows carry the node ids (Membership alone would write -1).
  auto agents = metadata_->ListAgents();
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ(agents->size(), 2u);
  EXPECT_EQ((*agents)[0].node_id, 1);
  EXPECT_EQ((*agents)[1].node_id, 2);
  EXPECT_EQ((*agents)[0].address, "127.0.0.1:9101");
}

TEST_F(ClusterLoopTest, NewTopicIsLedAfterOnePassOfEach) {
  Converge({"a1", "a2"});
  ASSERT_TRUE(b2_->CreateTopic("v", 6, {}, false).ok());
  for (int32_t p = 0; p < 6; ++p) partitions_.push_back({"v", p});
  Pass(*l1_);
  Pass(*l2_);
  EXPECT_TRUE(Split({"a1", "a2"}));
  Pass(*l1_);  // publishes a2's new leases too
  for (int32_t p = 0; p < 6; ++p) {
    std::string owner = *cluster::DesiredOwner("v", p, {"a1", "a2"});
    EXPECT_EQ(l1_->Leader("v", p).leader_node_id, owner == "a1" ? 1 : 2) << "v/" << p;
    EXPECT_EQ(l2_->Leader("v", p).leader_node_id, owner == "a1" ? 1 : 2) << "v/" << p;
  }
}

TEST_F(ClusterLoopTest, GracefulLeaveMovesEverythingToTheOther) {
  Converge({"a1", "a2"});
  std::set<TopicPartition> moved = LedBy(*b2_);
  ASSERT_FALSE(moved.empty());
  std::map<TopicPartition, int64_t> epochs;
  for (const TopicPartition& tp : moved) epochs[tp] = LeaseEpoch(tp);

  // The agent's shutdown order: loop, broker (hands back), then leave.
  l2_->Stop();
  ASSERT_TRUE(b2_->Stop().ok());
  EXPECT_TRUE(b2_->Led().empty());
  ASSERT_TRUE(l2_->Leave().ok());

  for (int i = 0; i < kRounds && LedBy(*b1_).size() < partitions_.size(); ++i) Pass(*l1_);
  Pass(*l1_);
  EXPECT_EQ(LedBy(*b1_).size(), partitions_.size());
  ASSERT_EQ(l1_->Brokers().size(), 1u);
  EXPECT_EQ(l1_->Brokers()[0].node_id, 1);
  for (const TopicPartition& tp : partitions_) {
    EXPECT_EQ(l1_->Leader(tp.topic, tp.partition).leader_node_id, 1) << cluster::ToString(tp);
  }
  for (const auto& [tp, epoch] : epochs) {
    EXPECT_GT(LeaseEpoch(tp), epoch) << cluster::ToString(tp) << ": a new holder, a new epoch";
  }
  EXPECT_EQ(l1_->CoordinatorFor("any-group"), 1);
}

TEST_F(ClusterLoopTest, DeadAgentsPartitionsWaitForTheLeaseThenMove) {
  Converge({"a1", "a2"});
  std::set<TopicPartition> orphaned = LedBy(*b2_);
  ASSERT_FALSE(orphaned.empty());
  // a2 stops heartbeating and renewing (a crash); a1 keeps going.
  bool seen_without_leader = false;
  for (int i = 0; i < 40 && LedBy(*b1_).size() < partitions_.size(); ++i) {
    clock_.AdvanceMs(500);
    ASSERT_TRUE(b1_->RunMaintenance().ok());  // renews a1's own leases
    Pass(*l1_);
    if (l1_->Brokers().size() == 1 && LedBy(*b1_).size() < partitions_.size()) {
      // a2 is dead, its leases not yet expired: nobody leads its partitions.
      const TopicPartition& tp = *orphaned.begin();
      EXPECT_EQ(l1_->Leader(tp.topic, tp.partition).leader_node_id, -1);
      seen_without_leader = true;
    }
  }
  EXPECT_TRUE(seen_without_leader);
  EXPECT_EQ(LedBy(*b1_).size(), partitions_.size());
  Pass(*l1_);
  for (const TopicPartition& tp : orphaned) {
    EXPECT_EQ(l1_->Leader(tp.topic, tp.partition).leader_node_id, 1) << cluster::ToString(tp);
  }
}

TEST_F(ClusterLoopTest, NodeIdClashIsRefused) {
  Pass(*l1_);
  auto b3 = OpenBroker("a3");
  ASSERT_TRUE(b3);
  auto l3 = MakeLoop("a3", 1, "127.0.0.1:9103", "", *b3);
  ASSERT_TRUE(l3);
  Status st = l3->Start();
  EXPECT_EQ(st.code(), ErrorCode::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find("node id 1"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("a1"), std::string::npos) << st.ToString();
  EXPECT_TRUE(b3->Led().empty());
  auto agents = metadata_->ListAgents();
  ASSERT_TRUE(agents.ok());
  EXPECT_EQ(agents->size(), 1u) << "the refused agent registered";

  // The same agent restarting keeps its node id; once a1 is gone, 1 is free.
  auto again = MakeLoop("a1", 1, "127.0.0.1:9101", "", *b1_);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->CheckNodeIdUnique().ok());
  clock_.AdvanceMs(6000);
  EXPECT_TRUE(l3->CheckNodeIdUnique().ok());
}

TEST_F(ClusterLoopTest, StartRunsAPassAndStopJoins) {
  ASSERT_TRUE(l1_->Start().ok());
  // The first pass ran before Start returned: a1, alone, leads everything.
  EXPECT_EQ(LedBy(*b1_).size(), partitions_.size());
  EXPECT_EQ(l1_->Brokers().size(), 1u);
  EXPECT_EQ(l1_->Leader("u", 3).leader_node_id, 1);
  l1_->Stop();
  l1_->Stop();
}

TEST_F(ClusterLoopTest, BadOptionsAreRefused) {
  auto bad = [&](ClusterLoopOptions o, broker::Broker& b) {
    auto loop = ClusterLoop::Create(o, *metadata_, b, clock_);
    EXPECT_EQ(loop.status().code(), ErrorCode::kInvalidArgument) << loop.status().ToString();
  };
  bad(Options("a9", -1, "127.0.0.1:9", ""), *b1_);
  bad(Options("a9", 9, "no-port", ""), *b1_);
  bad(Options("", 9, "127.0.0.1:9", ""), *b1_);
  ClusterLoopOptions slow = Options("a9", 9, "127.0.0.1:9", "");
  slow.membership.agent_timeout_ms = slow.membership.heartbeat_interval_ms;
  bad(slow, *b1_);
  ClusterLoopOptions no_sweep = Options("a9", 9, "127.0.0.1:9", "");
  no_sweep.wal_sweep_interval_ms = 0;
  bad(no_sweep, *b1_);
  broker::BrokerOptions embedded;
  auto single = broker::Broker::Open(embedded, *metadata_, objects_, clock_);
  ASSERT_TRUE(single.ok());
  bad(Options("a9", 9, "127.0.0.1:9", ""), **single);
}

TEST_F(ClusterLoopTest, OnlyTheFirstLiveAgentSweepsDepartedAgentsWal) {
  LeaveWalOfDepartedAgent();
  // Nothing published yet: nobody knows who is live.
  auto swept = l1_->SweepOnce();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_FALSE(*swept);
  Converge({"a1", "a2"});
  swept = l2_->SweepOnce();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_FALSE(*swept) << "a2 does not sort first";
  EXPECT_EQ(WalObjects("a0"), 2u);
  swept = l1_->SweepOnce();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_TRUE(*swept);
  EXPECT_EQ(WalObjects("a0"), 1u) << "a0's newest object stays";
}

TEST_F(ClusterLoopTest, SweepThreadRunsEveryInterval) {
  LeaveWalOfDepartedAgent();
  ClusterLoopOptions o = Options("a1", 1, "127.0.0.1:9101", "");
  o.wal_sweep_interval_ms = 10;
  auto loop = ClusterLoop::Create(o, *metadata_, *b1_, clock_);
  ASSERT_TRUE(loop.ok()) << loop.status().ToString();
  ASSERT_TRUE((*loop)->Start().ok());
  for (int i = 0; i < 1000 && WalObjects("a0") > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*loop)->Stop();
  EXPECT_EQ(WalObjects("a0"), 1u);
}

}  // namespace
}  // namespace sh::agent
