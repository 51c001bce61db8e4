// The consumer group handlers with several agents: MakeGroupHandlers over a
// FakeClusterView of three agents (this one is node 7) and a real
// GroupCoordinator on SQLite. Groups "here" are coordinated by this agent,
// "there" by node 8, "orphan" by none.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "kafka/protocol/generated/delete_groups.h"
#include "kafka/protocol/generated/describe_groups.h"
#include "kafka/protocol/generated/find_coordinator.h"
#include "kafka/protocol/generated/heartbeat.h"
#include "kafka/protocol/generated/join_group.h"
#include "kafka/protocol/generated/leave_group.h"
#include "kafka/protocol/generated/list_groups.h"
#include "kafka/protocol/generated/offset_commit.h"
#include "kafka/protocol/generated/offset_delete.h"
#include "kafka/protocol/generated/offset_fetch.h"
#include "kafka/protocol/generated/sync_group.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/fake_cluster_view.h"
#include "kafka/server/handlers/group_handlers.h"
#include "kafka/server/handlers/handler_test_util.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh::kafka {
namespace {

int16_t E(KafkaError e) { return Code(e); }
const int16_t kNotCoordinator = Code(KafkaError::kNotCoordinator);

class ClusterGroupHandlersTest : public ::testing::Test {
 protected:
  ClusterGroupHandlersTest()
      : view_(7, {{7, "a7.test", 9007, "zone-a"},
                  {8, "a8.test", 9008, "zone-b"},
                  {9, "a9.test", 9009, ""}}) {
    store_ = SqliteMetadataStore::Open(":memory:").value();
    EXPECT_TRUE(store_->CreateTopic({"orders", 3, "{}", 0}).ok());
    view_.SetCoordinator("there", 8);
    view_.SetCoordinator("orphan", std::nullopt);
    group::GroupCoordinatorOptions o;
    o.group.initial_rebalance_delay_ms = 0;
    o.tick_interval_ms = 5;
    coordinator_ = std::make_unique<group::GroupCoordinator>(*store_, *SystemClock::Get(), o);
    coordinator_->Start();
    HandlerOptions options;
    options.node_id = 99;  // ignored: the view says who this agent is
    options.cluster = &view_;
    for (auto& h : MakeGroupHandlers(*coordinator_, options)) {
      handlers_[h->api_key()] = std::move(h);
    }
  }
  ~ClusterGroupHandlersTest() override { coordinator_->Stop(); }

  template <typename Resp, typename Req>
  Resp Call(const Req& req, int16_t version) {
    return testing::CallDecoded<Resp>(*handlers_.at(static_cast<ApiKey>(Req::kApiKey)), req,
                                      version, blocking_);
  }

  JoinGroupResponse Join(const std::string& group, const std::string& member) {
    JoinGroupRequest req;
    req.group_id = group;
    req.member_id = member;
    req.session_timeout_ms = 10'000;
    req.rebalance_timeout_ms = 10'000;
    req.protocol_type = "consumer";
    req.protocols = {{"range", Bytes{0, 1, 0, 0, 0, 0, 0, 0, 0, 0}}};
    return Call<JoinGroupResponse>(req, 7);
  }

  // Writes committed offsets straight into the store (no coordinator check).
  void StoreOffset(const std::string& group, int64_t offset) {
    ASSERT_TRUE(store_->CommitOffsets({{group, "orders", 0, offset, "", 1}}).ok());
  }

