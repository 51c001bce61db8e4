// Tests of the group state machine (group.h), driven with explicit times:
// join/sync/heartbeat/leave flows, session and rebalance timeouts, static
// membership, and the Kafka error codes of each step.
#include "kafka/server/group/group.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/server/group/consumer_protocol.h"

namespace sh::kafka::group {
namespace {

constexpr int32_t kSession = 10'000;
constexpr int32_t kRebalance = 20'000;

class GroupTest : public ::testing::Test {
 protected:
  GroupTest() : group_("g", Config(), now_) {}

  static GroupConfig Config() {
    GroupConfig c;
    c.initial_rebalance_delay_ms = 300;
    return c;
  }

  JoinArgs Args(const std::string& member_id, const std::string& metadata = "sub",
                std::optional<std::string> instance = std::nullopt) {
    JoinArgs a;
    a.group_id = "g";
    a.member_id = member_id;
    a.group_instance_id = std::move(instance);
    a.protocol_type = "consumer";
    a.protocols = {{"range", Bytes(metadata.begin(), metadata.end())}};
    a.session_timeout_ms = kSession;
    a.rebalance_timeout_ms = kRebalance;
    a.client_id = "client";
    a.require_known_member_id = true;
    return a;
  }

  // Starts a join; the result lands in the returned slot once answered.
  std::shared_ptr<std::optional<JoinResult>> Join(const JoinArgs& args) {
    auto slot = std::make_shared<std::optional<JoinResult>>();
    Completions done;
    group_.Join(
        args, now_, [slot](JoinResult r) { *slot = std::move(r); }, done);
    done.RunAll();
    return slot;
  }

  std::shared_ptr<std::optional<SyncResult>> Sync(
      const std::string& member, int32_t generation,
      std::vector<std::pair<std::string, Bytes>> a = {}) {
    auto slot = std::make_shared<std::optional<SyncResult>>();
    SyncArgs args;
    args.group_id = "g";
    args.generation_id = generation;
    args.member_id = member;
    args.assignments = std::move(a);
    Completions done;
    group_.Sync(
        args, now_, [slot](SyncResult r) { *slot = std::move(r); }, done);
    done.RunAll();
    return slot;
  }

  KafkaError Leave(const std::string& member) {
    Completions done;
    KafkaError e = group_.Leave(member, std::nullopt, now_, done);
    done.RunAll();
    return e;
  }

  void Advance(int64_t ms) {
    now_ += ms;
    Completions done;
    group_.Tick(now_, done);
    done.RunAll();
  }

  // A KIP-394 member id: first join answered MEMBER_ID_REQUIRED.
  std::string NewMemberId() {
    auto first = Join(Args(""));
    EXPECT_TRUE(first->has_value());
    EXPECT_EQ((*first)->error, KafkaError::kMemberIdRequired);
    EXPECT_FALSE((*first)->member_id.empty());
    return (*first)->member_id;
  }

  // Two members a and b through join and sync: Stable at generation 1.
  void FormTwo(std::string* a, std::string* b) {
    *a = NewMemberId();
    *b = NewMemberId();
    auto ja = Join(Args(*a, "meta-a"));
    auto jb = Join(Args(*b, "meta-b"));
    EXPECT_FALSE(ja->has_value()) << "join answered before the initial delay";
    Advance(300);
    ASSERT_TRUE(ja->has_value() && jb->has_value());
    std::string leader = (*ja)->leader;
    std::string follower = leader == *a ? *b : *a;
    auto sf = Sync(follower, 1);
    EXPECT_FALSE(sf->has_value()) << "follower answered before the leader's assignment";
    auto sl = Sync(leader, 1, {{*a, Bytes{1}}, {*b, Bytes{2}}});
    ASSERT_TRUE(sf->has_value() && sl->has_value());
    EXPECT_EQ(group_.state(), GroupState::kStable);
  }

