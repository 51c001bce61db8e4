// Argument checks and message wording shared by the metadata backends, so
// SQLite and PostgreSQL accept and reject exactly the same input and name it
// the same way.
#pragma once

#include <cstdint>
#include <string>

#include "metadata/metadata_store.h"

namespace sh {

// Above this a CreateTopic/AddPartitions would insert an unreasonable number of
// rows in one transaction; Kafka clusters rarely exceed a few thousand.
inline constexpr int32_t kMaxPartitions = 100'000;

// "topic t partition 3", the way every message names a partition.
std::string TopicPartitionName(const std::string& topic, int32_t partition);

// Checks the name, partition count and config of a topic to create; returns
// its config in canonical form. InvalidArgument naming what is wrong.
Result<std::string> CheckNewTopic(const TopicInfo& topic);

// InvalidArgument unless current < new_count <= kMaxPartitions.
Status CheckPartitionGrowth(const std::string& topic, int32_t current, int32_t new_count);

// InvalidArgument unless the segment covers a non-empty range from a
// non-negative base, has non-negative counts and an object key.
Status CheckSegment(const SegmentInfo& segment);

// InvalidArgument if the epoch or the start offset is negative.
Status CheckEpochStart(const std::string& topic, int32_t partition, int64_t leader_epoch,
                       int64_t start_offset);

}  // namespace sh
