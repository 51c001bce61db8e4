// The partition handlers with several agents: Metadata, Produce, Fetch,
// ListOffsets, DeleteRecords and OffsetForLeaderEpoch built by MakeHandlers
// over a FakeClusterView of three agents (this one is node 1), answering
// against a real Broker (SQLite in memory, objects in memory).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "broker/broker.h"
#include "kafka/protocol/generated/delete_records.h"
#include "kafka/protocol/generated/fetch.h"
#include "kafka/protocol/generated/list_offsets.h"
#include "kafka/protocol/generated/metadata.h"
#include "kafka/protocol/generated/offset_for_leader_epoch.h"
#include "kafka/protocol/generated/produce.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/fake_cluster_view.h"
#include "kafka/server/handlers/handler_test_util.h"
#include "kafka/server/handlers/handlers.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/memory_object_store.h"
#include "records/record_batch.h"

namespace sh::kafka {
namespace {

constexpr int32_t kSelf = 1;
constexpr int32_t kHereEpoch = 4;   // t/0, led here
constexpr int32_t kOtherEpoch = 7;  // t/1, led by node 2
int16_t E(KafkaError e) { return Code(e); }

class ClusterPartitionHandlersTest : public ::testing::Test {
 protected:
  ClusterPartitionHandlersTest()
      : view_(kSelf, {{1, "a1.test", 9001, "zone-a"},
                      {2, "a2.test", 9002, "zone-b"},
                      {3, "a3.test", 9003, ""}}) {}

  void SetUp() override {
    metadata_ = SqliteMetadataStore::Open(":memory:").value();
    broker::BrokerOptions opts;
    opts.node_id = kSelf;
    opts.default_partitions = 2;
    broker_ = broker::Broker::Open(opts, *metadata_, store_, *SystemClock::Get()).value();
    ASSERT_TRUE(broker_->Start().ok());
    ASSERT_TRUE(broker_->CreateTopic("t", 3, {}, false).ok());
    ASSERT_TRUE(broker_->CreateTopic("u", 1, {}, false).ok());
    view_.SetLeader("t", 0, kSelf, kHereEpoch);
    view_.SetLeader("t", 1, 2, kOtherEpoch);
    view_.SetLeader("t", 2, -1, -1);
    HandlerOptions options;
    options.node_id = 99;  // ignored: the view says who this agent is
    options.cluster = &view_;
    for (auto& h : MakeHandlers(*broker_, options)) handlers_[h->api_key()] = std::move(h);
  }
  void TearDown() override {
    handlers_.clear();
    if (broker_) {
      EXPECT_TRUE(broker_->Stop().ok());
    }
  }

  template <typename Resp, typename Req>
  Resp Call(const Req& req, int16_t version) {
    return testing::CallDecoded<Resp>(*handlers_.at(static_cast<ApiKey>(Req::kApiKey)), req,
                                      version, blocking_);
  }

  static Bytes Batch(int n) {
    records::BatchBuilder b;
    int64_t now = SystemClock::Get()->NowMs();
    for (int i = 0; i < n; ++i) b.Add("k" + std::to_string(i), "v" + std::to_string(i), now + i);
    return b.Build().value();
  }

  int64_t HighWatermark(int32_t partition) {
    return broker_->Offsets("t", partition).value().high_watermark;
  }

  // Fetches t/0 and t/1 from offset 0; current_leader_epoch for t/0.
  FetchResponse FetchBoth(int16_t version, int32_t current_epoch = -1) {
    FetchRequest req;
    req.max_wait_ms = 0;
    req.min_bytes = 1;
    req.max_bytes = 1 << 20;
    FetchRequest::FetchPartition p0;
    p0.partition = 0;
    p0.current_leader_epoch = current_epoch;
    p0.partition_max_bytes = 1 << 20;
    FetchRequest::FetchPartition p1 = p0;
    p1.partition = 1;
    p1.current_leader_epoch = -1;
    req.topics.push_back({"t", {}, {p0, p1}});
    return Call<FetchResponse>(req, version);
  }

  ListOffsetsResponse ListLatest(int16_t version, int32_t current_epoch = -1) {
    ListOffsetsRequest req;
    req.replica_id = -1;
    req.topics.push_back({"t", {{0, current_epoch, -1, 1}, {1, -1, -1, 1}}});
    return Call<ListOffsetsResponse>(req, version);
  }

  OffsetForLeaderEpochResponse EpochEnd(int16_t version, int32_t current_epoch = -1) {
    OffsetForLeaderEpochRequest req;
    req.replica_id = -1;
    req.topics.push_back({"t", {{0, current_epoch, kHereEpoch}, {1, -1, kOtherEpoch}}});
    return Call<OffsetForLeaderEpochResponse>(req, version);
  }

