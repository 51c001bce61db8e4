#include "metadata/metadata_checks.h"

#include "metadata/topic_config.h"

namespace sh {

std::string TopicPartitionName(const std::string& topic, int32_t partition) {
  return "topic " + topic + " partition " + std::to_string(partition);
}

Result<std::string> CheckNewTopic(const TopicInfo& topic) {
  if (!IsValidTopicName(topic.name)) {
    return Status::InvalidArgument("invalid topic name '" + topic.name + "'");
  }
  if (topic.partition_count < 1 || topic.partition_count > kMaxPartitions) {
    return Status::InvalidArgument("topic " + topic.name + ": partition count " +
                                   std::to_string(topic.partition_count) + " outside 1.." +
                                   std::to_string(kMaxPartitions));
  }
  auto config = CanonicalTopicConfig(topic.config_json);
  if (!config.ok()) return config.status().WithContext("topic " + topic.name);
  return config;
}

Status CheckPartitionGrowth(const std::string& topic, int32_t current, int32_t new_count) {
  if (new_count > current && new_count <= kMaxPartitions) return Status::OK();
  return Status::InvalidArgument(
      "topic " + topic + ": new partition count " + std::to_string(new_count) + " must exceed " +
      std::to_string(current) + " and be at most " + std::to_string(kMaxPartitions));
}

Status CheckSegment(const SegmentInfo& s) {
  std::string where = "register segment of " + TopicPartitionName(s.topic, s.partition) +
                      " base offset " + std::to_string(s.base_offset);
  if (s.base_offset < 0 || s.end_offset <= s.base_offset) {
    return Status::InvalidArgument(where + ": end offset " + std::to_string(s.end_offset) +
                                   " must exceed a non-negative base offset");
  }
  if (s.record_count < 0 || s.size_bytes < 0) {
    return Status::InvalidArgument(where + ": negative record count or size");
  }
  if (s.object_key.empty()) return Status::InvalidArgument(where + ": empty object key");
  return Status::OK();
}

Status CheckEpochStart(const std::string& topic, int32_t partition, int64_t leader_epoch,
                       int64_t start_offset) {
  if (leader_epoch >= 0 && start_offset >= 0) return Status::OK();
  return Status::InvalidArgument("record epoch start of " + TopicPartitionName(topic, partition) +
                                 ": leader epoch " + std::to_string(leader_epoch) +
                                 " and start offset " + std::to_string(start_offset) +
                                 " must not be negative");
}

}  // namespace sh
