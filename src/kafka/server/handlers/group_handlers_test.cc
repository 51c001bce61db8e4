// Tests of the consumer group handlers: requests encoded with the generated
// codec at several versions, answered by the handlers over a real
// GroupCoordinator and SQLite store, the responses decoded and checked.
#include "kafka/server/handlers/group_handlers.h"
#include "kafka/server/handlers/handler_test_util.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>

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
#include "metadata/sqlite_metadata_store.h"

namespace sh::kafka {
namespace {

int16_t E(KafkaError e) { return Code(e); }

class GroupHandlersTest : public ::testing::Test {
 protected:
  GroupHandlersTest() {
    auto store = SqliteMetadataStore::Open(":memory:");
    EXPECT_TRUE(store.ok());
    store_ = std::move(*store);
    EXPECT_TRUE(store_->CreateTopic({"orders", 3, "{}", 0}).ok());
    group::GroupCoordinatorOptions o;
    o.group.initial_rebalance_delay_ms = 0;
    o.tick_interval_ms = 5;
    coordinator_ = std::make_unique<group::GroupCoordinator>(*store_, *SystemClock::Get(), o);
    coordinator_->Start();
    HandlerOptions options;
    options.node_id = 7;
    options.advertised_host = "agent.example";
    options.advertised_port = 19092;
    for (auto& h : MakeGroupHandlers(*coordinator_, options)) {
      handlers_[h->api_key()] = std::move(h);
    }
  }
  ~GroupHandlersTest() override { coordinator_->Stop(); }

  template <typename Resp, typename Req>
  Resp Call(const Req& req, int16_t version) {
    ByteWriter w;
    Status enc = req.Encode(w, version);
    EXPECT_TRUE(enc.ok()) << enc.ToString();
    Bytes body = w.Take();
    Handler& h = *handlers_.at(static_cast<ApiKey>(Req::kApiKey));
    EXPECT_GE(version, h.min_version());
    EXPECT_LE(version, h.max_version());
    Result<std::optional<Bytes>> out = testing::RunHandler(h, body, version, blocking_);
    Resp resp;
    EXPECT_TRUE(out.ok() && out->has_value()) << out.status().ToString();
    if (!out.ok() || !out->has_value()) return resp;
    Status dec = DecodeExact(ByteView(**out), version, resp);
    EXPECT_TRUE(dec.ok()) << dec.ToString();
    return resp;
  }

  JoinGroupResponse Join(const std::string& group, const std::string& member, int16_t version,
                         std::optional<std::string> instance = std::nullopt) {
    JoinGroupRequest req;
    req.group_id = group;
    req.member_id = member;
    req.session_timeout_ms = 10'000;
    req.rebalance_timeout_ms = 10'000;
    req.group_instance_id = std::move(instance);
    req.protocol_type = "consumer";
    req.protocols = {
        {"range", Bytes{0, 1, 0, 0, 0, 1, 0, 6, 'o', 'r', 'd', 'e', 'r', 's', 0, 0, 0, 0}}};
    return Call<JoinGroupResponse>(req, version);
  }

  SyncGroupResponse Sync(const std::string& group, const std::string& member, int32_t generation,
                         int16_t version, Bytes assignment) {
    SyncGroupRequest req;
    req.group_id = group;
    req.member_id = member;
    req.generation_id = generation;
    if (version >= 5) {
      req.protocol_type = "consumer";
      req.protocol_name = "range";
    }
    req.assignments = {{member, std::move(assignment)}};
    return Call<SyncGroupResponse>(req, version);
  }

  // One member through join and sync at the given versions: returns its id.
  std::string FormGroup(const std::string& group, int16_t join_version, int16_t sync_version) {
    JoinGroupResponse j = Join(group, "", join_version);
    if (join_version >= 4) {
      EXPECT_EQ(j.error_code, E(KafkaError::kMemberIdRequired));
      j = Join(group, j.member_id, join_version);
    }
    EXPECT_EQ(j.error_code, 0);
    EXPECT_EQ(j.leader, j.member_id);
    EXPECT_EQ(j.members.size(), 1u);
    SyncGroupResponse s = Sync(group, j.member_id, j.generation_id, sync_version, Bytes{4, 2});
    EXPECT_EQ(s.error_code, 0);
    EXPECT_EQ(s.assignment, (Bytes{4, 2}));
    return j.member_id;
  }