  int64_t now_ = 1'000'000;
  Group group_;
};

TEST_F(GroupTest, FirstJoinNeedsMemberIdThenCompletesAfterInitialDelay) {
  std::string id = NewMemberId();
  EXPECT_EQ(group_.state(), GroupState::kEmpty) << "a pending member id is not a member";
  auto join = Join(Args(id, "meta"));
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  EXPECT_FALSE(join->has_value());
  Advance(299);
  EXPECT_FALSE(join->has_value());
  Advance(1);
  ASSERT_TRUE(join->has_value());
  const JoinResult& r = **join;
  EXPECT_EQ(r.error, KafkaError::kNone);
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.leader, id);
  EXPECT_EQ(r.member_id, id);
  EXPECT_EQ(r.protocol_name, "range");
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].metadata, Bytes({'m', 'e', 't', 'a'}));
  EXPECT_EQ(group_.state(), GroupState::kCompletingRebalance);
}

TEST_F(GroupTest, OldVersionsGetAMemberIdWithoutTheExtraRoundTrip) {
  JoinArgs a = Args("");
  a.require_known_member_id = false;
  auto join = Join(a);
  Advance(300);
  ASSERT_TRUE(join->has_value());
  EXPECT_EQ((*join)->error, KafkaError::kNone);
  EXPECT_FALSE((*join)->member_id.empty());
}

TEST_F(GroupTest, LeaderGetsMembersAndSyncDistributesItsAssignment) {
  std::string a = NewMemberId(), b = NewMemberId();
  auto ja = Join(Args(a, "meta-a"));
  auto jb = Join(Args(b, "meta-b"));
  Advance(300);
  ASSERT_TRUE(ja->has_value() && jb->has_value());
  const JoinResult& leader = (*ja)->leader == a ? **ja : **jb;
  const JoinResult& follower = (*ja)->leader == a ? **jb : **ja;
  EXPECT_EQ(leader.members.size(), 2u);
  EXPECT_TRUE(follower.members.empty());
  EXPECT_EQ(leader.generation_id, follower.generation_id);

  auto sf = Sync(follower.member_id, 1);
  EXPECT_FALSE(sf->has_value());
  auto sl =
      Sync(leader.member_id, 1, {{leader.member_id, Bytes{7}}, {follower.member_id, Bytes{9}}});
  ASSERT_TRUE(sf->has_value() && sl->has_value());
  EXPECT_EQ((*sl)->assignment, Bytes{7});
  EXPECT_EQ((*sf)->assignment, Bytes{9});
  EXPECT_EQ((*sf)->protocol_name, "range");
  EXPECT_EQ(group_.state(), GroupState::kStable);
  // A late sync in Stable gets the current assignment at once.
  auto again = Sync(follower.member_id, 1);
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->assignment, Bytes{9});
}

TEST_F(GroupTest, HeartbeatErrors) {
  std::string a, b;
  FormTwo(&a, &b);
  EXPECT_EQ(group_.Heartbeat(1, a, std::nullopt, now_), KafkaError::kNone);
  EXPECT_EQ(group_.Heartbeat(2, a, std::nullopt, now_), KafkaError::kIllegalGeneration);
  EXPECT_EQ(group_.Heartbeat(1, "nobody", std::nullopt, now_), KafkaError::kUnknownMemberId);
  // A third member starts a rebalance: the others are told to rejoin.
  std::string c = NewMemberId();
  auto jc = Join(Args(c));
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group_.Heartbeat(1, a, std::nullopt, now_), KafkaError::kRebalanceInProgress);
  EXPECT_FALSE(jc->has_value()) << "completed before the known members rejoined";
  auto ja = Join(Args(a, "meta-a"));
  auto jb = Join(Args(b, "meta-b"));
  ASSERT_TRUE(jc->has_value() && ja->has_value() && jb->has_value());
  EXPECT_EQ((*jc)->generation_id, 2);
  EXPECT_EQ(group_.size(), 3u);
}

TEST_F(GroupTest, SessionExpiryEvictsAndRebalances) {
  std::string a, b;
  FormTwo(&a, &b);
  // b keeps heartbeating, a goes silent.
  for (int i = 0; i < 4; ++i) {
    Advance(kSession / 4);
    if (group_.state() == GroupState::kStable) {
      EXPECT_EQ(group_.Heartbeat(1, b, std::nullopt, now_), KafkaError::kNone);
    }
  }
  Advance(1);
  EXPECT_FALSE(group_.HasMember(a)) << "a was not evicted";
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group_.Heartbeat(1, b, std::nullopt, now_), KafkaError::kRebalanceInProgress);
  auto jb = Join(Args(b, "meta-b"));
  ASSERT_TRUE(jb->has_value());
  EXPECT_EQ((*jb)->generation_id, 2);
  EXPECT_EQ((*jb)->leader, b);
  EXPECT_EQ((*jb)->members.size(), 1u);
}

