// Membership on a SQLite metadata file with a hand-moved clock.
#include "cluster/membership.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "metadata/forwarding_metadata_store.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh::cluster {
namespace {

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "sh_cluster_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = SqliteMetadataStore::Open(dir_ + "/metadata.db", &clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<Membership> Make(const std::string& id) {
    MembershipOptions o;
    o.agent_id = id;
    o.address = id + ".local:9092";
    o.zone = "zone-" + id;
    o.node_id = static_cast<int32_t>(id.size()) * 10;
    return std::make_unique<Membership>(*store_, clock_, o);
  }

  std::vector<std::string> Live(const Membership& m) {
    auto ids = m.LiveAgentIds();
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  ManualClock clock_;
  std::string dir_;
  std::unique_ptr<SqliteMetadataStore> store_;
};

using Ids = std::vector<std::string>;

TEST_F(MembershipTest, HeartbeatWritesTheRowAndKeepsStartedAt) {
  auto a = Make("a1");
  int64_t t0 = clock_.NowMs();
  ASSERT_TRUE(a->Heartbeat().ok());
  clock_.AdvanceMs(1000);
  ASSERT_TRUE(a->Heartbeat().ok());
  auto rows = store_->ListAgents();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const AgentInfo& row = (*rows)[0];
  EXPECT_EQ(row.agent_id, "a1");
  EXPECT_EQ(row.address, "a1.local:9092");
  EXPECT_EQ(row.zone, "zone-a1");
  EXPECT_EQ(row.node_id, 20);
  EXPECT_EQ(row.started_at_ms, t0);
  EXPECT_EQ(row.last_heartbeat_ms, t0 + 1000);
}

TEST_F(MembershipTest, NotLiveBeforeTheFirstHeartbeat) {
  auto a = Make("a1");
  EXPECT_EQ(Live(*a), Ids{});
  EXPECT_TRUE(a->HeartbeatDue());
  ASSERT_TRUE(a->Heartbeat().ok());
  EXPECT_EQ(Live(*a), Ids{"a1"});
  EXPECT_FALSE(a->HeartbeatDue());
  clock_.AdvanceMs(999);
  EXPECT_FALSE(a->HeartbeatDue());
  clock_.AdvanceMs(1);
  EXPECT_TRUE(a->HeartbeatDue());
}

TEST_F(MembershipTest, LiveAgentsAreSortedById) {
  auto c = Make("c"), a = Make("a"), b = Make("b");
  ASSERT_TRUE(c->Heartbeat().ok());
  ASSERT_TRUE(a->Heartbeat().ok());
  ASSERT_TRUE(b->Heartbeat().ok());
  EXPECT_EQ(Live(*c), (Ids{"a", "b", "c"}));
  auto infos = b->LiveAgents();
  ASSERT_TRUE(infos.ok());
  EXPECT_EQ((*infos)[2].address, "c.local:9092");
}

TEST_F(MembershipTest, SilentAgentExpiresAfterTheTimeoutAndRejoins) {
  auto a = Make("a1"), b = Make("a2");
  ASSERT_TRUE(a->Heartbeat().ok());
  ASSERT_TRUE(b->Heartbeat().ok());
  int64_t b_started = clock_.NowMs();
  clock_.AdvanceMs(5999);  // b silent; a keeps beating
  ASSERT_TRUE(a->Heartbeat().ok());
  EXPECT_EQ(Live(*a), (Ids{"a1", "a2"}));
  clock_.AdvanceMs(1);  // b's heartbeat is now agent_timeout old
  EXPECT_EQ(Live(*a), Ids{"a1"});
  // b itself has not stopped: it still counts itself (its leases decide the rest).
  EXPECT_EQ(Live(*b), (Ids{"a1", "a2"}));
  // b rejoins by heartbeating; its started_at is that of its first heartbeat.
  clock_.AdvanceMs(3000);
  ASSERT_TRUE(b->Heartbeat().ok());
  EXPECT_EQ(Live(*a), (Ids{"a1", "a2"}));
  auto rows = store_->ListAgents();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].started_at_ms, b_started);
  // a, silent for 3 s, is still live for b.
  EXPECT_EQ(Live(*b), (Ids{"a1", "a2"}));
}

TEST_F(MembershipTest, LeaveRemovesTheAgentAtOnce) {
  auto a = Make("a1"), b = Make("a2");
  ASSERT_TRUE(a->Heartbeat().ok());
  ASSERT_TRUE(b->Heartbeat().ok());
  ASSERT_TRUE(b->Leave().ok());
  EXPECT_EQ(Live(*a), Ids{"a1"});  // no need to wait for the timeout
  EXPECT_EQ(Live(*b), Ids{"a1"});  // b no longer counts itself
  EXPECT_TRUE(b->Leave().ok());    // already gone: fine
  // Joining again starts a new membership: a new started_at.
  clock_.AdvanceMs(500);
  ASSERT_TRUE(b->Heartbeat().ok());
  auto rows = store_->ListAgents();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].started_at_ms, clock_.NowMs());
  EXPECT_EQ(Live(*a), (Ids{"a1", "a2"}));
}

TEST_F(MembershipTest, SelfStaysLiveWhenItsRowIsRemovedElsewhere) {
  auto a = Make("a1"), b = Make("a2");
  ASSERT_TRUE(a->Heartbeat().ok());
  ASSERT_TRUE(b->Heartbeat().ok());
  ASSERT_TRUE(store_->RemoveAgent("a1").ok());  // e.g. an operator's cleanup
  EXPECT_EQ(Live(*a), (Ids{"a1", "a2"}));
  EXPECT_EQ(Live(*b), Ids{"a2"});
  ASSERT_TRUE(a->Heartbeat().ok());  // the next heartbeat restores the row
  EXPECT_EQ(Live(*b), (Ids{"a1", "a2"}));
}

TEST_F(MembershipTest, BadOptionsAreRefusedAndWriteNothing) {
  MembershipOptions empty;
  Membership m1(*store_, clock_, empty);
  EXPECT_EQ(m1.Heartbeat().code(), ErrorCode::kInvalidArgument);
  MembershipOptions tight;
  tight.agent_id = "a1";
  tight.heartbeat_interval_ms = 1000;
  tight.agent_timeout_ms = 2000;  // one late heartbeat would look like death
  Membership m2(*store_, clock_, tight);
  EXPECT_EQ(m2.Heartbeat().code(), ErrorCode::kInvalidArgument);
  MembershipOptions zero = tight;
  zero.heartbeat_interval_ms = 0;
  EXPECT_EQ(ValidateMembershipOptions(zero).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ValidateMembershipOptions(MembershipOptions{"a", "", "", 1000, 6000}).ok());
  auto rows = store_->ListAgents();
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

// A store whose agent calls fail, as PostgreSQL does when unreachable.
class DownStore : public ForwardingMetadataStore {
 public:
  using ForwardingMetadataStore::ForwardingMetadataStore;
  Status UpsertAgent(const AgentInfo&) override { return Status::Unavailable("store down"); }
  Result<std::vector<AgentInfo>> ListAgents() override { return Status::Unavailable("store down"); }
};

TEST_F(MembershipTest, StoreErrorsAreReturnedWithContext) {
  DownStore down(*store_);
  MembershipOptions o;
  o.agent_id = "a1";
  Membership m(down, clock_, o);
  Status st = m.Heartbeat();
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_NE(st.message().find("a1"), std::string::npos) << st.ToString();
  EXPECT_TRUE(m.HeartbeatDue());  // a failed heartbeat does not count
  EXPECT_EQ(m.LiveAgents().status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace sh::cluster
