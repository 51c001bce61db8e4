// Tests of the admin handlers: each request is encoded with the generated
// codec at several versions, answered by the handler against a real Broker
// (SQLite in memory, objects in memory), and the decoded response checked,
// together with the broker state it should have changed.
#include <gtest/gtest.h>

#include <algorithm>
#include <asio.hpp>
#include <climits>
#include <cstddef>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "broker/broker.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/alter_configs_handler.h"
#include "kafka/server/handlers/create_partitions_handler.h"
#include "kafka/server/handlers/create_topics_handler.h"
#include "kafka/server/handlers/delete_records_handler.h"
#include "kafka/server/handlers/delete_topics_handler.h"
#include "kafka/server/handlers/describe_cluster_handler.h"
#include "kafka/server/handlers/describe_configs_handler.h"
#include "kafka/server/handlers/handler_test_util.h"
#include "kafka/server/handlers/incremental_alter_configs_handler.h"
#include "kafka/server/handlers/offset_for_leader_epoch_handler.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/memory_object_store.h"
#include "records/record_batch.h"

namespace sh::kafka {
namespace {

constexpr int32_t kNode = 3;  // not 0, so a hard-coded node id shows

int16_t E(KafkaError e) { return Code(e); }

class AdminHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = SqliteMetadataStore::Open(":memory:");
    ASSERT_TRUE(md.ok()) << md.status().ToString();
    metadata_ = std::move(md).value();
    broker::BrokerOptions opts;
    opts.node_id = kNode;
    opts.default_partitions = 2;
    auto b = broker::Broker::Open(opts, *metadata_, store_, *SystemClock::Get());
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    broker_ = std::move(b).value();
    ASSERT_TRUE(broker_->Start().ok());
    options_.node_id = kNode;
    options_.advertised_host = "agent-3.test";
    options_.advertised_port = 19092;
    options_.cluster_id = "cluster-for-tests";
  }
  void TearDown() override {
    if (broker_) {
      EXPECT_TRUE(broker_->Stop().ok());
    }
  }

  // Runs one request through h at `version`; the response as the client decodes it.
  template <typename Resp, typename Req>
  Resp Call(Handler& h, const Req& req, int16_t version) {
    return testing::CallDecoded<Resp>(h, req, version, blocking_, "admin-test");
  }

  Result<std::optional<Bytes>> Run(Handler& h, const Bytes& body, int16_t version) {
    return testing::RunHandler(h, body, version, blocking_, "admin-test");
  }

  void MakeTopic(const std::string& name, int32_t partitions,
                 std::map<std::string, std::string> configs = {}) {
    ASSERT_TRUE(broker_->CreateTopic(name, partitions, configs, false).ok());
  }

  // Produces n records to topic/partition; returns the high watermark.
  int64_t ProduceRecords(const std::string& topic, int32_t partition, int n) {
    // Current timestamps: records from 1970 would be due for retention at once.
    int64_t now = SystemClock::Get()->NowMs();
    records::BatchBuilder b;
    for (int i = 0; i < n; ++i) b.Add("k" + std::to_string(i), "v" + std::to_string(i), now + i);
    Result<Bytes> batch = b.Build();
    EXPECT_TRUE(batch.ok());
    EXPECT_TRUE(broker_->Produce(topic, partition, *batch).ok());
    return broker_->Offsets(topic, partition)->high_watermark;
  }

  std::map<std::string, broker::ConfigEntry> ConfigOf(const std::string& topic) {
    std::map<std::string, broker::ConfigEntry> out;
    Result<std::vector<broker::ConfigEntry>> entries = broker_->DescribeTopicConfig(topic);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    if (entries.ok()) {
      for (const auto& e : *entries) out[e.name] = e;
    }
    return out;
  }

  std::unique_ptr<SqliteMetadataStore> metadata_;
  MemoryObjectStore store_;
  std::unique_ptr<broker::Broker> broker_;
  HandlerOptions options_;
  BlockingExecutor blocking_{2};
};

// ---- version ranges ----

TEST_F(AdminHandlersTest, AdvertisesEveryCodecVersion) {
  CreateTopicsHandler ct(*broker_);
  DeleteTopicsHandler dt(*broker_);
  CreatePartitionsHandler cp(*broker_);
  DescribeConfigsHandler dc(*broker_);
  AlterConfigsHandler ac(*broker_);
  IncrementalAlterConfigsHandler iac(*broker_);
  DescribeClusterHandler dcl(*broker_, options_);
  DeleteRecordsHandler dr(*broker_);
  OffsetForLeaderEpochHandler ofle(*broker_);
  struct Want {
    Handler* h;
    ApiKey key;
    int16_t max;
  };
  for (const Want& w : std::vector<Want>{{&ct, ApiKey::kCreateTopics, 7},
                                         {&dt, ApiKey::kDeleteTopics, 6},
                                         {&cp, ApiKey::kCreatePartitions, 3},
                                         {&dc, ApiKey::kDescribeConfigs, 4},
                                         {&ac, ApiKey::kAlterConfigs, 2},
                                         {&iac, ApiKey::kIncrementalAlterConfigs, 1},
                                         {&dcl, ApiKey::kDescribeCluster, 0},
                                         {&dr, ApiKey::kDeleteRecords, 2},
                                         {&ofle, ApiKey::kOffsetForLeaderEpoch, 4}}) {
    EXPECT_EQ(w.h->api_key(), w.key);
    EXPECT_EQ(w.h->min_version(), 0);
    EXPECT_EQ(w.h->max_version(), w.max) << static_cast<int>(w.key);
  }
}