TEST_F(GroupTest, RebalanceTimeoutDropsMembersThatDoNotRejoin) {
  std::string a, b;
  FormTwo(&a, &b);
  std::string c = NewMemberId();
  auto jc = Join(Args(c));
  // a heartbeats (so it is not expired) but never rejoins; b rejoins.
  auto jb = Join(Args(b, "meta-b"));
  for (int64_t t = 0; t < kRebalance; t += kSession / 2) {
    EXPECT_FALSE(jc->has_value());
    EXPECT_EQ(group_.Heartbeat(1, a, std::nullopt, now_), KafkaError::kRebalanceInProgress);
    Advance(kSession / 2);
  }
  ASSERT_TRUE(jc->has_value() && jb->has_value());
  EXPECT_FALSE(group_.HasMember(a));
  EXPECT_EQ(group_.size(), 2u);
  EXPECT_EQ(group_.Heartbeat(2, a, std::nullopt, now_), KafkaError::kUnknownMemberId);
}

TEST_F(GroupTest, LeaveRebalancesAndLastLeaveEmptiesTheGroup) {
  std::string a, b;
  FormTwo(&a, &b);
  EXPECT_EQ(Leave("nobody"), KafkaError::kUnknownMemberId);
  EXPECT_EQ(Leave(a), KafkaError::kNone);
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  auto jb = Join(Args(b, "meta-b"));
  ASSERT_TRUE(jb->has_value());
  EXPECT_EQ((*jb)->leader, b);
  auto sb = Sync(b, 2, {{b, Bytes{3}}});
  ASSERT_TRUE(sb->has_value());
  EXPECT_EQ(Leave(b), KafkaError::kNone);
  EXPECT_EQ(group_.state(), GroupState::kEmpty);
  EXPECT_EQ(group_.size(), 0u);
}

TEST_F(GroupTest, NewMemberDuringCompletingRebalanceFailsWaitingSyncs) {
  std::string a = NewMemberId(), b = NewMemberId();
  auto ja = Join(Args(a, "meta-a"));
  auto jb = Join(Args(b, "meta-b"));
  Advance(300);
  std::string follower = (*ja)->leader == a ? b : a;
  auto sf = Sync(follower, 1);
  EXPECT_FALSE(sf->has_value());
  std::string c = NewMemberId();
  auto jc = Join(Args(c));
  ASSERT_TRUE(sf->has_value());
  EXPECT_EQ((*sf)->error, KafkaError::kRebalanceInProgress);
  EXPECT_EQ((*Sync(follower, 1))->error, KafkaError::kRebalanceInProgress);
}

TEST_F(GroupTest, CommitChecks) {
  EXPECT_EQ(group_.CheckCommit(-1, "", std::nullopt, now_), KafkaError::kNone)
      << "a standalone commit to an empty group";
  std::string a = NewMemberId(), b = NewMemberId();
  Join(Args(a));
  Join(Args(b));
  Advance(300);
  EXPECT_EQ(group_.CheckCommit(1, a, std::nullopt, now_), KafkaError::kRebalanceInProgress);
  std::string leader = group_.leader();
  Sync(leader, 1, {});
  EXPECT_EQ(group_.CheckCommit(1, a, std::nullopt, now_), KafkaError::kNone);
  EXPECT_EQ(group_.CheckCommit(0, a, std::nullopt, now_), KafkaError::kIllegalGeneration);
  EXPECT_EQ(group_.CheckCommit(-1, "", std::nullopt, now_), KafkaError::kUnknownMemberId)
      << "a standalone commit to a group with members";
  EXPECT_EQ(group_.CheckCommit(1, "nobody", std::nullopt, now_), KafkaError::kUnknownMemberId);
}

TEST_F(GroupTest, InconsistentProtocolIsRefused) {
  std::string a = NewMemberId();
  Join(Args(a));
  JoinArgs other = Args("");
  other.protocol_type = "connect";
  auto j = Join(other);
  ASSERT_TRUE(j->has_value());
  EXPECT_EQ((*j)->error, KafkaError::kInconsistentGroupProtocol);
  JoinArgs no_common = Args("");
  no_common.protocols = {{"roundrobin", Bytes{}}};
  EXPECT_EQ((*Join(no_common))->error, KafkaError::kInconsistentGroupProtocol);
}