  testing::FakeClusterView view_;
  std::unique_ptr<SqliteMetadataStore> metadata_;
  MemoryObjectStore store_;
  std::unique_ptr<broker::Broker> broker_;
  BlockingExecutor blocking_{2};
  std::map<ApiKey, std::unique_ptr<Handler>> handlers_;
};

TEST_F(ClusterPartitionHandlersTest, MetadataListsLiveAgentsLeadersAndEpochs) {
  const int32_t broker_epoch = broker_->LeaderEpoch("u", 0).value();
  for (int16_t v : {1, 7, 9, 11}) {
    MetadataRequest req;
    req.topics = std::vector<MetadataRequest::MetadataRequestTopic>{};
    req.topics->push_back({});
    req.topics->back().name = "t";
    req.topics->push_back({});
    req.topics->back().name = "u";
    MetadataResponse resp = Call<MetadataResponse>(req, v);
    ASSERT_EQ(resp.brokers.size(), 3u) << "v" << v;
    EXPECT_EQ(resp.brokers[0].node_id, 1);
    EXPECT_EQ(resp.brokers[1].host, "a2.test");
    EXPECT_EQ(resp.brokers[1].port, 9002);
    EXPECT_EQ(resp.brokers[0].rack, std::optional<std::string>("zone-a"));
    EXPECT_EQ(resp.brokers[1].rack, std::optional<std::string>("zone-b"));
    EXPECT_EQ(resp.brokers[2].rack, std::nullopt);  // no zone: null rack
    EXPECT_EQ(resp.controller_id, kSelf);
    ASSERT_EQ(resp.topics.size(), 2u);
    const auto& t = resp.topics[0].partitions;
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0].error_code, 0);
    EXPECT_EQ(t[0].leader_id, kSelf);
    EXPECT_EQ(t[0].replica_nodes, std::vector<int32_t>{kSelf});
    EXPECT_EQ(t[0].isr_nodes, std::vector<int32_t>{kSelf});
    EXPECT_EQ(t[1].error_code, 0);
    EXPECT_EQ(t[1].leader_id, 2);
    EXPECT_EQ(t[1].replica_nodes, std::vector<int32_t>{2});
    EXPECT_EQ(t[1].isr_nodes, std::vector<int32_t>{2});
    EXPECT_EQ(t[2].error_code, E(KafkaError::kLeaderNotAvailable));
    EXPECT_EQ(t[2].leader_id, -1);
    const auto& u = resp.topics[1].partitions;
    ASSERT_EQ(u.size(), 1u);
    EXPECT_EQ(u[0].leader_id, kSelf);
    if (v >= 7) {  // leader_epoch is on the wire from v7
      EXPECT_EQ(t[0].leader_epoch, kHereEpoch);
      EXPECT_EQ(t[1].leader_epoch, kOtherEpoch);
      EXPECT_EQ(t[2].leader_epoch, -1);
      EXPECT_EQ(u[0].leader_epoch, broker_epoch);  // the view has none: the broker's
    }
  }
}

TEST_F(ClusterPartitionHandlersTest, ProduceRefusesOnlyThePartitionLedElsewhere) {
  for (int16_t v : {3, 9}) {
    ProduceRequest req;
    req.acks = -1;
    req.timeout_ms = 1000;
    req.topic_data.push_back({"t", {{0, Batch(2)}, {1, Batch(2)}, {2, Batch(2)}}});
    ProduceResponse resp = Call<ProduceResponse>(req, v);
    ASSERT_EQ(resp.responses.size(), 1u);
    const auto& parts = resp.responses[0].partition_responses;
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[0].error_code, 0) << "v" << v;
    EXPECT_GE(parts[0].base_offset, 0);
    EXPECT_EQ(parts[1].error_code, E(KafkaError::kNotLeaderOrFollower)) << "v" << v;
    EXPECT_EQ(parts[1].base_offset, -1);
    // No leader in the view: the broker decides (alone here, it accepts).
    EXPECT_EQ(parts[2].error_code, 0) << "v" << v;
  }
  EXPECT_EQ(HighWatermark(0), 4);
  EXPECT_EQ(HighWatermark(1), 0);  // never reached the broker
}