TEST_F(AdminHandlersTest, UndecodableRequestIsAnErrorNotACrash) {
  CreateTopicsHandler ct(*broker_);
  CreateTopicsRequest req;
  req.topics.push_back({"t", 1, 1, {}, {}});
  ByteWriter w;
  ASSERT_TRUE(req.Encode(w, 5).ok());
  Bytes whole = w.Take();
  Bytes truncated(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(whole.size() / 2));
  EXPECT_FALSE(Run(ct, truncated, 5).ok());
  EXPECT_FALSE(Run(ct, Bytes{0x00, 0x00, 0x00, 0x01, 0xff}, 0).ok());
  EXPECT_FALSE(broker_->GetTopic("t").ok());
}

// ---- CreateTopics ----

TEST_F(AdminHandlersTest, CreateTopicsAtEveryKindOfVersion) {
  CreateTopicsHandler h(*broker_);
  for (int16_t v : {0, 1, 4, 5, 7}) {
    std::string name = "orders-v" + std::to_string(v);
    CreateTopicsRequest req;
    req.topics.push_back({name, 3, 1, {}, {}});
    auto resp = Call<CreateTopicsResponse>(h, req, v);
    ASSERT_EQ(resp.topics.size(), 1u);
    EXPECT_EQ(resp.topics[0].name, name);
    EXPECT_EQ(resp.topics[0].error_code, 0) << "v" << v;
    Result<TopicInfo> t = broker_->GetTopic(name);
    ASSERT_TRUE(t.ok()) << "v" << v;
    EXPECT_EQ(t->partition_count, 3);
    if (v >= 5) {
      EXPECT_EQ(resp.topics[0].num_partitions, 3);
      EXPECT_EQ(resp.topics[0].replication_factor, 1);
    }
  }
}

TEST_F(AdminHandlersTest, CreateTopicsDefaultsAndConfigsInV5Response) {
  CreateTopicsHandler h(*broker_);
  CreateTopicsRequest req;
  req.topics.push_back({"defaults", -1, -1, {}, {{"retention.ms", "1000"}}});
  auto resp = Call<CreateTopicsResponse>(h, req, 7);
  ASSERT_EQ(resp.topics.size(), 1u);
  const auto& r = resp.topics[0];
  ASSERT_EQ(r.error_code, 0) << r.error_message.value_or("");
  EXPECT_EQ(r.num_partitions, 2);  // the broker default
  EXPECT_EQ(r.replication_factor, 1);
  ASSERT_TRUE(r.configs.has_value());
  std::map<std::string, CreateTopicsResponse::CreatableTopicConfigs> by_name;
  for (const auto& c : *r.configs) by_name[c.name] = c;
  ASSERT_TRUE(by_name.count("retention.ms"));
  EXPECT_EQ(by_name["retention.ms"].value, "1000");
  EXPECT_EQ(by_name["retention.ms"].config_source, kSourceDynamicTopic);
  ASSERT_TRUE(by_name.count("segment.bytes"));
  EXPECT_EQ(by_name["segment.bytes"].config_source, kSourceDefault);
  EXPECT_EQ(broker_->GetTopic("defaults")->partition_count, 2);
  EXPECT_EQ(ConfigOf("defaults")["retention.ms"].value, "1000");
}

TEST_F(AdminHandlersTest, CreateTopicsAcceptsAnyReplicationFactorAboveZero) {
  CreateTopicsHandler h(*broker_);
  CreateTopicsRequest req;
  req.topics.push_back({"rf3", 1, 3, {}, {}});
  auto resp = Call<CreateTopicsResponse>(h, req, 5);
  EXPECT_EQ(resp.topics[0].error_code, 0);
  EXPECT_EQ(resp.topics[0].replication_factor, 1);
  EXPECT_TRUE(broker_->GetTopic("rf3").ok());
}

