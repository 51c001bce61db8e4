// Membership + balancer + lease safety together: simulated agents sharing
// one SQLite lease table, on a hand-moved clock, each with its own clock
// skew. Checks the promises of docs/cluster.md on simulated time: at most one
// agent may acknowledge writes for a partition at any instant (a paused
// agent included), a crashed agent's partitions are taken over within 10 s
// with a higher epoch, and joins and graceful leaves rebalance.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "cluster/balancer.h"
#include "cluster/lease_safety.h"
#include "cluster/membership.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh::cluster {
namespace {

constexpr int64_t kStepMs = 100;
constexpr int64_t kPassMs = 500;  // balance interval
const LeaseTimings kTimings;      // 8 s lease, 1 s margin

// An agent's view of time: the shared clock plus a fixed skew.
class SkewedClock final : public Clock {
 public:
  SkewedClock(const ManualClock& base, int64_t skew_ms) : base_(base), skew_ms_(skew_ms) {}
  int64_t NowMs() const override { return base_.NowMs() + skew_ms_; }
  int64_t MonotonicMicros() const override { return base_.MonotonicMicros() + skew_ms_ * 1000; }

 private:
  const ManualClock& base_;
  int64_t skew_ms_;
};

struct Held {
  int64_t epoch = 0;
  LocalLeaseDeadline deadline;
};

struct SimAgent {
  std::string id;
  SkewedClock clock;
  Membership membership;
  std::map<TopicPartition, Held> led;
  bool running = true;  // false: paused (a crash, or SIGSTOP)

  SimAgent(MetadataStore& store, const ManualClock& base, const std::string& agent_id, int64_t skew)
      : id(agent_id), clock(base, skew), membership(store, clock, {agent_id, "", "", 1000, 6000}) {}

  bool MayWrite(const TopicPartition& tp) const {
    auto it = led.find(tp);
    return it != led.end() && it->second.deadline.AllowsWrites(clock.NowMs());
  }
};

class ClusterSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->CreateTopic(TopicInfo{"orders", 30, "{}", 0}).ok());
    for (int32_t p = 0; p < 30; ++p) parts_.push_back({"orders", p});
  }

  SimAgent& Add(const std::string& id, int64_t skew) {
    agents_.push_back(std::make_unique<SimAgent>(*store_, clock_, id, skew));
    return *agents_.back();
  }

  // One balancer pass of agent a, carrying out its plan (a hand-over
  // releases at once: the seal is the broker's business). heartbeat=false
  // after Leave, which must not register the agent again.
  void Pass(SimAgent& a, bool heartbeat = true) {
    if (heartbeat && a.membership.HeartbeatDue()) {
      ASSERT_TRUE(a.membership.Heartbeat().ok());
    }
    auto live = a.membership.LiveAgentIds();
    auto leases = store_->ListLeases();
    ASSERT_TRUE(live.ok() && leases.ok());
    BalancerInput in{a.id, *live, parts_, *leases, {}, a.clock.NowMs(), kTimings.lease_ms};
    for (const auto& [tp, held] : a.led) in.led.insert(tp);
    Plan plan = PlanLeases(in);
    for (const auto& tp : plan.lost) a.led.erase(tp);
    for (const auto& l : plan.to_release) {
      a.led.erase({l.topic, l.partition});
      Status st = store_->ReleaseLease(l.topic, l.partition, a.id, l.leader_epoch);
      ASSERT_TRUE(st.ok() || st.code() == ErrorCode::kFenced) << st.ToString();
    }
    for (const auto& l : plan.to_renew) {
      int64_t start = a.clock.NowMs();
      auto r =
          store_->RenewLease(l.topic, l.partition, a.id, l.leader_epoch, start, kTimings.lease_ms);
      if (r.ok())
        a.led[{l.topic, l.partition}].deadline.Granted(start, kTimings);
      else
        a.led.erase({l.topic, l.partition});
    }
    for (const auto& tp : plan.to_acquire) {
      int64_t start = a.clock.NowMs();
      auto r = store_->AcquireLease(tp.topic, tp.partition, a.id, start, kTimings.lease_ms);
      if (!r.ok()) {
        ASSERT_EQ(r.status().code(), ErrorCode::kFenced) << r.status().ToString();
        continue;
      }
      Held& h = a.led[tp];
      h.epoch = r->leader_epoch;
      h.deadline.Granted(start, kTimings);
      auto& last = last_holder_[tp];
      if (!last.first.empty() && last.first != a.id) {
        EXPECT_GT(r->leader_epoch, last.second) << ToString(tp) << ": new holder, same epoch";
      }
      last = {a.id, r->leader_epoch};
      acquired_at_[tp] = clock_.NowMs();
    }
  }

  // Advances simulated time by ms, running each running agent's passes
  // (staggered) and checking the single-writer invariant at every step.
  void Run(int64_t ms) {
    for (int64_t t = 0; t < ms; t += kStepMs) {
      clock_.AdvanceMs(kStepMs);
      for (size_t i = 0; i < agents_.size(); ++i) {
        SimAgent& a = *agents_[i];
        if (a.running && (clock_.NowMs() / kStepMs + i) % (kPassMs / kStepMs) == 0) Pass(a);
      }
      for (const auto& tp : parts_) {
        int writers = 0;
        for (const auto& a : agents_) writers += a->MayWrite(tp) ? 1 : 0;
        ASSERT_LE(writers, 1) << ToString(tp) << " has two writers at " << clock_.NowMs();
      }
    }
  }

  std::map<std::string, int> Writers() const {
    std::map<std::string, int> count;
    for (const auto& tp : parts_) {
      for (const auto& a : agents_) {
        if (a->MayWrite(tp)) ++count[a->id];
      }
    }
    return count;
  }

  ManualClock clock_;
  std::unique_ptr<SqliteMetadataStore> store_;
  std::vector<TopicPartition> parts_;
  std::vector<std::unique_ptr<SimAgent>> agents_;
  std::map<TopicPartition, std::pair<std::string, int64_t>> last_holder_;
  std::map<TopicPartition, int64_t> acquired_at_;
};

