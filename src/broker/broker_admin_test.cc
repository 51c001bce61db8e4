// Topics, partitions and topic configs.
#include <algorithm>

#include "broker/broker_test_util.h"
#include "metadata/topic_config.h"

namespace sh::broker {
namespace {

std::map<std::string, ConfigEntry> ByName(const std::vector<ConfigEntry>& entries) {
  std::map<std::string, ConfigEntry> out;
  for (const auto& e : entries) out[e.name] = e;
  return out;
}

TEST_F(BrokerTest, AutoCreateOn) {
  options_.default_partitions = 3;
  OpenBroker();
  auto t = broker_->GetOrCreateTopic("fresh");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->partition_count, 3);
  EXPECT_TRUE(broker_->GetTopic("fresh").ok());
  EXPECT_EQ(broker_->GetOrCreateTopic("fresh")->partition_count, 3);  // idempotent
  EXPECT_EQ(broker_->GetOrCreateTopic("bad name!").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(BrokerTest, AutoCreateOff) {
  options_.auto_create_topics = false;
  OpenBroker();
  EXPECT_EQ(broker_->GetOrCreateTopic("fresh").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(broker_->GetTopic("fresh").status().code(), ErrorCode::kNotFound);
}

TEST_F(BrokerTest, CreateTopicChecksAndValidateOnly) {
  OpenBroker();
  EXPECT_TRUE(broker_->CreateTopic("v", 4, {{"retention.ms", "1000"}}, true).ok());
  EXPECT_EQ(broker_->GetTopic("v").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(broker_->CreateTopic("v", -1, {{"retention.ms", "1000"}}, false).ok());
  EXPECT_EQ(broker_->GetTopic("v")->partition_count, options_.default_partitions);
  EXPECT_EQ(broker_->CreateTopic("v", 1, {}, false).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(broker_->CreateTopic("v", 1, {}, true).code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(broker_->CreateTopic("..", 1, {}, false).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreateTopic("", 1, {}, false).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreateTopic("z", 0, {}, false).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreateTopic("z", 1 << 30, {}, false).code(), ErrorCode::kInvalidArgument);
  Status s = broker_->CreateTopic("z", 1, {{"no.such.config", "1"}}, false);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no.such.config"), std::string::npos);
  s = broker_->CreateTopic("z", 1, {{"segment.bytes", "abc"}}, false);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("segment.bytes"), std::string::npos);
  EXPECT_EQ(broker_->GetTopic("z").status().code(), ErrorCode::kNotFound);
  auto topics = broker_->ListTopics();
  ASSERT_TRUE(topics.ok());
  ASSERT_EQ(topics->size(), 1u);
  EXPECT_EQ((*topics)[0].name, "v");
}

TEST_F(BrokerTest, DeleteTopicRemovesMetadataAndObjects) {
  OpenBroker();
  CreateTopic("gone", 2);
  CreateTopic("gone.not", 1);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(broker_->Produce("gone", i % 2, MakeBatch(5, i, 1, 300)).ok());
    ASSERT_TRUE(broker_->Produce("gone.not", 0, MakeBatch(5, i, 1, 300)).ok());
  }
  ASSERT_TRUE(broker_->Stop().ok());
  ASSERT_FALSE(memory_.List("topics/gone/")->empty());
  size_t others = memory_.List("topics/gone.not/")->size();
  ASSERT_GT(others, 0u);
  // Warm the cache so that erasing it matters.
  ASSERT_TRUE(broker_->Fetch("gone", 0, 0, 1 << 20).ok());

  ASSERT_TRUE(broker_->DeleteTopic("gone").ok());
  EXPECT_EQ(broker_->GetTopic("gone").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(memory_.List("topics/gone/")->empty());
  EXPECT_EQ(memory_.List("topics/gone.not/")->size(), others);
  EXPECT_EQ(broker_->DeleteTopic("gone").code(), ErrorCode::kNotFound);
  EXPECT_EQ(broker_->Produce("gone", 0, MakeBatch(1, 1)).status().code(), ErrorCode::kNotFound);

  // Re-created, it starts empty at offset 0.
  CreateTopic("gone", 1);
  auto r = broker_->Produce("gone", 0, MakeBatch(2, 1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_offset, 0);
  EXPECT_EQ(Decode(FetchAll(*broker_, "gone", 0, 0)).size(), 2u);
}

TEST_F(BrokerTest, CreatePartitionsGrowsOnly) {
  OpenBroker();
  CreateTopic("t", 2);
  EXPECT_EQ(broker_->CreatePartitions("t", 2, false).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreatePartitions("t", 1, false).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(broker_->CreatePartitions("nope", 3, false).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(broker_->CreatePartitions("t", 5, true).ok());
  EXPECT_EQ(broker_->GetTopic("t")->partition_count, 2);
  EXPECT_EQ(broker_->Produce("t", 4, MakeBatch(1, 1)).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(broker_->CreatePartitions("t", 5, false).ok());
  EXPECT_EQ(broker_->GetTopic("t")->partition_count, 5);
  EXPECT_TRUE(broker_->Produce("t", 4, MakeBatch(1, 1)).ok());
}

TEST_F(BrokerTest, DescribeShowsEveryConfigWithDefaults) {
  OpenBroker();
  CreateTopic("t", 1, {{"retention.ms", "5000"}, {"segment.bytes", "2048"}});
  auto entries = broker_->DescribeTopicConfig("t");
  ASSERT_TRUE(entries.ok());
  auto by = ByName(*entries);
  for (const char* name :
       {"retention.ms", "retention.bytes", "segment.bytes", "segment.ms", "max.message.bytes",
        "message.timestamp.type", "cleanup.policy", "segment.codec"}) {
    EXPECT_TRUE(by.count(name)) << name;
  }
  EXPECT_EQ(by["retention.ms"].value, "5000");
  EXPECT_FALSE(by["retention.ms"].is_default);
  EXPECT_EQ(by["max.message.bytes"].value, std::to_string(options_.max_message_bytes));
  EXPECT_TRUE(by["max.message.bytes"].is_default);
  EXPECT_EQ(by["message.timestamp.type"].value, "CreateTime");
  EXPECT_EQ(by["cleanup.policy"].value, "delete");
  EXPECT_EQ(by["segment.codec"].value, "lz4");
  EXPECT_EQ(broker_->DescribeTopicConfig("nope").status().code(), ErrorCode::kNotFound);
}

TEST_F(BrokerTest, AlterConfigFullIncrementalAndValidateOnly) {
  OpenBroker();
  CreateTopic("t", 1, {{"retention.ms", "5000"}, {"segment.bytes", "2048"}});
  auto value = [&](const std::string& name) {
    return ByName(*broker_->DescribeTopicConfig("t"))[name];
  };
  // validate_only changes nothing.
  ASSERT_TRUE(broker_->AlterTopicConfig("t", {{"retention.ms", "1"}}, {}, true, true).ok());
  EXPECT_EQ(value("retention.ms").value, "5000");
  // Incremental: set one, remove one, keep the rest.
  ASSERT_TRUE(
      broker_->AlterTopicConfig("t", {{"retention.bytes", "999"}}, {"retention.ms"}, true, false)
          .ok());
  EXPECT_EQ(value("retention.bytes").value, "999");
  EXPECT_TRUE(value("retention.ms").is_default);
  EXPECT_EQ(value("segment.bytes").value, "2048");
  // Full: exactly the new set.
  ASSERT_TRUE(
      broker_->AlterTopicConfig("t", {{"cleanup.policy", "compact"}}, {}, false, false).ok());
  EXPECT_EQ(value("cleanup.policy").value, "compact");
  EXPECT_TRUE(value("segment.bytes").is_default);
  EXPECT_TRUE(value("retention.bytes").is_default);
  // Bad names and values are rejected and change nothing.
  Status s = broker_->AlterTopicConfig("t", {{"bogus", "1"}}, {}, true, false);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bogus"), std::string::npos);
  s = broker_->AlterTopicConfig("t", {{"message.timestamp.type", "Whenever"}}, {}, false, false);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("message.timestamp.type"), std::string::npos);
  EXPECT_EQ(broker_->AlterTopicConfig("t", {}, {"bogus"}, true, false).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(value("cleanup.policy").value, "compact");
  EXPECT_EQ(broker_->AlterTopicConfig("nope", {}, {}, true, false).code(), ErrorCode::kNotFound);
}

TEST_F(BrokerTest, AlteredSegmentBytesAppliesToALiveLeader) {
  OpenBroker();
  CreateTopic("t", 1, {{"segment.bytes", "1000000"}});
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(5, 1, 1, 300)).ok());
  EXPECT_TRUE(Segments("t").empty());
  ASSERT_TRUE(broker_->AlterTopicConfig("t", {{"segment.bytes", "2048"}}, {}, true, false).ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(5, 1, 1, 300)).ok());
  ASSERT_TRUE(broker_->SealFullTails().ok());
  EXPECT_GE(Segments("t").size(), 3u);
  EXPECT_EQ(Decode(FetchAll(*broker_, "t", 0, 0)).size(), 35u);
}

TEST_F(BrokerTest, AlteredTimestampTypeAndMaxBytesApplyAtOnce) {
  OpenBroker();
  CreateTopic("t");
  Bytes batch = MakeBatch(2, 1000, 1, 200);
  ASSERT_TRUE(broker_->Produce("t", 0, batch).ok());
  ASSERT_TRUE(broker_
                  ->AlterTopicConfig("t",
                                     {{"message.timestamp.type", "LogAppendTime"},
                                      {"max.message.bytes", std::to_string(batch.size())}},
                                     {}, true, false)
                  .ok());
  auto r = broker_->Produce("t", 0, batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->log_append_time_ms, clock_.NowMs());
  Bytes bigger = MakeBatch(2, 1000, 1, 201);
  EXPECT_EQ(broker_->Produce("t", 0, bigger).status().code(), ErrorCode::kTooLarge);
}

TEST_F(BrokerTest, UnknownConfigsStoredByAnotherToolDoNotBreakATopic) {
  OpenBroker();
  TopicInfo info;
  info.name = "other";
  info.partition_count = 1;
  info.config_json = EncodeTopicConfig({{"compression.type", "lz4"}, {"segment.ms", "77"}});
  ASSERT_TRUE(metadata_->CreateTopic(info).ok());
  EXPECT_TRUE(broker_->Produce("other", 0, MakeBatch(2, 1)).ok());
  auto by = ByName(*broker_->DescribeTopicConfig("other"));
  EXPECT_EQ(by["segment.ms"].value, "77");
  EXPECT_FALSE(by.count("compression.type"));
  EXPECT_TRUE(broker_->AlterTopicConfig("other", {{"retention.ms", "5"}}, {}, true, false).ok());
  EXPECT_EQ(
      broker_->AlterTopicConfig("other", {{"compression.type", "zstd"}}, {}, true, false).code(),
      ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sh::broker