TEST_F(ClusterPartitionHandlersTest, FetchListOffsetsDeleteRecordsEpochEndPerPartition) {
  ASSERT_TRUE(broker_->Produce("t", 0, Batch(3)).ok());
  ASSERT_TRUE(broker_->Produce("t", 1, Batch(3)).ok());
  for (int16_t v : {4, 11, 12}) {
    FetchResponse f = FetchBoth(v);
    ASSERT_EQ(f.responses.size(), 1u);
    ASSERT_EQ(f.responses[0].partitions.size(), 2u);
    EXPECT_EQ(f.responses[0].partitions[0].error_code, 0) << "fetch v" << v;
    EXPECT_EQ(f.responses[0].partitions[0].high_watermark, 3);
    EXPECT_FALSE(f.responses[0].partitions[0].records.value_or(Bytes()).empty());
    EXPECT_EQ(f.responses[0].partitions[1].error_code, E(KafkaError::kNotLeaderOrFollower));
    EXPECT_TRUE(f.responses[0].partitions[1].records.value_or(Bytes()).empty());
  }
  for (int16_t v : {1, 4, 7}) {
    ListOffsetsResponse l = ListLatest(v);
    ASSERT_EQ(l.topics.size(), 1u);
    ASSERT_EQ(l.topics[0].partitions.size(), 2u);
    EXPECT_EQ(l.topics[0].partitions[0].error_code, 0) << "list v" << v;
    EXPECT_EQ(l.topics[0].partitions[0].offset, 3);
    if (v >= 4) {
      EXPECT_EQ(l.topics[0].partitions[0].leader_epoch, kHereEpoch);
    }
    EXPECT_EQ(l.topics[0].partitions[1].error_code, E(KafkaError::kNotLeaderOrFollower));
  }
  for (int16_t v : {0, 3, 4}) {
    OffsetForLeaderEpochResponse o = EpochEnd(v);
    ASSERT_EQ(o.topics.size(), 1u);
    ASSERT_EQ(o.topics[0].partitions.size(), 2u);
    EXPECT_EQ(o.topics[0].partitions[0].error_code, 0) << "epoch-end v" << v;
    EXPECT_EQ(o.topics[0].partitions[0].end_offset, 3);
    if (v >= 1) {
      EXPECT_EQ(o.topics[0].partitions[0].leader_epoch, kHereEpoch);
    }
    EXPECT_EQ(o.topics[0].partitions[1].error_code, E(KafkaError::kNotLeaderOrFollower));
  }
  DeleteRecordsRequest del;
  del.topics.push_back({"t", {{0, 1}, {1, 1}}});
  DeleteRecordsResponse d = Call<DeleteRecordsResponse>(del, 2);
  ASSERT_EQ(d.topics.size(), 1u);
  ASSERT_EQ(d.topics[0].partitions.size(), 2u);
  EXPECT_EQ(d.topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(d.topics[0].partitions[0].low_watermark, 1);
  EXPECT_EQ(d.topics[0].partitions[1].error_code, E(KafkaError::kNotLeaderOrFollower));
  EXPECT_EQ(d.topics[0].partitions[1].low_watermark, -1);
  EXPECT_EQ(broker_->Offsets("t", 1).value().log_start_offset, 0);  // untouched
}

TEST_F(ClusterPartitionHandlersTest, CurrentLeaderEpochIsCheckedAgainstTheLeaders) {
  ASSERT_TRUE(broker_->Produce("t", 0, Batch(1)).ok());
  const std::map<int32_t, KafkaError> expected = {
      {-1, KafkaError::kNone},
      {kHereEpoch, KafkaError::kNone},
      {kHereEpoch - 1, KafkaError::kFencedLeaderEpoch},
      {kHereEpoch + 1, KafkaError::kUnknownLeaderEpoch}};
  for (const auto& [epoch, error] : expected) {
    for (int16_t v : {9, 12}) {
      FetchResponse f = FetchBoth(v, epoch);
      ASSERT_EQ(f.responses.size(), 1u);
      EXPECT_EQ(f.responses[0].partitions[0].error_code, E(error))
          << "fetch v" << v << " current epoch " << epoch;
      // The other partition's answer does not depend on it.
      EXPECT_EQ(f.responses[0].partitions[1].error_code, E(KafkaError::kNotLeaderOrFollower));
    }
    ListOffsetsResponse l = ListLatest(4, epoch);
    EXPECT_EQ(l.topics.at(0).partitions.at(0).error_code, E(error)) << "list, epoch " << epoch;
    OffsetForLeaderEpochResponse o = EpochEnd(2, epoch);
    EXPECT_EQ(o.topics.at(0).partitions.at(0).error_code, E(error)) << "end, epoch " << epoch;
  }
}

}  // namespace
}  // namespace sh::kafka