  BlockingExecutor blocking_{2};
  std::unique_ptr<SqliteMetadataStore> store_;
  std::unique_ptr<group::GroupCoordinator> coordinator_;
  std::map<ApiKey, std::unique_ptr<Handler>> handlers_;
};

TEST_F(GroupHandlersTest, AdvertisesKafka30Maxima) {
  std::map<ApiKey, int16_t> want = {
      {ApiKey::kFindCoordinator, 4}, {ApiKey::kJoinGroup, 7},   {ApiKey::kSyncGroup, 5},
      {ApiKey::kHeartbeat, 4},       {ApiKey::kLeaveGroup, 4},  {ApiKey::kOffsetCommit, 8},
      {ApiKey::kOffsetFetch, 8},     {ApiKey::kListGroups, 4},  {ApiKey::kDescribeGroups, 5},
      {ApiKey::kDeleteGroups, 2},    {ApiKey::kOffsetDelete, 0}};
  ASSERT_EQ(handlers_.size(), want.size());
  for (const auto& [key, max] : want) {
    EXPECT_EQ(handlers_.at(key)->max_version(), max) << static_cast<int>(key);
    EXPECT_EQ(handlers_.at(key)->min_version(), 0);
  }
}

TEST_F(GroupHandlersTest, FindCoordinatorSingleAndBatched) {
  FindCoordinatorRequest req;
  req.key = "g";
  for (int16_t v : {0, 3}) {
    auto resp = Call<FindCoordinatorResponse>(req, v);
    EXPECT_EQ(resp.error_code, 0);
    EXPECT_EQ(resp.node_id, 7);
    EXPECT_EQ(resp.host, "agent.example");
    EXPECT_EQ(resp.port, 19092);
  }
  req.coordinator_keys = {"a", "b", ""};
  auto batched = Call<FindCoordinatorResponse>(req, 4);
  ASSERT_EQ(batched.coordinators.size(), 3u);
  EXPECT_EQ(batched.coordinators[1].key, "b");
  EXPECT_EQ(batched.coordinators[1].node_id, 7);
  EXPECT_EQ(batched.coordinators[2].error_code, E(KafkaError::kInvalidRequest));
  req.key_type = 1;
  EXPECT_EQ(Call<FindCoordinatorResponse>(req, 1).error_code,
            E(KafkaError::kCoordinatorNotAvailable));
}

TEST_F(GroupHandlersTest, JoinSyncHeartbeatLeaveAcrossVersions) {
  struct Versions {
    int16_t join, sync, heartbeat, leave;
  };
  for (Versions v :
       {Versions{0, 0, 0, 0}, Versions{3, 2, 2, 2}, Versions{4, 3, 3, 3}, Versions{7, 5, 4, 4}}) {
    std::string group = "g" + std::to_string(v.join);
    std::string member = FormGroup(group, v.join, v.sync);
    HeartbeatRequest hb;
    hb.group_id = group;
    hb.member_id = member;
    hb.generation_id = 1;
    EXPECT_EQ(Call<HeartbeatResponse>(hb, v.heartbeat).error_code, 0);
    hb.generation_id = 2;
    EXPECT_EQ(Call<HeartbeatResponse>(hb, v.heartbeat).error_code,
              E(KafkaError::kIllegalGeneration));
    LeaveGroupRequest leave;
    leave.group_id = group;
    if (v.leave >= 3) {
      leave.members = {{member, std::nullopt, std::nullopt}, {"ghost", std::nullopt, std::nullopt}};
      auto resp = Call<LeaveGroupResponse>(leave, v.leave);
      EXPECT_EQ(resp.error_code, 0);
      ASSERT_EQ(resp.members.size(), 2u);
      EXPECT_EQ(resp.members[0].error_code, 0);
      EXPECT_EQ(resp.members[1].error_code, E(KafkaError::kUnknownMemberId));
    } else {
      leave.member_id = member;
      EXPECT_EQ(Call<LeaveGroupResponse>(leave, v.leave).error_code, 0);
      EXPECT_EQ(Call<LeaveGroupResponse>(leave, v.leave).error_code,
                E(KafkaError::kUnknownMemberId));
    }
    hb.generation_id = 1;
    EXPECT_EQ(Call<HeartbeatResponse>(hb, v.heartbeat).error_code, E(KafkaError::kUnknownMemberId));
  }
}

TEST_F(GroupHandlersTest, CommitAndFetchOffsetsWithMetadata) {
  std::string member = FormGroup("c", 5, 4);
  OffsetCommitRequest commit;
  commit.group_id = "c";
  commit.member_id = member;
  commit.generation_id_or_member_epoch = 1;
  commit.topics = {
      {"orders", {{0, 42, -1, -1, "note-0"}, {1, 7, -1, -1, std::nullopt}, {9, 1, -1, -1, ""}}},
      {"missing", {{0, 1, -1, -1, ""}}}};
  auto resp = Call<OffsetCommitResponse>(commit, 8);
  ASSERT_EQ(resp.topics.size(), 2u);
  EXPECT_EQ(resp.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(resp.topics[0].partitions[1].error_code, 0);
  EXPECT_EQ(resp.topics[0].partitions[2].error_code, E(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(resp.topics[1].partitions[0].error_code, E(KafkaError::kUnknownTopicOrPartition));

  commit.generation_id_or_member_epoch = 3;
  EXPECT_EQ(Call<OffsetCommitResponse>(commit, 2).topics[0].partitions[0].error_code,
            E(KafkaError::kIllegalGeneration));

  OffsetFetchRequest fetch;
  fetch.group_id = "c";
  fetch.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{{"orders", {0, 1, 2}}};
  for (int16_t v : {1, 5, 7}) {
    auto f = Call<OffsetFetchResponse>(fetch, v);
    ASSERT_EQ(f.topics.size(), 1u);
    ASSERT_EQ(f.topics[0].partitions.size(), 3u);
    EXPECT_EQ(f.topics[0].partitions[0].committed_offset, 42);
    EXPECT_EQ(f.topics[0].partitions[0].metadata, "note-0");
    EXPECT_EQ(f.topics[0].partitions[1].committed_offset, 7);
    EXPECT_EQ(f.topics[0].partitions[2].committed_offset, -1) << "no commit: -1";
  }
  fetch.topics = std::nullopt;  // v2+: everything committed
  EXPECT_EQ(Call<OffsetFetchResponse>(fetch, 3).topics[0].partitions.size(), 2u);

  OffsetFetchRequest multi;
  multi.groups = {{"c", std::nullopt, -1, std::nullopt},
                  {"nobody", std::nullopt, -1, std::nullopt}};
  auto m = Call<OffsetFetchResponse>(multi, 8);
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.groups[0].topics.at(0).partitions.size(), 2u);
  EXPECT_TRUE(m.groups[1].topics.empty());
}

TEST_F(GroupHandlersTest, CommittedOffsetsKeepTheirLeaderEpoch) {
  OffsetCommitRequest commit;
  commit.group_id = "epochs";
  commit.topics = {{"orders", {{0, 42, 5, -1, "m"}, {1, 7, -1, -1, ""}}}};
  auto resp = Call<OffsetCommitResponse>(commit, 8);
  ASSERT_EQ(resp.topics.at(0).partitions.size(), 2u);
  EXPECT_EQ(resp.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(resp.topics[0].partitions[1].error_code, 0);

  OffsetFetchRequest multi;
  multi.groups = {{"epochs", std::nullopt, -1,
                   std::vector<OffsetFetchRequest::OffsetFetchRequestTopics>{{"orders", {0, 1}}}}};
  auto m = Call<OffsetFetchResponse>(multi, 8);
  ASSERT_EQ(m.groups.size(), 1u);
  ASSERT_EQ(m.groups[0].topics.size(), 1u);
  ASSERT_EQ(m.groups[0].topics[0].partitions.size(), 2u);
  EXPECT_EQ(m.groups[0].topics[0].partitions[0].committed_offset, 42);
  EXPECT_EQ(m.groups[0].topics[0].partitions[0].committed_leader_epoch, 5);
  EXPECT_EQ(m.groups[0].topics[0].partitions[1].committed_leader_epoch, -1);

  OffsetFetchRequest single;  // v5-v7 carry the epoch too
  single.group_id = "epochs";
  single.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{{"orders", {0}}};
  for (int16_t v : {5, 7}) {
    auto f = Call<OffsetFetchResponse>(single, v);
    ASSERT_EQ(f.topics.at(0).partitions.size(), 1u);
    EXPECT_EQ(f.topics[0].partitions[0].committed_leader_epoch, 5) << "v" << v;
  }
  single.topics = std::nullopt;  // everything committed
  auto all = Call<OffsetFetchResponse>(single, 6);
  ASSERT_EQ(all.topics.at(0).partitions.size(), 2u);
  EXPECT_EQ(all.topics[0].partitions[0].committed_leader_epoch, 5);

  // v5 has no epoch field: the epoch set here is not sent, and the commit
  // replaces the stored one with unknown.
  commit.topics = {{"orders", {{0, 50, 9, -1, ""}}}};
  EXPECT_EQ(Call<OffsetCommitResponse>(commit, 5).topics.at(0).partitions.at(0).error_code, 0);
  m = Call<OffsetFetchResponse>(multi, 8);
  ASSERT_EQ(m.groups.at(0).topics.at(0).partitions.size(), 2u);
  EXPECT_EQ(m.groups[0].topics[0].partitions[0].committed_offset, 50);
  EXPECT_EQ(m.groups[0].topics[0].partitions[0].committed_leader_epoch, -1);
  // The store holds what was answered.
  auto stored = store_->FetchOffsets("epochs");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->at(0).leader_epoch, -1);
  commit.topics = {{"orders", {{1, 8, 3, -1, ""}}}};
  EXPECT_EQ(Call<OffsetCommitResponse>(commit, 6).topics.at(0).partitions.at(0).error_code, 0);
  stored = store_->FetchOffsets("epochs");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->at(1).leader_epoch, 3);
}

TEST_F(GroupHandlersTest, StandaloneCommitNeedsNoMembership) {
  OffsetCommitRequest commit;
  commit.group_id = "simple";
  commit.topics = {{"orders", {{2, 100, -1, -1, "m"}}}};
  EXPECT_EQ(Call<OffsetCommitResponse>(commit, 0).topics[0].partitions[0].error_code, 0);
  OffsetFetchRequest fetch;
  fetch.group_id = "simple";
  fetch.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{{"orders", {2}}};
  EXPECT_EQ(Call<OffsetFetchResponse>(fetch, 0).topics[0].partitions[0].committed_offset, 100);
}

TEST_F(GroupHandlersTest, ListDescribeDeleteAndOffsetDelete) {
  std::string member = FormGroup("live", 7, 5);
  OffsetCommitRequest commit;
  commit.group_id = "stored";
  commit.topics = {{"orders", {{0, 1, -1, -1, ""}}}};
  Call<OffsetCommitResponse>(commit, 8);

  auto listed = Call<ListGroupsResponse>(ListGroupsRequest{}, 0);
  std::map<std::string, std::string> states;
  for (const auto& g : listed.groups) states[g.group_id] = g.group_state;
  EXPECT_EQ(listed.groups.size(), 2u);
  ListGroupsRequest only_stable;
  only_stable.states_filter = {"stable"};
  auto filtered = Call<ListGroupsResponse>(only_stable, 4);
  ASSERT_EQ(filtered.groups.size(), 1u);
  EXPECT_EQ(filtered.groups[0].group_id, "live");

  DescribeGroupsRequest describe;
  describe.groups = {"live", "stored", "nothing"};
  for (int16_t v : {0, 5}) {
    auto d = Call<DescribeGroupsResponse>(describe, v);
    ASSERT_EQ(d.groups.size(), 3u);
    EXPECT_EQ(d.groups[0].group_state, "Stable");
    EXPECT_EQ(d.groups[0].protocol_data, "range");
    ASSERT_EQ(d.groups[0].members.size(), 1u);
    EXPECT_EQ(d.groups[0].members[0].member_assignment, (Bytes{4, 2}));
    EXPECT_EQ(d.groups[0].members[0].client_id, "test-client");
    EXPECT_EQ(d.groups[1].group_state, "Empty");
    EXPECT_EQ(d.groups[2].group_state, "Dead");
  }

  OffsetDeleteRequest od;
  od.group_id = "live";
  od.topics = {{"orders", {{0}}}};
  auto odr = Call<OffsetDeleteResponse>(od, 0);
  EXPECT_EQ(odr.topics.at(0).partitions.at(0).error_code, E(KafkaError::kGroupSubscribedToTopic));
  od.group_id = "stored";
  EXPECT_EQ(Call<OffsetDeleteResponse>(od, 0).topics.at(0).partitions.at(0).error_code, 0);
  od.group_id = "never";
  EXPECT_EQ(Call<OffsetDeleteResponse>(od, 0).error_code, E(KafkaError::kGroupIdNotFound));

  DeleteGroupsRequest del;
  del.groups_names = {"live", "stored", "never"};
  auto dr = Call<DeleteGroupsResponse>(del, 2);
  ASSERT_EQ(dr.results.size(), 3u);
  EXPECT_EQ(dr.results[0].error_code, E(KafkaError::kNonEmptyGroup));
  EXPECT_EQ(dr.results[1].error_code, 0);
  EXPECT_EQ(dr.results[2].error_code, E(KafkaError::kGroupIdNotFound));
  EXPECT_EQ(store_->GetGroup("stored").status().code(), ErrorCode::kNotFound);
  (void)member;
}

}  // namespace
}  // namespace sh::kafka
