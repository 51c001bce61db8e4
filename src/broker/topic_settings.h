// TopicSettings: the topic configs the broker understands, their validation,
// and the effective values (topic override, else the broker default).
//
// Supported names (Kafka's, plus StreamHouse's segment.codec):
//   retention.ms            long, >= -1 (-1: keep forever)
//   retention.bytes         long, >= -1 (-1: no size limit)
//   segment.bytes           int, 1024 .. 2^31-1
//   segment.ms              long, >= 1
//   max.message.bytes       int, 0 .. 2^31-1 (largest record batch accepted)
//   message.timestamp.type  CreateTime | LogAppendTime
//   cleanup.policy          delete | compact | compact,delete (any order)
//   segment.codec           none | lz4 | zstd
// Anything else is InvalidArgument naming the config. See docs/broker.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "broker/broker_types.h"
#include "metadata/metadata_store.h"
#include "metadata/topic_config.h"
#include "storage/partition_writer.h"

namespace sh::broker {

struct TopicSettings {
  int64_t retention_ms = -1;
  int64_t retention_bytes = -1;
  int64_t segment_bytes = 0;
  int64_t segment_ms = 0;
  int32_t max_message_bytes = 0;
  bool log_append_time = false;
  // cleanup.policy: delete-based retention runs only when "delete" is in it.
  // Compaction is not implemented: a "compact"-only topic keeps everything.
  bool retention_enabled = true;
  storage::BlockCodec codec = storage::BlockCodec::kLz4;

  // The writer options these settings imply (block_bytes from the broker).
  storage::PartitionWriterOptions WriterOptions(size_t block_bytes) const;
};

// The supported config names, in the order DescribeTopicConfig lists them.
const std::vector<std::string>& SupportedTopicConfigNames();

// InvalidArgument naming the config if a name is unknown or a value invalid.
Status ValidateTopicConfig(const TopicConfig& config);

// Effective settings: each config from `config` if set, else from options.
// Invalid values are InvalidArgument; unknown names too unless ignore_unknown.
Result<TopicSettings> ResolveTopicSettings(const BrokerOptions& options, const TopicConfig& config,
                                           bool ignore_unknown = false);

// Parses a TopicInfo's config_json and resolves it; errors name the topic.
// Unknown names are ignored: a topic created by another tool with configs
// this broker does not know stays usable.
Result<TopicSettings> ResolveTopicSettings(const BrokerOptions& options, const TopicInfo& topic);

// Every supported config with its effective value and whether it is the default.
std::vector<ConfigEntry> DescribeTopicSettings(const BrokerOptions& options,
                                               const TopicConfig& config);

}  // namespace sh::broker