int Total(const std::map<std::string, int>& m) {
  int n = 0;
  for (const auto& [id, c] : m) n += c;
  return n;
}

TEST_F(ClusterSimTest, CrashedAgentIsReplacedWithinTenSecondsWithoutTwoWriters) {
  Add("a1", 0);
  SimAgent& a2 = Add("a2", 400);  // clocks up to 0.9 s apart: inside the 1 s margin
  Add("a3", -500);
  Run(20'000);
  auto before = Writers();
  ASSERT_EQ(Total(before), 30);
  ASSERT_EQ(before.size(), 3u);
  std::set<TopicPartition> orphaned;
  for (const auto& [tp, held] : a2.led) orphaned.insert(tp);
  ASSERT_FALSE(orphaned.empty());

  int64_t crash = clock_.NowMs();
  a2.running = false;  // paused: keeps its leases in memory, sends nothing
  Run(15'000);
  for (const auto& tp : orphaned) {
    EXPECT_NE(last_holder_[tp].first, "a2") << ToString(tp);
    EXPECT_LE(acquired_at_[tp] - crash, 10'000) << ToString(tp) << " failover too slow";
  }
  auto after = Writers();
  EXPECT_EQ(Total(after), 30);
  EXPECT_EQ(after.count("a2"), 0u);

  // The paused agent resumes: it must not write what others now hold; it
  // rejoins and gets its rendezvous share back by hand-over.
  a2.running = true;
  Run(30'000);
  auto rejoined = Writers();
  EXPECT_EQ(Total(rejoined), 30);
  EXPECT_EQ(rejoined.size(), 3u);
}

TEST_F(ClusterSimTest, JoinAndGracefulLeaveRebalance) {
  Add("a1", 0);
  Add("a2", 200);
  Add("a3", -200);
  Run(12'000);
  ASSERT_EQ(Total(Writers()), 30);
  SimAgent& a4 = Add("a4", 300);
  Run(12'000);
  auto four = Writers();
  EXPECT_EQ(Total(four), 30);
  EXPECT_EQ(four.size(), 4u);
  std::vector<std::string> ids = {"a1", "a2", "a3", "a4"};
  for (const auto& tp : parts_) {
    EXPECT_TRUE(agents_[0]->MayWrite(tp) || agents_[1]->MayWrite(tp) || agents_[2]->MayWrite(tp) ||
                a4.MayWrite(tp));
    std::string want = *DesiredOwner(tp.topic, tp.partition, ids);
    for (const auto& a : agents_) {
      if (a->MayWrite(tp)) {
        EXPECT_EQ(a->id, want) << ToString(tp);
      }
    }
  }
  // Graceful leave: release everything, delete the row, stop.
  ASSERT_TRUE(a4.membership.Leave().ok());
  Pass(a4, /*heartbeat=*/false);  // not live any more: the plan releases all its leases
  EXPECT_TRUE(a4.led.empty());
  a4.running = false;
  int64_t left = clock_.NowMs();
  Run(3'000);
  EXPECT_EQ(Total(Writers()), 30);
  for (const auto& tp : parts_) {
    if (last_holder_[tp].first != "a4") continue;
    ADD_FAILURE() << ToString(tp) << " still last held by a4";
  }
  for (const auto& [tp, at] : acquired_at_) {
    if (at > left) {
      EXPECT_LE(at - left, 1'000) << ToString(tp) << ": hand-over waited for expiry";
    }
  }
}

}  // namespace
}  // namespace sh::cluster
