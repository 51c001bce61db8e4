#include "cluster/rendezvous.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace sh::cluster {
namespace {

std::vector<TopicPartition> Partitions(int topics, int per_topic) {
  std::vector<TopicPartition> out;
  for (int t = 0; t < topics; ++t) {
    for (int p = 0; p < per_topic; ++p) out.push_back({"topic-" + std::to_string(t), p});
  }
  return out;
}

// 1,200 partitions: 12 topics of 100.
const std::vector<TopicPartition>& Twelve100() {
  static const auto* parts = new std::vector<TopicPartition>(Partitions(12, 100));
  return *parts;
}

TEST(StableHashTest, PinnedValues) {
  // Values computed independently (FNV-1a 64 + SplitMix64 finaliser, see
  // docs/cluster.md). A change here would reshuffle every cluster's
  // partitions during a rolling upgrade: it must fail loudly.
  EXPECT_EQ(StableHash64(""), 0xf52a15e9a9b5e89bull);
  EXPECT_EQ(StableHash64("a"), 0x02c0bdbf481420f8ull);
  EXPECT_EQ(StableHash64("streamhouse"), 0x20fbeab114cdae3bull);
  EXPECT_EQ(RendezvousWeight(PartitionKey("orders", 0), "agent-1"), 0x7101e80dc9fa7ba0ull);
  // The separators keep different (key, agent) splits apart.
  EXPECT_NE(RendezvousWeight("ab", "c"), RendezvousWeight("a", "bc"));
  EXPECT_NE(PartitionKey("t", 1), PartitionKey("t1", 0));
}

TEST(RendezvousTest, EmptyAgentsHaveNoOwner) {
  EXPECT_FALSE(DesiredOwner("t", 0, {}).has_value());
  EXPECT_TRUE(Assign(Twelve100(), {}).empty());
}

TEST(RendezvousTest, EveryPartitionGetsExactlyOneLiveOwner) {
  std::vector<std::string> agents = {"a1", "a2", "a3"};
  auto plan = Assign(Twelve100(), agents);
  ASSERT_EQ(plan.size(), Twelve100().size());
  for (const auto& tp : Twelve100()) {
    auto it = plan.find(tp);
    ASSERT_NE(it, plan.end()) << ToString(tp);
    EXPECT_TRUE(it->second == "a1" || it->second == "a2" || it->second == "a3");
  }
}

TEST(RendezvousTest, DeterministicAndOrderIndependent) {
  auto a = Assign(Twelve100(), {"a1", "a2", "a3"});
  auto b = Assign(Twelve100(), {"a3", "a1", "a2"});
  auto c = Assign(Twelve100(), {"a2", "a3", "a1", "a2"});  // duplicate id counts once
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
}

TEST(RendezvousTest, OwnerHasTheHighestWeight) {
  std::vector<std::string> agents = {"x", "y", "z"};
  for (int p = 0; p < 50; ++p) {
    std::string owner = *DesiredOwner("t", p, agents);
    for (const auto& a : agents) {
      EXPECT_GE(RendezvousWeight(PartitionKey("t", p), owner),
                RendezvousWeight(PartitionKey("t", p), a));
    }
  }
}

TEST(RendezvousTest, SpreadOverThreeAgentsIsNearEven) {
  std::map<std::string, int> count;
  for (const auto& [tp, owner] : Assign(Twelve100(), {"agent-1", "agent-2", "agent-3"})) {
    ++count[owner];
  }
  ASSERT_EQ(count.size(), 3u);
  for (const auto& [agent, n] : count) {
    EXPECT_GE(n, 320) << agent;  // 400 +- 20%
    EXPECT_LE(n, 480) << agent;
  }
}

TEST(RendezvousTest, AddingAFourthAgentMovesAboutAQuarterOnlyToIt) {
  auto before = Assign(Twelve100(), {"agent-1", "agent-2", "agent-3"});
  auto after = Assign(Twelve100(), {"agent-1", "agent-2", "agent-3", "agent-4"});
  int moved = 0;
  for (const auto& [tp, owner] : before) {
    if (after.at(tp) != owner) {
      ++moved;
      EXPECT_EQ(after.at(tp), "agent-4") << ToString(tp) << " moved between old agents";
    }
  }
  EXPECT_GE(moved, 180);  // 15% of 1,200
  EXPECT_LE(moved, 420);  // 35%
}

TEST(RendezvousTest, RemovingAnAgentMovesOnlyItsPartitions) {
  auto before = Assign(Twelve100(), {"agent-1", "agent-2", "agent-3", "agent-4"});
  auto after = Assign(Twelve100(), {"agent-1", "agent-2", "agent-4"});
  int moved = 0;
  for (const auto& [tp, owner] : before) {
    if (owner == "agent-3") {
      ++moved;
      EXPECT_NE(after.at(tp), "agent-3");
    } else {
      EXPECT_EQ(after.at(tp), owner) << ToString(tp) << " moved though its owner stayed";
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(RendezvousTest, GroupCoordinatorsSpreadAndDifferFromPartitionKeys) {
  std::vector<std::string> agents = {"a1", "a2", "a3"};
  std::set<std::string> coordinators;
  for (int g = 0; g < 60; ++g)
    coordinators.insert(*GroupCoordinator("g" + std::to_string(g), agents));
  EXPECT_EQ(coordinators.size(), 3u);
  EXPECT_NE(GroupKey("t"), PartitionKey("group", 0));
}

}  // namespace
}  // namespace sh::cluster
