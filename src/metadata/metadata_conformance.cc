// Conformance tests, first half: topics, partitions, segments.
#include "metadata/metadata_conformance.h"

#include <algorithm>

#include "metadata/metadata_test_data.h"
#include "metadata/topic_config.h"

namespace sh {

std::string MetadataBackendName(const ::testing::TestParamInfo<MetadataBackend>& info) {
  return info.param.name;
}

namespace {

using metadata_test::Segment;
using metadata_test::Topic;

std::vector<int64_t> Bases(const std::vector<SegmentInfo>& segments) {
  std::vector<int64_t> out;
  for (const auto& s : segments) out.push_back(s.base_offset);
  return out;
}

TopicConfig Config(const std::string& json) {
  auto parsed = ParseTopicConfig(json);
  EXPECT_TRUE(parsed.ok()) << json;
  return parsed.ok() ? *parsed : TopicConfig{};
}

// ---- topics ----

TEST_P(MetadataConformanceTest, CreateGetAndListTopics) {
  TopicInfo created = Topic("orders", 3, R"({"segment.bytes":"1048576"})");
  created.created_at_ms = 1'700'000'000'123;
  ASSERT_TRUE(store().CreateTopic(created).ok());
  ASSERT_TRUE(store().CreateTopic(Topic("clicks", 1)).ok());

  auto orders = store().GetTopic("orders");
  ASSERT_TRUE(orders.ok()) << orders.status().ToString();
  EXPECT_EQ(orders->name, "orders");
  EXPECT_EQ(orders->partition_count, 3);
  EXPECT_EQ(orders->created_at_ms, 1'700'000'000'123);
  EXPECT_EQ(Config(orders->config_json), (TopicConfig{{"segment.bytes", "1048576"}}));

  auto topics = store().ListTopics();
  ASSERT_TRUE(topics.ok());
  ASSERT_EQ(topics->size(), 2u);
  EXPECT_EQ((*topics)[0].name, "clicks");  // sorted by name
  EXPECT_EQ((*topics)[1].name, "orders");

  auto partitions = store().ListPartitions("orders");
  ASSERT_TRUE(partitions.ok());
  ASSERT_EQ(partitions->size(), 3u);
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ((*partitions)[p].topic, "orders");
    EXPECT_EQ((*partitions)[p].partition, p);
    EXPECT_EQ((*partitions)[p].high_watermark, 0);
    EXPECT_EQ((*partitions)[p].log_start_offset, 0);
  }
}

TEST_P(MetadataConformanceTest, CreatedAtZeroIsFilledIn) {
  TopicInfo t = Topic("t", 1);
  t.created_at_ms = 0;
  ASSERT_TRUE(store().CreateTopic(t).ok());
  EXPECT_GT(store().GetTopic("t")->created_at_ms, 0);
}

TEST_P(MetadataConformanceTest, RejectsInvalidTopics) {
  for (const std::string& name :
       {std::string(), std::string("."), std::string(".."), std::string("a/b"),
        std::string("with space"), std::string("caf\xc3\xa9"), std::string(250, 'x')}) {
    Status st = store().CreateTopic(Topic(name, 1));
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << "name '" << name << "'";
  }
  EXPECT_EQ(store().CreateTopic(Topic("zero", 0)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().CreateTopic(Topic("neg", -4)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().CreateTopic(Topic("badcfg", 1, "{\"a\":1}")).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().CreateTopic(Topic("badcfg", 1, "not json")).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store().ListTopics()->empty());

  EXPECT_TRUE(store().CreateTopic(Topic(std::string(249, 'x'), 1)).ok());
  EXPECT_TRUE(store().CreateTopic(Topic("A-z_0.9", 1)).ok());
}

TEST_P(MetadataConformanceTest, DuplicateCreateIsAlreadyExists) {
  ASSERT_TRUE(store().CreateTopic(Topic("dup", 2)).ok());
  Status st = store().CreateTopic(Topic("dup", 5));
  EXPECT_EQ(st.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(st.message().find("dup"), std::string::npos) << st.message();
  EXPECT_EQ(store().GetTopic("dup")->partition_count, 2);
  EXPECT_EQ(store().ListPartitions("dup")->size(), 2u);
}

TEST_P(MetadataConformanceTest, UnknownTopicIsNotFound) {
  auto get = store().GetTopic("ghost");
  EXPECT_EQ(get.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(get.status().message().find("ghost"), std::string::npos);
  EXPECT_EQ(store().DeleteTopic("ghost").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().UpdateTopicConfig("ghost", "{}").code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().AddPartitions("ghost", 4).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().ListPartitions("ghost").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().GetPartition("ghost", 0).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().ListSegments("ghost", 0).status().code(), ErrorCode::kNotFound);
}

TEST_P(MetadataConformanceTest, UpdateTopicConfig) {
  ASSERT_TRUE(store().CreateTopic(Topic("cfg", 1, R"({"a":"1"})")).ok());
  ASSERT_TRUE(store().UpdateTopicConfig("cfg", R"({"retention.ms":"60000","b":"x\"y"})").ok());
  EXPECT_EQ(Config(store().GetTopic("cfg")->config_json),
            (TopicConfig{{"retention.ms", "60000"}, {"b", "x\"y"}}));
  EXPECT_EQ(store().UpdateTopicConfig("cfg", "[1]").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Config(store().GetTopic("cfg")->config_json).at("retention.ms"), "60000");
}

TEST_P(MetadataConformanceTest, DeleteTopicRemovesEverythingOfIt) {
  ASSERT_TRUE(store().CreateTopic(Topic("gone", 2)).ok());
  ASSERT_TRUE(store().CreateTopic(Topic("kept", 1)).ok());
  ASSERT_TRUE(store().RegisterSegment(Segment("gone", 0, 0, 10), 0).ok());
  ASSERT_TRUE(store().RegisterSegment(Segment("kept", 0, 0, 10), 0).ok());
  ASSERT_TRUE(store().AcquireLease("gone", 1, "agent-a", 1000, 5000).ok());
  ASSERT_TRUE(store().SaveProducerStates({{"gone", 0, 7, 0, 4, 9, 0}}, 0).ok());
  ASSERT_TRUE(store().CommitOffsets({{"g", "gone", 0, 5, "", 0}, {"g", "kept", 0, 3, "", 0}}).ok());

  ASSERT_TRUE(store().DeleteTopic("gone").ok());
  EXPECT_EQ(store().GetTopic("gone").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().GetPartition("gone", 0).status().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(store().GetLease("gone", 1)->has_value());
  auto offsets = store().FetchOffsets("g");
  ASSERT_TRUE(offsets.ok());
  ASSERT_EQ(offsets->size(), 1u);
  EXPECT_EQ((*offsets)[0].topic, "kept");
  EXPECT_EQ(store().ListSegments("kept", 0)->size(), 1u);

  // Re-created, it starts empty: nothing of the old topic comes back.
  ASSERT_TRUE(store().CreateTopic(Topic("gone", 2)).ok());
  EXPECT_EQ(store().GetPartition("gone", 0)->high_watermark, 0);
  EXPECT_TRUE(store().ListSegments("gone", 0)->empty());
  EXPECT_TRUE(store().LoadProducerStates("gone", 0)->empty());
  EXPECT_FALSE(store().GetLease("gone", 1)->has_value());
}

// ---- partitions ----

TEST_P(MetadataConformanceTest, AddPartitionsGrowsOnly) {
  ASSERT_TRUE(store().CreateTopic(Topic("grow", 2)).ok());
  ASSERT_TRUE(store().UpdateHighWatermark("grow", 1, 42, 0).ok());
  ASSERT_TRUE(store().AddPartitions("grow", 5).ok());
  EXPECT_EQ(store().GetTopic("grow")->partition_count, 5);
  auto partitions = store().ListPartitions("grow");
  ASSERT_TRUE(partitions.ok());
  ASSERT_EQ(partitions->size(), 5u);
  EXPECT_EQ((*partitions)[1].high_watermark, 42);
  EXPECT_EQ((*partitions)[4].partition, 4);
  EXPECT_EQ((*partitions)[4].high_watermark, 0);

  EXPECT_EQ(store().AddPartitions("grow", 5).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().AddPartitions("grow", 3).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().GetTopic("grow")->partition_count, 5);
}

TEST_P(MetadataConformanceTest, HighWatermarkNeverGoesBackwards) {
  ASSERT_TRUE(store().CreateTopic(Topic("hw", 2)).ok());
  ASSERT_TRUE(store().UpdateHighWatermark("hw", 0, 10, 0).ok());
  EXPECT_EQ(store().GetPartition("hw", 0)->high_watermark, 10);
  ASSERT_TRUE(store().UpdateHighWatermark("hw", 0, 5, 0).ok());
  EXPECT_EQ(store().GetPartition("hw", 0)->high_watermark, 10);
  ASSERT_TRUE(store().UpdateHighWatermark("hw", 0, 20, 0).ok());
  EXPECT_EQ(store().GetPartition("hw", 0)->high_watermark, 20);
  EXPECT_EQ(store().GetPartition("hw", 1)->high_watermark, 0);  // other partition untouched

  EXPECT_EQ(store().UpdateHighWatermark("hw", 0, -1, 0).code(), ErrorCode::kInvalidArgument);
  Status missing = store().UpdateHighWatermark("hw", 7, 1, 0);
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find("hw"), std::string::npos);
  EXPECT_NE(missing.message().find('7'), std::string::npos);
}

TEST_P(MetadataConformanceTest, LogStartOffsetRisesUpToHighWatermark) {
  ASSERT_TRUE(store().CreateTopic(Topic("lso", 1)).ok());
  ASSERT_TRUE(store().UpdateHighWatermark("lso", 0, 100, 0).ok());
  ASSERT_TRUE(store().UpdateLogStartOffset("lso", 0, 40).ok());
  EXPECT_EQ(store().GetPartition("lso", 0)->log_start_offset, 40);
  ASSERT_TRUE(store().UpdateLogStartOffset("lso", 0, 30).ok());
  EXPECT_EQ(store().GetPartition("lso", 0)->log_start_offset, 40);
  EXPECT_EQ(store().UpdateLogStartOffset("lso", 0, 101).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(store().GetPartition("lso", 0)->log_start_offset, 40);
  ASSERT_TRUE(store().UpdateLogStartOffset("lso", 0, 100).ok());
  EXPECT_EQ(store().GetPartition("lso", 0)->log_start_offset, 100);
  EXPECT_EQ(store().UpdateLogStartOffset("lso", 3, 0).code(), ErrorCode::kNotFound);
}

// ---- segments ----

TEST_P(MetadataConformanceTest, RegisterSegmentRoundTripsAndRaisesHighWatermark) {
  ASSERT_TRUE(store().CreateTopic(Topic("seg", 2)).ok());
  SegmentInfo s = Segment("seg", 1, 0, 10);
  ASSERT_TRUE(store().RegisterSegment(s, 0).ok());
  EXPECT_EQ(store().GetPartition("seg", 1)->high_watermark, 10);
  EXPECT_EQ(store().GetPartition("seg", 0)->high_watermark, 0);

  auto listed = store().ListSegments("seg", 1);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  const SegmentInfo& got = (*listed)[0];
  EXPECT_EQ(got.topic, s.topic);
  EXPECT_EQ(got.partition, s.partition);
  EXPECT_EQ(got.base_offset, s.base_offset);
  EXPECT_EQ(got.end_offset, s.end_offset);
  EXPECT_EQ(got.record_count, s.record_count);
  EXPECT_EQ(got.size_bytes, s.size_bytes);
  EXPECT_EQ(got.object_key, s.object_key);
  EXPECT_EQ(got.min_timestamp_ms, s.min_timestamp_ms);
  EXPECT_EQ(got.max_timestamp_ms, s.max_timestamp_ms);
  EXPECT_EQ(got.created_at_ms, s.created_at_ms);

  // A segment below the high watermark (e.g. after a compaction) never lowers it.
  ASSERT_TRUE(store().UpdateHighWatermark("seg", 0, 50, 0).ok());
  ASSERT_TRUE(store().RegisterSegment(Segment("seg", 0, 0, 30), 0).ok());
  EXPECT_EQ(store().GetPartition("seg", 0)->high_watermark, 50);
}

TEST_P(MetadataConformanceTest, RegisterSegmentRejectsBadInput) {
  ASSERT_TRUE(store().CreateTopic(Topic("seg", 1)).ok());
  ASSERT_TRUE(store().RegisterSegment(Segment("seg", 0, 0, 10), 0).ok());
  Status dup = store().RegisterSegment(Segment("seg", 0, 0, 12), 0);
  EXPECT_EQ(dup.code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("seg"), std::string::npos);
  EXPECT_EQ(store().ListSegments("seg", 0)->at(0).end_offset, 10);

  EXPECT_EQ(store().RegisterSegment(Segment("seg", 0, 20, 20), 0).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().RegisterSegment(Segment("seg", 0, 30, 25), 0).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().RegisterSegment(Segment("seg", 0, -5, 3), 0).code(),
            ErrorCode::kInvalidArgument);
  SegmentInfo no_key = Segment("seg", 0, 40, 50);
  no_key.object_key.clear();
  EXPECT_EQ(store().RegisterSegment(no_key, 0).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().RegisterSegment(Segment("seg", 9, 0, 10), 0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().RegisterSegment(Segment("nope", 0, 0, 10), 0).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().ListSegments("seg", 0)->size(), 1u);
  EXPECT_EQ(store().GetPartition("seg", 0)->high_watermark, 10);
}

TEST_P(MetadataConformanceTest, ListSegmentsFromOffset) {
  ASSERT_TRUE(store().CreateTopic(Topic("s", 1)).ok());
  // Registered out of order; listed by base offset.
  ASSERT_TRUE(store().RegisterSegment(Segment("s", 0, 10, 25), 0).ok());
  ASSERT_TRUE(store().RegisterSegment(Segment("s", 0, 0, 10), 0).ok());
  ASSERT_TRUE(store().RegisterSegment(Segment("s", 0, 25, 30), 0).ok());
  EXPECT_EQ(store().GetPartition("s", 0)->high_watermark, 30);

  using V = std::vector<int64_t>;
  EXPECT_EQ(Bases(*store().ListSegments("s", 0)), (V{0, 10, 25}));
  EXPECT_EQ(Bases(*store().ListSegments("s", 0, 9)), (V{0, 10, 25}));
  // end_offset is exclusive: offset 10 is not in [0, 10).
  EXPECT_EQ(Bases(*store().ListSegments("s", 0, 10)), (V{10, 25}));
  EXPECT_EQ(Bases(*store().ListSegments("s", 0, 29)), (V{25}));
  EXPECT_EQ(Bases(*store().ListSegments("s", 0, 30)), (V{}));
  EXPECT_EQ(store().ListSegments("s", 5).status().code(), ErrorCode::kNotFound);
}

TEST_P(MetadataConformanceTest, DeleteSegmentsBefore) {
  ASSERT_TRUE(store().CreateTopic(Topic("r", 2)).ok());
  for (auto [base, end] : {std::pair<int64_t, int64_t>{0, 10}, {10, 25}, {25, 30}}) {
    ASSERT_TRUE(store().RegisterSegment(Segment("r", 0, base, end), 0).ok());
  }
  ASSERT_TRUE(store().RegisterSegment(Segment("r", 1, 0, 10), 0).ok());

  auto removed = store().DeleteSegmentsBefore("r", 0, 24);  // [10,25) still holds 24
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(Bases(*removed), (std::vector<int64_t>{0}));
  EXPECT_EQ((*removed)[0].object_key, Segment("r", 0, 0, 10).object_key);

  removed = store().DeleteSegmentsBefore("r", 0, 25);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(Bases(*removed), (std::vector<int64_t>{10}));
  EXPECT_EQ(Bases(*store().ListSegments("r", 0)), (std::vector<int64_t>{25}));
  EXPECT_EQ(store().ListSegments("r", 1)->size(), 1u);  // other partition untouched
  EXPECT_EQ(store().GetPartition("r", 0)->high_watermark, 30);
  EXPECT_TRUE(store().DeleteSegmentsBefore("r", 0, 25)->empty());
  EXPECT_EQ(store().DeleteSegmentsBefore("r", 7, 25).status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace sh
