#include "metadata/topic_config.h"

#include <gtest/gtest.h>

#include "metadata/metadata_store.h"

namespace sh {
namespace {

TEST(TopicConfigTest, ParsesFlatObjects) {
  auto c = ParseTopicConfig(R"( { "segment.bytes" : "1048576" , "cleanup.policy":"delete" } )");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, (TopicConfig{{"segment.bytes", "1048576"}, {"cleanup.policy", "delete"}}));
  EXPECT_TRUE(ParseTopicConfig("{}")->empty());
  EXPECT_EQ(ParseTopicConfig(R"({"a":"1","a":"2"})")->at("a"), "2");
}

TEST(TopicConfigTest, DecodesEscapes) {
  auto c = ParseTopicConfig(R"({"k":"q\"b\\s\/n\nt\tu\u00e9\ud83d\ude00"})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->at("k"), "q\"b\\s/n\nt\tu\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(TopicConfigTest, RejectsWhatIsNotAFlatStringMap) {
  for (const char* bad :
       {"", "[]", "{", "}", R"({"a":1})", R"({"a":{"b":"c"}})", R"({"a":"b",})", R"({"a" "b"})",
        R"({"a":"b"} x)", R"({"a":"\q"})", R"({"a":"\u12"})", R"({"a":"\ud800"})",
        R"({"a":"\udc00"})", "{\"a\":\"line\nbreak\"}", R"({"a":"unterminated)", "null"}) {
    auto c = ParseTopicConfig(bad);
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument) << bad;
    }
  }
}

TEST(TopicConfigTest, EncodesCanonicallyAndRoundTrips) {
  TopicConfig c{{"z", "1"}, {"a", "x\"y\\z\n\x01"}};
  std::string json = EncodeTopicConfig(c);
  EXPECT_EQ(json, "{\"a\":\"x\\\"y\\\\z\\n\\u0001\",\"z\":\"1\"}");
  EXPECT_EQ(*ParseTopicConfig(json), c);
  EXPECT_EQ(EncodeTopicConfig({}), "{}");
  EXPECT_EQ(*CanonicalTopicConfig(R"({ "b":"2", "a":"1" })"), R"({"a":"1","b":"2"})");
}

TEST(TopicNameTest, FollowsKafkaRules) {
  EXPECT_TRUE(IsValidTopicName("orders"));
  EXPECT_TRUE(IsValidTopicName("a.b_c-D9"));
  EXPECT_TRUE(IsValidTopicName(std::string(249, 'a')));
  EXPECT_FALSE(IsValidTopicName(std::string(250, 'a')));
  EXPECT_FALSE(IsValidTopicName(""));
  EXPECT_FALSE(IsValidTopicName("."));
  EXPECT_FALSE(IsValidTopicName(".."));
  EXPECT_TRUE(IsValidTopicName("..."));
  EXPECT_FALSE(IsValidTopicName("a b"));
  EXPECT_FALSE(IsValidTopicName("a/b"));
  EXPECT_FALSE(IsValidTopicName(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace sh
