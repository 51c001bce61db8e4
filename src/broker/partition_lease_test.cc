// LeaderLease on its own: deadlines, renewal, fencing, on SQLite :memory:
// and a ManualClock (wall and monotonic time move together).
#include "broker/partition_lease.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "metadata/forwarding_metadata_store.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh::broker {
namespace {

constexpr int64_t kLeaseMs = 9000;
constexpr int64_t kMarginMs = 1000;

// Counts RenewLease calls; fails them with `fail` when set, and lets
// `delay_ms` pass on the clock while one is "in flight".
class RenewStore final : public ForwardingMetadataStore {
 public:
  RenewStore(MetadataStore& inner, ManualClock& clock)
      : ForwardingMetadataStore(inner), clock_(clock) {}

  Result<PartitionLease> RenewLease(const std::string& topic, int32_t partition,
                                    const std::string& agent_id, int64_t leader_epoch,
                                    int64_t now_ms, int64_t ttl_ms) override {
    ++renewals;
    clock_.AdvanceMs(delay_ms);
    if (fail) return *fail;
    return ForwardingMetadataStore::RenewLease(topic, partition, agent_id, leader_epoch, now_ms,
                                               ttl_ms);
  }

  int renewals = 0;
  int64_t delay_ms = 0;
  std::optional<Status> fail;

 private:
  ManualClock& clock_;
};

class LeaderLeaseTest : public testing::Test {
 protected:
  void SetUp() override {
    auto md = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(md.ok()) << md.status().ToString();
    sqlite_ = std::move(md).value();
    ASSERT_TRUE(sqlite_->CreateTopic({"t", 1, "{}", 0}).ok());
    store_ = std::make_unique<RenewStore>(*sqlite_, clock_);
  }

  // Acquires for agent a1 and returns its LeaderLease.
  std::unique_ptr<LeaderLease> Acquire() {
    int64_t start = MonotonicMs(clock_);
    auto lease = store_->AcquireLease("t", 0, "a1", clock_.NowMs(), kLeaseMs);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    return std::make_unique<LeaderLease>(
        "t", 0, "a1", *lease, start, cluster::LeaseTimings{kLeaseMs, kMarginMs}, *store_, clock_);
  }

  ManualClock clock_;
  std::unique_ptr<SqliteMetadataStore> sqlite_;
  std::unique_ptr<RenewStore> store_;
};

TEST_F(LeaderLeaseTest, AllowsWritesUntilTheLocalDeadline) {
  const int64_t start = MonotonicMs(clock_);
  auto lease = Acquire();
  EXPECT_EQ(lease->epoch(), 1);
  EXPECT_EQ(lease->deadline_ms(), start + kLeaseMs - kMarginMs);
  EXPECT_TRUE(lease->AllowsWrites());
  clock_.AdvanceMs(kLeaseMs - kMarginMs - 1);
  EXPECT_TRUE(lease->AllowsWrites());
  clock_.AdvanceMs(1);  // now == deadline
  EXPECT_FALSE(lease->AllowsWrites());
  EXPECT_FALSE(lease->fenced());
  EXPECT_EQ(store_->renewals, 0);
}

TEST_F(LeaderLeaseTest, MaybeRenewWaitsForAThirdOfTheLease) {
  const int64_t start = MonotonicMs(clock_);
  auto lease = Acquire();
  clock_.AdvanceMs(kLeaseMs / 3 - 1);
  auto r = lease->MaybeRenew();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(*r);
  EXPECT_EQ(store_->renewals, 0);
  EXPECT_EQ(lease->deadline_ms(), start + kLeaseMs - kMarginMs);

  clock_.AdvanceMs(1);
  r = lease->MaybeRenew();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  EXPECT_EQ(store_->renewals, 1);
  EXPECT_EQ(lease->deadline_ms(), start + kLeaseMs / 3 + kLeaseMs - kMarginMs);
  EXPECT_EQ(lease->epoch(), 1);

  // Due again a third after that grant, not after the acquire.
  clock_.AdvanceMs(kLeaseMs / 3 - 1);
  r = lease->MaybeRenew();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

TEST_F(LeaderLeaseTest, DeadlineCountsFromTheRequestNotTheReply) {
  auto lease = Acquire();
  clock_.AdvanceMs(kLeaseMs / 3);
  const int64_t sent = MonotonicMs(clock_);
  store_->delay_ms = 400;
  auto r = lease->MaybeRenew();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  EXPECT_EQ(lease->deadline_ms(), sent + kLeaseMs - kMarginMs);
}

TEST_F(LeaderLeaseTest, CheckOrRenewRenewsOnlyPastTheDeadline) {
  auto lease = Acquire();
  auto r = lease->CheckOrRenew();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(store_->renewals, 0);

  clock_.AdvanceMs(kLeaseMs - kMarginMs);
  ASSERT_FALSE(lease->AllowsWrites());
  const int64_t now = MonotonicMs(clock_);
  r = lease->CheckOrRenew();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);  // the caller makes held entries visible
  EXPECT_EQ(store_->renewals, 1);
  EXPECT_TRUE(lease->AllowsWrites());
  EXPECT_EQ(lease->deadline_ms(), now + kLeaseMs - kMarginMs);
}

TEST_F(LeaderLeaseTest, AFailedRenewalRefusesWritesButKeepsTheLease) {
  auto lease = Acquire();
  clock_.AdvanceMs(kLeaseMs - kMarginMs);
  store_->fail = Status::Unavailable("metadata store down");
  auto r = lease->CheckOrRenew();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kFenced);
  EXPECT_NE(r.status().ToString().find("metadata store down"), std::string::npos);
  EXPECT_FALSE(lease->fenced());
  EXPECT_FALSE(lease->AllowsWrites());

  auto m = lease->MaybeRenew();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(m.status().ToString().find("renewal of the lease on t/0"), std::string::npos);

  // The store is back before the lease expired there: the same epoch goes on.
  store_->fail.reset();
  r = lease->CheckOrRenew();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  EXPECT_TRUE(lease->AllowsWrites());
  EXPECT_EQ(lease->epoch(), 1);
}

TEST_F(LeaderLeaseTest, ARenewalFencedByAnotherAgentEndsTheLease) {
  auto lease = Acquire();
  clock_.AdvanceMs(kLeaseMs);  // expired in the store: a2 takes it
  auto taken = store_->AcquireLease("t", 0, "a2", clock_.NowMs(), kLeaseMs);
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->leader_epoch, 2);

  auto m = lease->MaybeRenew();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), ErrorCode::kFenced);
  EXPECT_TRUE(lease->fenced());
  EXPECT_FALSE(lease->AllowsWrites());
  EXPECT_EQ(lease->deadline_ms(), INT64_MIN);

  // From now on nothing asks the store again.
  const int renewals = store_->renewals;
  m = lease->MaybeRenew();
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(*m);
  auto r = lease->CheckOrRenew();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kFenced);
  EXPECT_NE(r.status().ToString().find("agent a1 no longer leads t/0"), std::string::npos);
  EXPECT_EQ(store_->renewals, renewals);
}

TEST_F(LeaderLeaseTest, ReleaseLetsAnotherAgentTakeOverAtOnce) {
  auto lease = Acquire();
  EXPECT_FALSE(store_->AcquireLease("t", 0, "a2", clock_.NowMs(), kLeaseMs).ok());
  ASSERT_TRUE(lease->Release().ok());
  auto taken = store_->AcquireLease("t", 0, "a2", clock_.NowMs(), kLeaseMs);
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->leader_epoch, 2);
}

}  // namespace
}  // namespace sh::broker
