#include "broker/topic_settings.h"

#include <gtest/gtest.h>

namespace sh::broker {
namespace {

TEST(TopicSettingsTest, DefaultsComeFromBrokerOptions) {
  BrokerOptions o;
  o.segment_bytes = 4096;
  o.retention_ms = 77;
  o.message_timestamp_type = "LogAppendTime";
  o.segment_codec = storage::BlockCodec::kZstd;
  auto s = ResolveTopicSettings(o, TopicConfig{});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->segment_bytes, 4096);
  EXPECT_EQ(s->retention_ms, 77);
  EXPECT_EQ(s->retention_bytes, -1);
  EXPECT_EQ(s->max_message_bytes, 1048588);
  EXPECT_TRUE(s->log_append_time);
  EXPECT_TRUE(s->retention_enabled);
  EXPECT_EQ(s->codec, storage::BlockCodec::kZstd);
}

TEST(TopicSettingsTest, TopicValuesOverrideDefaults) {
  auto s = ResolveTopicSettings(BrokerOptions{}, TopicConfig{{"segment.bytes", "1024"},
                                                             {"segment.ms", "10"},
                                                             {"retention.bytes", "-1"},
                                                             {"max.message.bytes", "0"},
                                                             {"cleanup.policy", "compact"},
                                                             {"segment.codec", "none"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->segment_bytes, 1024);
  EXPECT_EQ(s->segment_ms, 10);
  EXPECT_EQ(s->max_message_bytes, 0);
  EXPECT_FALSE(s->retention_enabled);
  EXPECT_EQ(s->codec, storage::BlockCodec::kNone);
  auto w = s->WriterOptions(1234);
  EXPECT_EQ(w.segment_bytes, 1024);
  EXPECT_EQ(w.block_bytes, 1234u);
}

TEST(TopicSettingsTest, GoodValues) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"retention.ms", "-1"},
           {"retention.ms", "0"},
           {"retention.bytes", "9223372036854775807"},
           {"segment.bytes", "2147483647"},
           {"segment.ms", "1"},
           {"max.message.bytes", "2147483647"},
           {"message.timestamp.type", "CreateTime"},
           {"message.timestamp.type", "LogAppendTime"},
           {"cleanup.policy", "delete"},
           {"cleanup.policy", "compact,delete"},
           {"cleanup.policy", "delete, compact"},
           {"segment.codec", "zstd"},
       }) {
    EXPECT_TRUE(ValidateTopicConfig({{name, value}}).ok()) << name << "=" << value;
  }
}

TEST(TopicSettingsTest, BadValuesNameTheConfig) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"retention.ms", "-2"},
           {"retention.ms", "1e3"},
           {"retention.ms", ""},
           {"retention.ms", " 5"},
           {"retention.bytes", "99999999999999999999"},
           {"segment.bytes", "1023"},
           {"segment.bytes", "2147483648"},
           {"segment.ms", "0"},
           {"max.message.bytes", "-1"},
           {"message.timestamp.type", "createtime"},
           {"cleanup.policy", "remove"},
           {"cleanup.policy", ""},
           {"cleanup.policy", "delete,"},
           {"segment.codec", "gzip"},
       }) {
    Status s = ValidateTopicConfig({{name, value}});
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << name << "=" << value;
    EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
  }
  Status s = ValidateTopicConfig({{"compression.typo", "lz4"}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("compression.typo"), std::string::npos);
}

TEST(TopicSettingsTest, DescribeListsEverySupportedName) {
  auto entries = DescribeTopicSettings(BrokerOptions{}, {{"segment.ms", "10"}});
  ASSERT_EQ(entries.size(), SupportedTopicConfigNames().size());
  int overridden = 0;
  for (const auto& e : entries) {
    if (!e.is_default) {
      ++overridden;
      EXPECT_EQ(e.name, "segment.ms");
      EXPECT_EQ(e.value, "10");
    }
    EXPECT_FALSE(e.value.empty()) << e.name;
  }
  EXPECT_EQ(overridden, 1);
}

TEST(TopicSettingsTest, BadStoredJsonNamesTheTopic) {
  TopicInfo info;
  info.name = "orders";
  info.config_json = "{not json";
  auto s = ResolveTopicSettings(BrokerOptions{}, info);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("orders"), std::string::npos);
}

}  // namespace
}  // namespace sh::broker