TEST_F(AdminHandlersTest, CreateTopicsPerTopicErrors) {
  MakeTopic("exists", 1);
  CreateTopicsHandler h(*broker_);
  CreateTopicsRequest req;
  req.topics.push_back({"exists", 1, 1, {}, {}});
  req.topics.push_back({"zero-partitions", 0, 1, {}, {}});
  req.topics.push_back({"zero-rf", 1, 0, {}, {}});
  req.topics.push_back({"bad name!", 1, 1, {}, {}});
  req.topics.push_back({"bad-config", 1, 1, {}, {{"no.such.config", "1"}}});
  req.topics.push_back({"bad-value", 1, 1, {}, {{"retention.ms", "soon"}}});
  req.topics.push_back({"null-value", 1, 1, {}, {{"retention.ms", std::nullopt}}});
  req.topics.push_back({"twice", 1, 1, {}, {}});
  req.topics.push_back({"twice", 2, 1, {}, {}});
  req.topics.push_back({"fine", 1, 1, {}, {}});
  for (int16_t v : {1, 5}) {
    auto resp = Call<CreateTopicsResponse>(h, req, v);
    ASSERT_EQ(resp.topics.size(), req.topics.size());
    std::vector<int16_t> want = {
        E(KafkaError::kTopicAlreadyExists),
        E(KafkaError::kInvalidPartitions),
        E(KafkaError::kInvalidReplicationFactor),
        E(KafkaError::kInvalidTopicException),
        E(KafkaError::kInvalidConfig),
        E(KafkaError::kInvalidConfig),
        E(KafkaError::kInvalidConfig),
        E(KafkaError::kInvalidRequest),
        E(KafkaError::kInvalidRequest),
        v == 1 ? E(KafkaError::kNone) : E(KafkaError::kTopicAlreadyExists)};
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(resp.topics[i].error_code, want[i]) << "v" << v << " " << resp.topics[i].name;
      if (want[i] != 0) {
        EXPECT_FALSE(resp.topics[i].error_message.value_or("").empty()) << resp.topics[i].name;
      }
    }
  }
  EXPECT_FALSE(broker_->GetTopic("bad-config").ok());
  EXPECT_FALSE(broker_->GetTopic("twice").ok());
}

TEST_F(AdminHandlersTest, CreateTopicsValidateOnlyCreatesNothing) {
  CreateTopicsHandler h(*broker_);
  CreateTopicsRequest req;
  req.validate_only = true;
  req.topics.push_back({"dry-run", 4, 1, {}, {{"cleanup.policy", "compact"}}});
  req.topics.push_back({"dry-run-bad", 4, 1, {}, {{"cleanup.policy", "shred"}}});
  auto resp = Call<CreateTopicsResponse>(h, req, 6);
  EXPECT_EQ(resp.topics[0].error_code, 0);
  EXPECT_EQ(resp.topics[0].num_partitions, 4);
  EXPECT_EQ(resp.topics[1].error_code, E(KafkaError::kInvalidConfig));
  EXPECT_FALSE(broker_->GetTopic("dry-run").ok());
}

TEST_F(AdminHandlersTest, CreateTopicsManualAssignment) {
  CreateTopicsHandler h(*broker_);
  CreateTopicsRequest req;
  req.topics.push_back({"assigned", -1, -1, {{0, {kNode}}, {1, {kNode}}, {2, {kNode}}}, {}});
  req.topics.push_back({"elsewhere", -1, -1, {{0, {kNode + 1}}}, {}});
  req.topics.push_back({"gap", -1, -1, {{0, {kNode}}, {2, {kNode}}}, {}});
  req.topics.push_back({"both", 2, -1, {{0, {kNode}}}, {}});
  auto resp = Call<CreateTopicsResponse>(h, req, 4);
  EXPECT_EQ(resp.topics[0].error_code, 0);
  EXPECT_EQ(broker_->GetTopic("assigned")->partition_count, 3);
  EXPECT_EQ(resp.topics[1].error_code, E(KafkaError::kInvalidReplicaAssignment));
  EXPECT_EQ(resp.topics[2].error_code, E(KafkaError::kInvalidReplicaAssignment));
  EXPECT_EQ(resp.topics[3].error_code, E(KafkaError::kInvalidRequest));
}

// ---- DeleteTopics ----

TEST_F(AdminHandlersTest, DeleteTopicsByNameAtEachVersion) {
  DeleteTopicsHandler h(*broker_);
  for (int16_t v : {0, 3, 4, 5}) {
    std::string name = "gone-v" + std::to_string(v);
    MakeTopic(name, 2);
    DeleteTopicsRequest req;
    req.topic_names = {name, "never-was"};
    auto resp = Call<DeleteTopicsResponse>(h, req, v);
    ASSERT_EQ(resp.responses.size(), 2u);
    EXPECT_EQ(resp.responses[0].name, name);
    EXPECT_EQ(resp.responses[0].error_code, 0) << "v" << v;
    EXPECT_EQ(resp.responses[1].error_code, E(KafkaError::kUnknownTopicOrPartition));
    if (v >= 5) {
      EXPECT_TRUE(resp.responses[1].error_message.has_value());
    }
    EXPECT_FALSE(broker_->GetTopic(name).ok());
  }
}

TEST_F(AdminHandlersTest, DeleteTopicsV6NamesAndIds) {
  MakeTopic("by-name", 1);
  DeleteTopicsHandler h(*broker_);
  DeleteTopicsRequest req;
  Uuid id{};
  id[15] = 42;
  req.topics.push_back({"by-name", Uuid{}});
  req.topics.push_back({std::nullopt, id});
  req.topics.push_back({std::nullopt, Uuid{}});
  auto resp = Call<DeleteTopicsResponse>(h, req, 6);
  ASSERT_EQ(resp.responses.size(), 3u);
  EXPECT_EQ(resp.responses[0].error_code, 0);
  EXPECT_EQ(resp.responses[1].error_code, 100);  // UNKNOWN_TOPIC_ID
  EXPECT_EQ(resp.responses[1].topic_id, id);
  EXPECT_FALSE(resp.responses[1].name.has_value());
  EXPECT_EQ(resp.responses[2].error_code, E(KafkaError::kInvalidRequest));
  EXPECT_FALSE(broker_->GetTopic("by-name").ok());
}

