// Tests of GroupCoordinator: argument checks, Stop() answering parked joins,
// and the offsets retention sweep (with a ManualClock and a SQLite store).
#include "kafka/server/group/group_coordinator.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "metadata/sqlite_metadata_store.h"

namespace sh::kafka::group {
namespace {

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  GroupCoordinatorTest() {
    auto store = SqliteMetadataStore::Open(":memory:", &clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    GroupCoordinatorOptions o;
    o.offsets_retention_ms = 1000 * 60;
    coordinator_ = std::make_unique<GroupCoordinator>(*store_, clock_, o);
  }

  JoinArgs Args(const std::string& group, const std::string& member, int32_t session = 10'000) {
    JoinArgs a;
    a.group_id = group;
    a.member_id = member;
    a.protocol_type = "consumer";
    a.protocols = {{"range", Bytes{1}}};
    a.session_timeout_ms = session;
    a.rebalance_timeout_ms = 10'000;
    a.client_id = "c";
    return a;
  }

  // Joins an Empty group and fires the initial delay.
  std::optional<JoinResult> JoinAndComplete(const std::string& group) {
    std::optional<JoinResult> out;
    coordinator_->Join(Args(group, ""), [&out](JoinResult r) { out = std::move(r); });
    EXPECT_FALSE(out.has_value()) << "answered before the initial rebalance delay";
    clock_.AdvanceMs(300);
    coordinator_->Tick();
    return out;
  }

  std::optional<JoinResult> JoinNow(const JoinArgs& a) {
    std::optional<JoinResult> out;
    coordinator_->Join(a, [&out](JoinResult r) { out = std::move(r); });
    return out;
  }

  void Commit(const std::string& group, int64_t offset) {
    ASSERT_TRUE(store_->CommitOffsets({{group, "t", 0, offset, "md", clock_.NowMs()}}).ok());
  }

  ManualClock clock_;
  std::unique_ptr<SqliteMetadataStore> store_;
  std::unique_ptr<GroupCoordinator> coordinator_;
};

TEST_F(GroupCoordinatorTest, RejectsBadJoins) {
  EXPECT_EQ(JoinNow(Args("", ""))->error, KafkaError::kInvalidGroupId);
  EXPECT_EQ(JoinNow(Args("g", "", 10))->error, KafkaError::kInvalidSessionTimeout);
  EXPECT_EQ(JoinNow(Args("g", "", 2'000'000))->error, KafkaError::kInvalidSessionTimeout);
  EXPECT_EQ(JoinNow(Args("g", "someone"))->error, KafkaError::kUnknownMemberId)
      << "a member id for a group that does not exist";
  EXPECT_EQ(coordinator_->Heartbeat("g", 1, "x", std::nullopt), KafkaError::kUnknownMemberId);
  EXPECT_EQ(coordinator_->CheckCommit("nogroup", -1, "", std::nullopt), KafkaError::kNone);
  EXPECT_EQ(coordinator_->CheckCommit("nogroup", 3, "m", std::nullopt),
            KafkaError::kIllegalGeneration);
}

TEST_F(GroupCoordinatorTest, JoinCompletesOnTickAndStopAnswersParkedJoins) {
  std::optional<JoinResult> first = JoinAndComplete("g");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->error, KafkaError::kNone);  // v0-v3 style: no MEMBER_ID_REQUIRED
  EXPECT_EQ(coordinator_->Describe("g")->members.size(), 1u);

  // A newcomer waits for the known member to rejoin: parked.
  std::optional<JoinResult> parked;
  coordinator_->Join(Args("g", ""), [&parked](JoinResult r) { parked = std::move(r); });
  EXPECT_FALSE(parked.has_value());
  coordinator_->Stop();
  ASSERT_TRUE(parked.has_value());
  EXPECT_EQ(parked->error, KafkaError::kNotCoordinator);
  EXPECT_EQ(JoinNow(Args("g", ""))->error, KafkaError::kNotCoordinator);
}

TEST_F(GroupCoordinatorTest, RetentionDeletesOffsetsOfEmptyGroupsOnly) {
  Commit("old", 5);
  auto joined = JoinAndComplete("busy");
  ASSERT_TRUE(joined.has_value());
  Commit("busy", 7);
  clock_.AdvanceMs(30'000);
  Commit("recent", 9);
  // Keep busy's member alive while time passes.
  for (int i = 0; i < 7; ++i) {
    clock_.AdvanceMs(5'000);
    coordinator_->Tick();
    coordinator_->Heartbeat("busy", 1, joined->member_id, std::nullopt);
  }
  Result<std::vector<std::string>> swept = coordinator_->SweepExpiredOffsets();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, std::vector<std::string>{"old"});
  EXPECT_EQ(store_->GetGroup("old").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->GetGroup("busy").ok());
  EXPECT_TRUE(store_->GetGroup("recent").ok());
}

TEST_F(GroupCoordinatorTest, IdleEmptyGroupsAreForgottenAfterRetention) {
  auto joined = JoinAndComplete("g");
  ASSERT_TRUE(joined.has_value());
  std::vector<KafkaError> errors;
  coordinator_->Leave("g", {{joined->member_id, std::nullopt}}, &errors);
  coordinator_->Tick();
  ASSERT_TRUE(coordinator_->Describe("g").has_value());
  EXPECT_EQ(coordinator_->Describe("g")->state, GroupState::kEmpty);
  clock_.AdvanceMs(60'000);
  coordinator_->Tick();
  EXPECT_FALSE(coordinator_->Describe("g").has_value());
}

TEST_F(GroupCoordinatorTest, DeleteRefusesGroupsWithMembers) {
  auto joined = JoinAndComplete("g");
  ASSERT_TRUE(joined.has_value());
  bool known = false;
  EXPECT_EQ(coordinator_->ForgetIfEmpty("g", &known), KafkaError::kNonEmptyGroup);
  std::vector<KafkaError> errors;
  EXPECT_EQ(
      coordinator_->Leave("g", {{joined->member_id, std::nullopt}, {"x", std::nullopt}}, &errors),
      KafkaError::kNone);
  EXPECT_EQ(errors, (std::vector<KafkaError>{KafkaError::kNone, KafkaError::kUnknownMemberId}));
  EXPECT_EQ(coordinator_->ForgetIfEmpty("g", &known), KafkaError::kNone);
  EXPECT_TRUE(known);
  EXPECT_FALSE(coordinator_->Describe("g").has_value());
}

}  // namespace
}  // namespace sh::kafka::group
