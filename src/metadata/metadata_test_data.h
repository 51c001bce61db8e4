// Rows for the metadata tests (the conformance suite and the backends' own
// tests), so every test describes topics, segments and old databases alike.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "metadata/metadata_store.h"

namespace sh::metadata_test {

// A topic; created_at_ms 0, so the store fills in its clock's time.
inline TopicInfo Topic(const std::string& name, int32_t partitions,
                       const std::string& config = "{}") {
  TopicInfo t;
  t.name = name;
  t.partition_count = partitions;
  t.config_json = config;
  return t;
}

// A segment covering [base, end) whose other fields derive from its position,
// so a round trip can be checked field by field.
inline SegmentInfo Segment(const std::string& topic, int32_t partition, int64_t base, int64_t end) {
  SegmentInfo s;
  s.topic = topic;
  s.partition = partition;
  s.base_offset = base;
  s.end_offset = end;
  s.record_count = end - base;
  s.size_bytes = 1000 + base;
  s.object_key = "topics/" + topic + "/" + std::to_string(partition) + "/" + std::to_string(base);
  s.min_timestamp_ms = 1000 + base;
  s.max_timestamp_ms = 2000 + end;
  s.created_at_ms = 1'700'000'000'000 + base;
  return s;
}

// Rows as a StreamHouse of schema version 1 wrote them (SQL both backends
// run), for the upgrade tests.
inline const std::vector<std::string>& VersionOneRows() {
  static const std::vector<std::string>* rows = new std::vector<std::string>{
      "INSERT INTO topics VALUES ('t', 1, '{}', 1)",
      "INSERT INTO partitions VALUES ('t', 0, 5, 0)",
      "INSERT INTO agents VALUES ('agent-a', 'h:9092', 'z', 1, 2)",
  };
  return *rows;
}

// Checks that a store opened on VersionOneRows() kept them and works with
// what later versions added: the agent reads node id -1, epoch starts record.
inline void ExpectVersionOneRowsUpgraded(MetadataStore& store) {
  auto agents = store.ListAgents();
  ASSERT_TRUE(agents.ok()) << agents.status().ToString();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].node_id, -1);  // the column's default for rows of before
  EXPECT_EQ((*agents)[0].address, "h:9092");
  EXPECT_EQ(store.GetPartition("t", 0)->high_watermark, 5);
  ASSERT_TRUE(store.RecordEpochStart("t", 0, 1, 5).ok());
  EXPECT_EQ(store.ListEpochStarts("t", 0)->at(1), 5);
}

// A committed offset as schema versions 1 and 2 wrote it (no leader epoch),
// for the upgrade tests of version 3.
inline const std::vector<std::string>& OffsetRowsBeforeEpochs() {
  static const std::vector<std::string>* rows = new std::vector<std::string>{
      "INSERT INTO consumer_groups VALUES ('g', 'consumer', 'Empty', 1)",
      "INSERT INTO consumer_offsets VALUES ('g', 't', 0, 4, 'md', 3)",
  };
  return *rows;
}

// Checks that a store opened on OffsetRowsBeforeEpochs() kept the offset,
// reads its epoch as unknown (-1), and stores epochs from then on.
inline void ExpectOffsetRowsUpgraded(MetadataStore& store) {
  auto offsets = store.FetchOffsets("g");
  ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
  ASSERT_EQ(offsets->size(), 1u);
  EXPECT_EQ((*offsets)[0].offset, 4);
  EXPECT_EQ((*offsets)[0].metadata, "md");
  EXPECT_EQ((*offsets)[0].committed_at_ms, 3);
  EXPECT_EQ((*offsets)[0].leader_epoch, -1);  // the column's default for rows of before
  CommittedOffset next{"g", "t", 0, 9, "", 10};
  next.leader_epoch = 4;
  ASSERT_TRUE(store.CommitOffsets({next}).ok());
  offsets = store.FetchOffsets("g");
  ASSERT_TRUE(offsets.ok() && offsets->size() == 1u);
  EXPECT_EQ((*offsets)[0].leader_epoch, 4);
}

}  // namespace sh::metadata_test