TEST_F(AdminHandlersTest, DeleteTopicsNameTwiceIsInvalid) {
  MakeTopic("dup", 1);
  DeleteTopicsHandler h(*broker_);
  DeleteTopicsRequest req;
  req.topic_names = {"dup", "dup"};
  auto resp = Call<DeleteTopicsResponse>(h, req, 1);
  EXPECT_EQ(resp.responses[0].error_code, E(KafkaError::kInvalidRequest));
  EXPECT_TRUE(broker_->GetTopic("dup").ok());
}

// ---- CreatePartitions ----

TEST_F(AdminHandlersTest, CreatePartitionsGrowsTopics) {
  CreatePartitionsHandler h(*broker_);
  MakeTopic("grow", 1);
  int32_t count = 1;
  for (int16_t v : {0, 1, 2, 3}) {
    CreatePartitionsRequest req;
    req.topics.push_back({"grow", count + 1, std::nullopt});
    auto resp = Call<CreatePartitionsResponse>(h, req, v);
    ASSERT_EQ(resp.results.size(), 1u);
    EXPECT_EQ(resp.results[0].error_code, 0) << "v" << v;
    EXPECT_EQ(broker_->GetTopic("grow")->partition_count, ++count);
  }
}

TEST_F(AdminHandlersTest, CreatePartitionsErrors) {
  CreatePartitionsHandler h(*broker_);
  MakeTopic("four", 4);
  CreatePartitionsRequest req;
  req.topics.push_back({"four", 2, std::nullopt});
  req.topics.push_back({"absent", 3, std::nullopt});
  req.topics.push_back({"four", 8, std::nullopt});  // "four" twice
  auto resp = Call<CreatePartitionsResponse>(h, req, 2);
  ASSERT_EQ(resp.results.size(), 3u);
  EXPECT_EQ(resp.results[0].error_code, E(KafkaError::kInvalidRequest));
  EXPECT_EQ(resp.results[1].error_code, E(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(resp.results[2].error_code, E(KafkaError::kInvalidRequest));

  CreatePartitionsRequest shrink;
  shrink.topics.push_back({"four", 2, std::nullopt});
  resp = Call<CreatePartitionsResponse>(h, shrink, 1);
  EXPECT_EQ(resp.results[0].error_code, E(KafkaError::kInvalidPartitions));
  EXPECT_TRUE(resp.results[0].error_message.has_value());
  EXPECT_EQ(broker_->GetTopic("four")->partition_count, 4);
}

TEST_F(AdminHandlersTest, CreatePartitionsValidateOnlyAndAssignments) {
  CreatePartitionsHandler h(*broker_);
  MakeTopic("assign", 1);
  CreatePartitionsRequest dry;
  dry.validate_only = true;
  dry.topics.push_back({"assign", 5, std::nullopt});
  EXPECT_EQ(Call<CreatePartitionsResponse>(h, dry, 3).results[0].error_code, 0);
  EXPECT_EQ(broker_->GetTopic("assign")->partition_count, 1);

  CreatePartitionsRequest wrong;
  wrong.topics.push_back(
      {"assign", 3,
       std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>{{{kNode}}, {{kNode + 1}}}});
  EXPECT_EQ(Call<CreatePartitionsResponse>(h, wrong, 3).results[0].error_code,
            E(KafkaError::kInvalidReplicaAssignment));
  CreatePartitionsRequest right;
  right.topics.push_back(
      {"assign", 3,
       std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>{{{kNode}}, {{kNode}}}});
  EXPECT_EQ(Call<CreatePartitionsResponse>(h, right, 3).results[0].error_code, 0);
  EXPECT_EQ(broker_->GetTopic("assign")->partition_count, 3);
}

// ---- DescribeConfigs ----

TEST_F(AdminHandlersTest, DescribeTopicConfigsAcrossVersions) {
  MakeTopic("described", 1, {{"retention.ms", "5000"}});
  DescribeConfigsHandler h(*broker_);
  for (int16_t v : {0, 1, 3, 4}) {
    DescribeConfigsRequest req;
    req.include_synonyms = v >= 1;
    req.include_documentation = v >= 3;
    req.resources.push_back({kResourceTopic, "described", std::nullopt});
    auto resp = Call<DescribeConfigsResponse>(h, req, v);
    ASSERT_EQ(resp.results.size(), 1u);
    const auto& r = resp.results[0];
    EXPECT_EQ(r.error_code, 0) << "v" << v;
    EXPECT_EQ(r.resource_name, "described");
    std::map<std::string, DescribeConfigsResponse::DescribeConfigsResourceResult> by_name;
    for (const auto& c : r.configs) by_name[c.name] = c;
    ASSERT_TRUE(by_name.count("retention.ms")) << "v" << v;
    ASSERT_TRUE(by_name.count("cleanup.policy"));
    const auto& set = by_name["retention.ms"];
    const auto& dflt = by_name["cleanup.policy"];
    EXPECT_EQ(set.value, "5000");
    EXPECT_EQ(dflt.value, "delete");
    if (v == 0) {
      EXPECT_FALSE(set.is_default);
      EXPECT_TRUE(dflt.is_default);
    } else {
      EXPECT_EQ(set.config_source, kSourceDynamicTopic);
      EXPECT_EQ(dflt.config_source, kSourceDefault);
      // Synonyms: the topic's value, then the broker default under its broker name.
      ASSERT_EQ(set.synonyms.size(), 2u);
      EXPECT_EQ(set.synonyms[0].source, kSourceDynamicTopic);
      EXPECT_EQ(set.synonyms[1].name, "log.retention.ms");
      EXPECT_EQ(set.synonyms[1].value, std::to_string(broker_->options().retention_ms));
      ASSERT_EQ(dflt.synonyms.size(), 1u);
      EXPECT_EQ(dflt.synonyms[0].name, "log.cleanup.policy");
    }
    if (v >= 3) {
      EXPECT_EQ(set.config_type, static_cast<int8_t>(ConfigType::kLong));
      EXPECT_EQ(dflt.config_type, static_cast<int8_t>(ConfigType::kList));
      EXPECT_FALSE(set.documentation.value_or("").empty());
    }
  }
}

TEST_F(AdminHandlersTest, DescribeConfigsFiltersAndErrors) {
  MakeTopic("filtered", 1);
  DescribeConfigsHandler h(*broker_);
  DescribeConfigsRequest req;
  req.resources.push_back(
      {kResourceTopic, "filtered", std::vector<std::string>{"segment.bytes", "retention.bytes"}});
  req.resources.push_back({kResourceTopic, "missing", std::nullopt});
  req.resources.push_back({kResourceTopic, "", std::nullopt});
  req.resources.push_back({99, "x", std::nullopt});
  auto resp = Call<DescribeConfigsResponse>(h, req, 2);
  ASSERT_EQ(resp.results.size(), 4u);
  ASSERT_EQ(resp.results[0].configs.size(), 2u);
  std::vector<std::string> names = {resp.results[0].configs[0].name,
                                    resp.results[0].configs[1].name};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"retention.bytes", "segment.bytes"}));
  EXPECT_TRUE(resp.results[0].configs[0].synonyms.empty());  // not asked for
  EXPECT_EQ(resp.results[1].error_code, E(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(resp.results[2].error_code, E(KafkaError::kInvalidTopicException));
  EXPECT_EQ(resp.results[3].error_code, E(KafkaError::kInvalidRequest));
  EXPECT_EQ(resp.results[3].resource_type, 99);
}

TEST_F(AdminHandlersTest, DescribeBrokerConfigs) {
  DescribeConfigsHandler h(*broker_);
  DescribeConfigsRequest req;
  req.include_synonyms = true;
  req.resources.push_back({kResourceBroker, std::to_string(kNode), std::nullopt});
  req.resources.push_back({kResourceBroker, "", std::nullopt});
  req.resources.push_back({kResourceBroker, "99", std::nullopt});
  auto resp = Call<DescribeConfigsResponse>(h, req, 4);
  ASSERT_EQ(resp.results.size(), 3u);
  EXPECT_EQ(resp.results[0].error_code, 0);
  std::map<std::string, DescribeConfigsResponse::DescribeConfigsResourceResult> by_name;
  for (const auto& c : resp.results[0].configs) by_name[c.name] = c;
  ASSERT_TRUE(by_name.count("num.partitions"));
  EXPECT_EQ(by_name["num.partitions"].value, "2");
  EXPECT_TRUE(by_name["num.partitions"].read_only);
  EXPECT_EQ(by_name["num.partitions"].config_source, kSourceStaticBroker);
  ASSERT_TRUE(by_name.count("log.segment.bytes"));
  EXPECT_EQ(by_name["log.segment.bytes"].value, std::to_string(broker_->options().segment_bytes));
  EXPECT_EQ(by_name["broker.id"].value, std::to_string(kNode));
  EXPECT_EQ(resp.results[1].error_code, 0);
  EXPECT_TRUE(resp.results[1].configs.empty());
  EXPECT_EQ(resp.results[2].error_code, E(KafkaError::kInvalidRequest));
}

// ---- AlterConfigs ----

TEST_F(AdminHandlersTest, AlterConfigsReplacesAllTopicConfigs) {
  MakeTopic("altered", 1, {{"retention.ms", "5000"}});
  AlterConfigsHandler h(*broker_);
  for (int16_t v : {0, 1, 2}) {
    std::string segment_ms = std::to_string(60'000 + v);
    AlterConfigsRequest req;
    req.resources.push_back({kResourceTopic, "altered", {{"segment.ms", segment_ms}}});
    auto resp = Call<AlterConfigsResponse>(h, req, v);
    ASSERT_EQ(resp.responses.size(), 1u);
    EXPECT_EQ(resp.responses[0].error_code, 0) << "v" << v;
    EXPECT_EQ(resp.responses[0].resource_name, "altered");
    auto cfg = ConfigOf("altered");
    EXPECT_EQ(cfg["segment.ms"].value, segment_ms);
    EXPECT_TRUE(cfg["retention.ms"].is_default);  // left out: back to the default
  }
}

TEST_F(AdminHandlersTest, AlterConfigsErrorsAndValidateOnly) {
  MakeTopic("guarded", 1, {{"retention.ms", "5000"}});
  AlterConfigsHandler h(*broker_);
  AlterConfigsRequest req;
  req.resources.push_back({kResourceTopic, "guarded", {{"retention.ms", "forever"}}});
  req.resources.push_back({kResourceTopic, "guarded", {{"no.such", "1"}}});
  req.resources.push_back({kResourceTopic, "absent", {{"retention.ms", "1"}}});
  req.resources.push_back({kResourceBroker, std::to_string(kNode), {{"num.partitions", "3"}}});
  req.resources.push_back({kResourceTopic, "guarded", {{"retention.ms", std::nullopt}}});
  auto resp = Call<AlterConfigsResponse>(h, req, 1);
  ASSERT_EQ(resp.responses.size(), 5u);
  EXPECT_EQ(resp.responses[0].error_code, E(KafkaError::kInvalidConfig));
  EXPECT_FALSE(resp.responses[0].error_message.value_or("").empty());
  EXPECT_EQ(resp.responses[1].error_code, E(KafkaError::kInvalidConfig));
  EXPECT_EQ(resp.responses[2].error_code, E(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(resp.responses[3].error_code, E(KafkaError::kInvalidRequest));
  EXPECT_EQ(resp.responses[4].error_code, E(KafkaError::kInvalidRequest));

  AlterConfigsRequest dry;
  dry.validate_only = true;
  dry.resources.push_back({kResourceTopic, "guarded", {{"retention.ms", "7"}}});
  EXPECT_EQ(Call<AlterConfigsResponse>(h, dry, 2).responses[0].error_code, 0);
  EXPECT_EQ(ConfigOf("guarded")["retention.ms"].value, "5000");
}

// ---- IncrementalAlterConfigs ----

TEST_F(AdminHandlersTest, IncrementalAlterSetAndDelete) {
  MakeTopic("inc", 1);
  IncrementalAlterConfigsHandler h(*broker_);
  auto op = [](int8_t o) { return static_cast<int8_t>(o); };
  for (int16_t v : {0, 1}) {
    IncrementalAlterConfigsRequest set;
    set.resources.push_back({kResourceTopic, "inc", {{"retention.ms", op(0), "1234"}}});
    EXPECT_EQ(Call<IncrementalAlterConfigsResponse>(h, set, v).responses[0].error_code, 0);
    IncrementalAlterConfigsRequest set2;
    set2.resources.push_back({kResourceTopic, "inc", {{"segment.ms", op(0), "99999"}}});
    EXPECT_EQ(Call<IncrementalAlterConfigsResponse>(h, set2, v).responses[0].error_code, 0);
    auto cfg = ConfigOf("inc");
    EXPECT_EQ(cfg["retention.ms"].value, "1234");  // kept: incremental, not a replace
    EXPECT_EQ(cfg["segment.ms"].value, "99999");

    IncrementalAlterConfigsRequest del;
    del.resources.push_back({kResourceTopic, "inc", {{"retention.ms", op(1), std::nullopt}}});
    EXPECT_EQ(Call<IncrementalAlterConfigsResponse>(h, del, v).responses[0].error_code, 0);
    cfg = ConfigOf("inc");
    EXPECT_TRUE(cfg["retention.ms"].is_default) << "v" << v;
    EXPECT_EQ(cfg["segment.ms"].value, "99999");
  }
}

TEST_F(AdminHandlersTest, IncrementalAlterAppendAndSubtractLists) {
  MakeTopic("lists", 1);
  IncrementalAlterConfigsHandler h(*broker_);
  IncrementalAlterConfigsRequest append;
  append.resources.push_back({kResourceTopic, "lists", {{"cleanup.policy", 2, "compact"}}});
  auto resp = Call<IncrementalAlterConfigsResponse>(h, append, 1);
  EXPECT_EQ(resp.responses[0].error_code, 0) << resp.responses[0].error_message.value_or("");
  EXPECT_EQ(ConfigOf("lists")["cleanup.policy"].value, "delete,compact");

  IncrementalAlterConfigsRequest subtract;
  subtract.resources.push_back({kResourceTopic, "lists", {{"cleanup.policy", 3, "delete"}}});
  resp = Call<IncrementalAlterConfigsResponse>(h, subtract, 0);
  EXPECT_EQ(resp.responses[0].error_code, 0) << resp.responses[0].error_message.value_or("");
  EXPECT_EQ(ConfigOf("lists")["cleanup.policy"].value, "compact");
}

TEST_F(AdminHandlersTest, IncrementalAlterErrors) {
  MakeTopic("strict", 1);
  IncrementalAlterConfigsHandler h(*broker_);
  IncrementalAlterConfigsRequest req;
  req.resources.push_back({kResourceTopic, "strict", {{"retention.ms", 2, "5"}}});  // not a list
  req.resources.push_back({kResourceTopic, "strict", {{"retention.ms", 7, "5"}}});  // no such op
  req.resources.push_back({kResourceTopic, "strict", {{"retention.ms", 0, std::nullopt}}});
  req.resources.push_back(
      {kResourceTopic, "strict", {{"retention.ms", 0, "5"}, {"retention.ms", 1, std::nullopt}}});
  req.resources.push_back({kResourceTopic, "strict", {{"retention.ms", 0, "never"}}});
  req.resources.push_back({kResourceTopic, "strict", {{"no.such", 2, "x"}}});
  req.resources.push_back({kResourceTopic, "absent", {{"retention.ms", 0, "5"}}});
  req.resources.push_back({kResourceBroker, std::to_string(kNode), {{"num.partitions", 0, "3"}}});
  auto resp = Call<IncrementalAlterConfigsResponse>(h, req, 1);
  ASSERT_EQ(resp.responses.size(), 8u);
  std::vector<int16_t> want = {
      E(KafkaError::kInvalidRequest),          E(KafkaError::kInvalidRequest),
      E(KafkaError::kInvalidRequest),          E(KafkaError::kInvalidRequest),
      E(KafkaError::kInvalidConfig),           E(KafkaError::kInvalidConfig),
      E(KafkaError::kUnknownTopicOrPartition), E(KafkaError::kInvalidRequest)};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(resp.responses[i].error_code, want[i]) << "resource " << i;
    EXPECT_FALSE(resp.responses[i].error_message.value_or("").empty()) << "resource " << i;
  }
  EXPECT_TRUE(ConfigOf("strict")["retention.ms"].is_default);
}

TEST_F(AdminHandlersTest, IncrementalAlterValidateOnlyChangesNothing) {
  MakeTopic("dry", 1, {{"retention.ms", "5000"}});
  IncrementalAlterConfigsHandler h(*broker_);
  IncrementalAlterConfigsRequest req;
  req.validate_only = true;
  req.resources.push_back({kResourceTopic, "dry", {{"retention.ms", 1, std::nullopt}}});
  req.resources.push_back({kResourceTopic, "dry", {{"segment.bytes", 0, "tiny"}}});
  auto resp = Call<IncrementalAlterConfigsResponse>(h, req, 1);
  ASSERT_EQ(resp.responses.size(), 2u);
  EXPECT_EQ(resp.responses[0].error_code, 0);
  EXPECT_EQ(resp.responses[1].error_code, E(KafkaError::kInvalidConfig));
  EXPECT_EQ(ConfigOf("dry")["retention.ms"].value, "5000");
}

// ---- DescribeCluster ----

TEST_F(AdminHandlersTest, DescribeClusterIsThisAgent) {
  DescribeClusterHandler h(*broker_, options_);
  for (int16_t v : {0, 1}) {
    DescribeClusterRequest req;
    req.include_cluster_authorized_operations = v == 1;
    auto resp = Call<DescribeClusterResponse>(h, req, v);
    EXPECT_EQ(resp.error_code, 0);
    EXPECT_EQ(resp.cluster_id, "cluster-for-tests");
    EXPECT_EQ(resp.controller_id, kNode);
    ASSERT_EQ(resp.brokers.size(), 1u);
    EXPECT_EQ(resp.brokers[0].broker_id, kNode);
    EXPECT_EQ(resp.brokers[0].host, "agent-3.test");
    EXPECT_EQ(resp.brokers[0].port, 19092);
    if (v == 1) {
      EXPECT_NE(resp.cluster_authorized_operations, INT32_MIN);
      EXPECT_NE(resp.cluster_authorized_operations & (1 << 8), 0);  // DESCRIBE
    } else {
      EXPECT_EQ(resp.cluster_authorized_operations, INT32_MIN);
    }
  }
  DescribeClusterRequest controllers;
  controllers.endpoint_type = 2;
  auto resp = Call<DescribeClusterResponse>(h, controllers, 1);
  EXPECT_EQ(resp.error_code, 114);  // MISMATCHED_ENDPOINT_TYPE
  EXPECT_TRUE(resp.brokers.empty());
}

// ---- DeleteRecords ----

TEST_F(AdminHandlersTest, DeleteRecordsRaisesLogStart) {
  MakeTopic("trim", 2);
  ASSERT_EQ(ProduceRecords("trim", 0, 10), 10);
  ASSERT_EQ(ProduceRecords("trim", 1, 4), 4);
  DeleteRecordsHandler h(*broker_);
  int64_t to = 2;
  for (int16_t v : {0, 1, 2}) {
    DeleteRecordsRequest req;
    req.topics.push_back({"trim", {{0, to}}});
    auto resp = Call<DeleteRecordsResponse>(h, req, v);
    ASSERT_EQ(resp.topics.size(), 1u);
    ASSERT_EQ(resp.topics[0].partitions.size(), 1u);
    EXPECT_EQ(resp.topics[0].partitions[0].error_code, 0) << "v" << v;
    EXPECT_EQ(resp.topics[0].partitions[0].low_watermark, to);
    EXPECT_EQ(broker_->Offsets("trim", 0)->log_start_offset, to);
    to += 2;
  }
  DeleteRecordsRequest req;
  req.topics.push_back({"trim", {{1, -1}, {0, 11}, {0, -5}, {7, 0}}});
  req.topics.push_back({"absent", {{0, 0}}});
  auto resp = Call<DeleteRecordsResponse>(h, req, 2);
  ASSERT_EQ(resp.topics.size(), 2u);
  const auto& parts = resp.topics[0].partitions;
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].error_code, 0);
  EXPECT_EQ(parts[0].low_watermark, 4);  // -1: up to the high watermark
  EXPECT_EQ(broker_->Offsets("trim", 1)->log_start_offset, 4);
  EXPECT_EQ(parts[1].error_code, E(KafkaError::kOffsetOutOfRange));
  EXPECT_EQ(parts[1].low_watermark, -1);
  EXPECT_EQ(parts[2].error_code, E(KafkaError::kOffsetOutOfRange));
  EXPECT_EQ(parts[3].error_code, E(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(resp.topics[1].partitions[0].error_code, E(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(broker_->Offsets("trim", 0)->log_start_offset, 6);
}

// ---- OffsetForLeaderEpoch ----

TEST_F(AdminHandlersTest, OffsetForLeaderEpochAnswersHighWatermark) {
  MakeTopic("epochs", 1);
  ASSERT_EQ(ProduceRecords("epochs", 0, 7), 7);
  Result<int32_t> epoch = broker_->LeaderEpoch("epochs", 0);
  ASSERT_TRUE(epoch.ok());
  OffsetForLeaderEpochHandler h(*broker_);
  for (int16_t v : {0, 1, 2, 3, 4}) {
    OffsetForLeaderEpochRequest req;
    req.topics.push_back({"epochs", {{0, v >= 2 ? *epoch : -1, *epoch}}});
    auto resp = Call<OffsetForLeaderEpochResponse>(h, req, v);
    ASSERT_EQ(resp.topics.size(), 1u);
    ASSERT_EQ(resp.topics[0].partitions.size(), 1u);
    const auto& p = resp.topics[0].partitions[0];
    EXPECT_EQ(p.error_code, 0) << "v" << v;
    EXPECT_EQ(p.end_offset, 7);
    if (v >= 1) {
      EXPECT_EQ(p.leader_epoch, *epoch);
    }
  }
}

TEST_F(AdminHandlersTest, OffsetForLeaderEpochEpochChecks) {
  MakeTopic("fenced", 1);
  ASSERT_EQ(ProduceRecords("fenced", 0, 3), 3);
  Result<int32_t> epoch = broker_->LeaderEpoch("fenced", 0);
  ASSERT_TRUE(epoch.ok());
  OffsetForLeaderEpochHandler h(*broker_);
  OffsetForLeaderEpochRequest req;
  req.topics.push_back({"fenced",
                        {{0, -1, *epoch + 1},      // newer than ours
                         {0, *epoch + 1, *epoch},  // client knows a newer leader
                         {0, -1, -1},              // undefined epoch
                         {0, -1, *epoch - 1},      // older epoch: no truncation ever
                         {5, -1, *epoch}}});       // no such partition
  req.topics.push_back({"absent", {{0, -1, 0}}});
  auto resp = Call<OffsetForLeaderEpochResponse>(h, req, 4);
  ASSERT_EQ(resp.topics.size(), 2u);
  const auto& p = resp.topics[0].partitions;
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].error_code, E(KafkaError::kUnknownLeaderEpoch));
  EXPECT_EQ(p[1].error_code, E(KafkaError::kUnknownLeaderEpoch));
  EXPECT_EQ(p[2].error_code, 0);
  EXPECT_EQ(p[2].end_offset, -1);
  EXPECT_EQ(p[2].leader_epoch, -1);
  if (*epoch >= 1) {
    EXPECT_EQ(p[3].error_code, 0);
    EXPECT_EQ(p[3].end_offset, 3);
    EXPECT_EQ(p[3].leader_epoch, *epoch);
  }
  EXPECT_EQ(p[4].error_code, E(KafkaError::kUnknownTopicOrPartition));
  EXPECT_EQ(resp.topics[1].partitions[0].error_code, E(KafkaError::kUnknownTopicOrPartition));

  if (*epoch >= 1) {
    OffsetForLeaderEpochRequest stale;
    stale.topics.push_back({"fenced", {{0, *epoch - 1, *epoch - 1}}});
    auto r = Call<OffsetForLeaderEpochResponse>(h, stale, 3);
    EXPECT_EQ(r.topics[0].partitions[0].error_code, E(KafkaError::kFencedLeaderEpoch));
  }
}

}  // namespace
}  // namespace sh::kafka