  testing::FakeClusterView view_;
  std::unique_ptr<SqliteMetadataStore> store_;
  std::unique_ptr<group::GroupCoordinator> coordinator_;
  BlockingExecutor blocking_{2};
  std::map<ApiKey, std::unique_ptr<Handler>> handlers_;
};

TEST_F(ClusterGroupHandlersTest, FindCoordinatorNamesTheViewsAgent) {
  for (int16_t v : {0, 1, 3}) {
    FindCoordinatorRequest req;
    req.key = "there";
    auto there = Call<FindCoordinatorResponse>(req, v);
    EXPECT_EQ(there.error_code, 0) << "v" << v;
    EXPECT_EQ(there.node_id, 8);
    EXPECT_EQ(there.host, "a8.test");
    EXPECT_EQ(there.port, 9008);
    req.key = "here";
    auto here = Call<FindCoordinatorResponse>(req, v);
    EXPECT_EQ(here.node_id, 7);
    EXPECT_EQ(here.host, "a7.test");
    req.key = "orphan";
    auto orphan = Call<FindCoordinatorResponse>(req, v);
    EXPECT_EQ(orphan.error_code, E(KafkaError::kCoordinatorNotAvailable));
    EXPECT_EQ(orphan.node_id, -1);
  }
  FindCoordinatorRequest batch;
  batch.coordinator_keys = {"here", "there", "orphan"};
  auto b = Call<FindCoordinatorResponse>(batch, 4);
  ASSERT_EQ(b.coordinators.size(), 3u);
  EXPECT_EQ(b.coordinators[0].node_id, 7);
  EXPECT_EQ(b.coordinators[0].port, 9007);
  EXPECT_EQ(b.coordinators[1].error_code, 0);
  EXPECT_EQ(b.coordinators[1].node_id, 8);
  EXPECT_EQ(b.coordinators[1].host, "a8.test");
  EXPECT_EQ(b.coordinators[2].error_code, E(KafkaError::kCoordinatorNotAvailable));
  // The transaction key type is answered as before.
  batch.key_type = 1;
  EXPECT_EQ(Call<FindCoordinatorResponse>(batch, 4).coordinators.at(0).error_code,
            E(KafkaError::kCoordinatorNotAvailable));
}

TEST_F(ClusterGroupHandlersTest, MembershipRequestsElsewhereGetNotCoordinator) {
  JoinGroupResponse there = Join("there", "");
  EXPECT_EQ(there.error_code, kNotCoordinator);
  EXPECT_EQ(Join("orphan", "").error_code, E(KafkaError::kCoordinatorNotAvailable));
  EXPECT_FALSE(coordinator_->Describe("there").has_value());  // no state was created

  // Coordinated here: the whole join, sync, heartbeat, leave works.
  JoinGroupResponse first = Join("here", "");
  ASSERT_EQ(first.error_code, E(KafkaError::kMemberIdRequired));
  JoinGroupResponse joined = Join("here", first.member_id);
  ASSERT_EQ(joined.error_code, 0);
  SyncGroupRequest sync;
  sync.group_id = "here";
  sync.member_id = joined.member_id;
  sync.generation_id = joined.generation_id;
  sync.assignments = {{joined.member_id, Bytes{1}}};
  EXPECT_EQ(Call<SyncGroupResponse>(sync, 3).error_code, 0);
  HeartbeatRequest hb;
  hb.group_id = "here";
  hb.member_id = joined.member_id;
  hb.generation_id = joined.generation_id;
  EXPECT_EQ(Call<HeartbeatResponse>(hb, 3).error_code, 0);

  // The same member's requests sent for a group coordinated elsewhere.
  sync.group_id = hb.group_id = "there";
  EXPECT_EQ(Call<SyncGroupResponse>(sync, 3).error_code, kNotCoordinator);
  EXPECT_EQ(Call<HeartbeatResponse>(hb, 3).error_code, kNotCoordinator);
  LeaveGroupRequest leave;
  leave.group_id = "there";
  leave.members = {{joined.member_id, std::nullopt, std::nullopt}};
  EXPECT_EQ(Call<LeaveGroupResponse>(leave, 3).error_code, kNotCoordinator);
  leave.group_id = "here";
  auto left = Call<LeaveGroupResponse>(leave, 3);
  EXPECT_EQ(left.error_code, 0);
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0].error_code, 0);
}

