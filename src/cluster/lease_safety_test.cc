#include "cluster/lease_safety.h"

#include <gtest/gtest.h>

#include <memory>

#include "metadata/sqlite_metadata_store.h"

namespace sh::cluster {
namespace {

const LeaseTimings kDefaults;  // 8000 ms lease, 1000 ms margin

TEST(LeaseSafetyTest, DeadlineCountsFromTheRequestNotTheReply) {
  EXPECT_EQ(LocalLeaseDeadlineMs(50'000, kDefaults), 57'000);
  LocalLeaseDeadline lease;
  // Sent at 50'000; the reply arrives late, at 56'500: only 500 ms of writes left.
  lease.Granted(50'000, kDefaults);
  EXPECT_TRUE(lease.AllowsWrites(56'500));
  EXPECT_TRUE(lease.AllowsWrites(56'999));
  EXPECT_FALSE(lease.AllowsWrites(57'000));
}

TEST(LeaseSafetyTest, NoWritesBeforeAGrantOrAfterRevoke) {
  LocalLeaseDeadline lease;
  EXPECT_FALSE(lease.AllowsWrites(0));
  lease.Granted(1000, kDefaults);
  EXPECT_TRUE(lease.AllowsWrites(1000));
  lease.Revoke();
  EXPECT_FALSE(lease.AllowsWrites(1000));
  lease.Granted(2000, kDefaults);  // a new acquire after a revoke counts afresh
  EXPECT_EQ(lease.deadline_ms(), 9000);
}

TEST(LeaseSafetyTest, AnOlderGrantNeverShortensTheDeadline) {
  LocalLeaseDeadline lease;
  lease.Granted(10'000, kDefaults);
  lease.Granted(7'000, kDefaults);  // an earlier renewal answered late
  EXPECT_EQ(lease.deadline_ms(), 17'000);
  lease.Granted(12'000, kDefaults);
  EXPECT_EQ(lease.deadline_ms(), 19'000);
}

TEST(LeaseSafetyTest, TimingsAreValidated) {
  EXPECT_TRUE(ValidateLeaseTimings(kDefaults).ok());
  EXPECT_EQ(ValidateLeaseTimings({0, 0}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateLeaseTimings({8000, -1}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateLeaseTimings({8000, 4000}).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ValidateLeaseTimings({8000, 3999}).ok());
}

// The property the margin buys, against the real lease table: while the
// holder may still write by its own clock, no agent whose clock runs up to
// (margin - 1) ms ahead can take the lease; once the holder has stopped, the
// other agent gets it with a higher epoch.
TEST(LeaseSafetyTest, HolderStopsBeforeASkewedRivalCanAcquire) {
  ManualClock clock;
  auto store = SqliteMetadataStore::Open(":memory:", &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->CreateTopic(TopicInfo{"t", 1, "{}", 0}).ok());
  const int64_t skew = kDefaults.safety_margin_ms - 1;  // rival's clock is ahead by this

  int64_t start = clock.NowMs();  // holder's wall and monotonic clocks agree here
  auto acquired = (*store)->AcquireLease("t", 0, "holder", start, kDefaults.lease_ms);
  ASSERT_TRUE(acquired.ok()) << acquired.status().ToString();
  LocalLeaseDeadline lease;
  lease.Granted(start, kDefaults);

  // Walk real time in 100 ms steps up to the end of the lease.
  int64_t holder_stopped_at = -1;
  for (int64_t t = start; t <= start + kDefaults.lease_ms + 200; t += 100) {
    bool holder_writes = lease.AllowsWrites(t);
    if (!holder_writes && holder_stopped_at < 0) holder_stopped_at = t;
    auto rival = (*store)->AcquireLease("t", 0, "rival", t + skew, kDefaults.lease_ms);
    if (rival.ok()) {
      EXPECT_FALSE(holder_writes) << "two writers at real time " << t;
      EXPECT_EQ(rival->leader_epoch, acquired->leader_epoch + 1);
      EXPECT_GE(holder_stopped_at, 0);
      return;
    }
    EXPECT_EQ(rival.status().code(), ErrorCode::kFenced) << rival.status().ToString();
  }
  FAIL() << "the rival never acquired the expired lease";
}

}  // namespace
}  // namespace sh::cluster