TEST_F(GroupTest, StaticMemberRejoinsWithoutRebalanceAndFencesItsOldId) {
  auto j = Join(Args("", "meta", "instance-1"));
  Advance(300);
  ASSERT_TRUE(j->has_value());
  EXPECT_EQ((*j)->error, KafkaError::kNone) << "static members skip MEMBER_ID_REQUIRED";
  std::string old_id = (*j)->member_id;
  Sync(old_id, 1, {{old_id, Bytes{5}}});
  ASSERT_EQ(group_.state(), GroupState::kStable);

  auto again = Join(Args("", "meta", "instance-1"));
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->error, KafkaError::kNone);
  EXPECT_NE((*again)->member_id, old_id);
  EXPECT_EQ((*again)->generation_id, 1) << "a restart of a static member caused a rebalance";
  EXPECT_EQ(group_.state(), GroupState::kStable);
  EXPECT_EQ((*Sync((*again)->member_id, 1))->assignment, Bytes{5});
  EXPECT_EQ(group_.Heartbeat(1, old_id, "instance-1", now_), KafkaError::kFencedInstanceId);
  Completions done;
  EXPECT_EQ(group_.Leave("", "instance-1", now_, done), KafkaError::kNone);
  EXPECT_EQ(group_.state(), GroupState::kEmpty);
}

TEST_F(GroupTest, PendingMemberIdExpires) {
  std::string a = NewMemberId();
  Advance(kSession + 1);
  auto j = Join(Args(a));
  ASSERT_TRUE(j->has_value());
  EXPECT_EQ((*j)->error, KafkaError::kUnknownMemberId);
}

TEST_F(GroupTest, ShutdownAnswersWaitingRequests) {
  std::string a = NewMemberId();
  auto j = Join(Args(a));
  Completions done;
  group_.Shutdown(KafkaError::kNotCoordinator, done);
  done.RunAll();
  ASSERT_TRUE(j->has_value());
  EXPECT_EQ((*j)->error, KafkaError::kNotCoordinator);
  EXPECT_EQ(group_.state(), GroupState::kDead);
}

TEST_F(GroupTest, DescribeShowsAssignmentsOnlyWhenStable) {
  std::string a, b;
  FormTwo(&a, &b);
  GroupSummary s = group_.Summary();
  EXPECT_EQ(s.protocol_name, "range");
  ASSERT_EQ(s.members.size(), 2u);
  for (const MemberSummary& m : s.members) EXPECT_FALSE(m.assignment.empty());
}

Bytes Subscription(const std::vector<std::string>& topics) {
  Bytes b = {0, 1};
  uint32_t n = static_cast<uint32_t>(topics.size());
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(n >> s));
  for (const std::string& t : topics) {
    b.push_back(0);
    b.push_back(static_cast<uint8_t>(t.size()));
    b.insert(b.end(), t.begin(), t.end());
  }
  b.insert(b.end(), {0, 0, 0, 0});  // empty user data
  return b;
}

TEST(ConsumerProtocolTest, SubscriptionTopics) {
  Result<std::vector<std::string>> t = ParseSubscriptionTopics(Subscription({"a", "bc"}));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, (std::vector<std::string>{"a", "bc"}));
  Bytes truncated = Subscription({"abc"});
  truncated.resize(9);
  EXPECT_FALSE(ParseSubscriptionTopics(truncated).ok());
  EXPECT_FALSE(ParseSubscriptionTopics(Bytes{0, 1, 0x7f, 0xff, 0xff, 0xff}).ok());
  EXPECT_FALSE(ParseSubscriptionTopics(Bytes{}).ok());
}

TEST_F(GroupTest, SubscribedTopicsFromMemberMetadata) {
  std::string a = NewMemberId();
  JoinArgs args = Args(a);
  args.protocols = {{"range", Subscription({"orders", "payments"})}};
  Join(args);
  EXPECT_EQ(group_.SubscribedTopics(), (std::set<std::string>{"orders", "payments"}));
}

}  // namespace
}  // namespace sh::kafka::group