TEST_F(ClusterGroupHandlersTest, OffsetRequestsAnswerPerGroup) {
  OffsetCommitRequest commit;
  commit.group_id = "there";
  commit.topics = {{"orders", {{0, 5, -1, -1, ""}, {1, 6, -1, -1, ""}}}};
  auto refused = Call<OffsetCommitResponse>(commit, 2);
  ASSERT_EQ(refused.topics.at(0).partitions.size(), 2u);
  EXPECT_EQ(refused.topics[0].partitions[0].error_code, kNotCoordinator);
  EXPECT_EQ(refused.topics[0].partitions[1].error_code, kNotCoordinator);
  auto stored = store_->FetchOffsets("there");
  EXPECT_TRUE(!stored.ok() || stored->empty()) << "nothing committed for a group elsewhere";
  commit.group_id = "here";
  EXPECT_EQ(Call<OffsetCommitResponse>(commit, 2).topics[0].partitions[0].error_code, 0);
  StoreOffset("there", 11);

  OffsetFetchRequest batched;
  batched.groups = {{"here", std::nullopt, -1, std::nullopt},
                    {"there", std::nullopt, -1, std::nullopt}};
  auto b = Call<OffsetFetchResponse>(batched, 8);
  ASSERT_EQ(b.groups.size(), 2u);
  EXPECT_EQ(b.groups[0].error_code, 0);
  ASSERT_EQ(b.groups[0].topics.size(), 1u);
  EXPECT_EQ(b.groups[0].topics[0].partitions.at(0).committed_offset, 5);
  EXPECT_EQ(b.groups[1].error_code, kNotCoordinator);
  EXPECT_TRUE(b.groups[1].topics.empty());

  OffsetFetchRequest single;
  single.group_id = "there";
  single.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{{"orders", {0}}};
  auto v1 = Call<OffsetFetchResponse>(single, 1);  // no top-level error before v2
  EXPECT_EQ(v1.topics.at(0).partitions.at(0).error_code, kNotCoordinator);
  EXPECT_EQ(v1.topics[0].partitions[0].committed_offset, -1);
  EXPECT_EQ(Call<OffsetFetchResponse>(single, 5).error_code, kNotCoordinator);

  OffsetDeleteRequest del;
  del.group_id = "there";
  del.topics = {{"orders", {{0}}}};
  EXPECT_EQ(Call<OffsetDeleteResponse>(del, 0).error_code, kNotCoordinator);
  EXPECT_EQ(store_->FetchOffsets("there").value().size(), 1u);  // still there
  del.group_id = "here";
  auto deleted = Call<OffsetDeleteResponse>(del, 0);
  EXPECT_EQ(deleted.error_code, 0);
  EXPECT_EQ(deleted.topics.at(0).partitions.at(0).error_code, 0);
}

TEST_F(ClusterGroupHandlersTest, ListDescribeDeleteOnlyGroupsCoordinatedHere) {
  StoreOffset("here", 1);
  StoreOffset("there", 2);
  auto listed = Call<ListGroupsResponse>(ListGroupsRequest{}, 3);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "here");

  DescribeGroupsRequest describe;
  describe.groups = {"here", "there"};
  auto d = Call<DescribeGroupsResponse>(describe, 5);
  ASSERT_EQ(d.groups.size(), 2u);
  EXPECT_EQ(d.groups[0].error_code, 0);
  EXPECT_EQ(d.groups[0].group_state, "Empty");
  EXPECT_EQ(d.groups[1].group_id, "there");
  EXPECT_EQ(d.groups[1].error_code, kNotCoordinator);

  DeleteGroupsRequest del;
  del.groups_names = {"there", "here"};
  auto r = Call<DeleteGroupsResponse>(del, 2);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].group_id, "there");
  EXPECT_EQ(r.results[0].error_code, kNotCoordinator);
  EXPECT_EQ(r.results[1].error_code, 0);
  EXPECT_EQ(store_->FetchOffsets("there").value().size(), 1u);  // not deleted
}

}  // namespace
}  // namespace sh::kafka
