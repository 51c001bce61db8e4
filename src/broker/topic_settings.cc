#include "broker/topic_settings.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace sh::broker {
namespace {

constexpr char kRetentionMs[] = "retention.ms";
constexpr char kRetentionBytes[] = "retention.bytes";
constexpr char kSegmentBytes[] = "segment.bytes";
constexpr char kSegmentMs[] = "segment.ms";
constexpr char kMaxMessageBytes[] = "max.message.bytes";
constexpr char kTimestampType[] = "message.timestamp.type";
constexpr char kCleanupPolicy[] = "cleanup.policy";
constexpr char kSegmentCodec[] = "segment.codec";

// Why 1 KiB and not Kafka's 14 bytes: a segment smaller than a batch or two is
// all overhead (header, index, footer, one object per batch) and no real use.
constexpr int64_t kMinSegmentBytes = 1024;
constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();

Status Invalid(const std::string& name, const std::string& value, const std::string& why) {
  return Status::InvalidArgument("invalid value \"" + value + "\" for topic config " + name + ": " +
                                 why);
}

// A whole-string decimal integer within [lo, hi].
Result<int64_t> ParseLong(const std::string& name, const std::string& value, int64_t lo,
                          int64_t hi) {
  int64_t v = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || ptr != end) {
    return Invalid(name, value, "not an integer");
  }
  if (v < lo || v > hi) {
    return Invalid(name, value,
                   "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

Result<storage::BlockCodec> ParseCodec(const std::string& value) {
  if (value == "none") return storage::BlockCodec::kNone;
  if (value == "lz4") return storage::BlockCodec::kLz4;
  if (value == "zstd") return storage::BlockCodec::kZstd;
  return Invalid(kSegmentCodec, value, "must be none, lz4 or zstd");
}

std::string CodecName(storage::BlockCodec codec) {
  switch (codec) {
    case storage::BlockCodec::kNone:
      return "none";
    case storage::BlockCodec::kLz4:
      return "lz4";
    case storage::BlockCodec::kZstd:
      return "zstd";
  }
  return "lz4";
}

// cleanup.policy is a comma-separated list of "delete" and "compact".
// Returns whether "delete" is in it.
Result<bool> ParseCleanupPolicy(const std::string& value) {
  bool has_delete = false;
  bool any = false;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item == "delete") {
      has_delete = true;
    } else if (item != "compact") {
      return Invalid(kCleanupPolicy, value, "must be delete, compact or compact,delete");
    }
    any = true;
    start = comma + 1;
  }
  if (!any) return Invalid(kCleanupPolicy, value, "empty");
  return has_delete;
}

// Applies one (already known) config to settings, validating its value.
Status Apply(const std::string& name, const std::string& value, TopicSettings& s) {
  if (name == kRetentionMs) {
    SH_ASSIGN_OR_RETURN(s.retention_ms, ParseLong(name, value, -1, INT64_MAX));
  } else if (name == kRetentionBytes) {
    SH_ASSIGN_OR_RETURN(s.retention_bytes, ParseLong(name, value, -1, INT64_MAX));
  } else if (name == kSegmentBytes) {
    SH_ASSIGN_OR_RETURN(s.segment_bytes, ParseLong(name, value, kMinSegmentBytes, kMaxInt32));
  } else if (name == kSegmentMs) {
    SH_ASSIGN_OR_RETURN(s.segment_ms, ParseLong(name, value, 1, INT64_MAX));
  } else if (name == kMaxMessageBytes) {
    SH_ASSIGN_OR_RETURN(int64_t v, ParseLong(name, value, 0, kMaxInt32));
    s.max_message_bytes = static_cast<int32_t>(v);
  } else if (name == kTimestampType) {
    if (value != "CreateTime" && value != "LogAppendTime") {
      return Invalid(name, value, "must be CreateTime or LogAppendTime");
    }
    s.log_append_time = value == "LogAppendTime";
  } else if (name == kCleanupPolicy) {
    SH_ASSIGN_OR_RETURN(s.retention_enabled, ParseCleanupPolicy(value));
  } else if (name == kSegmentCodec) {
    SH_ASSIGN_OR_RETURN(s.codec, ParseCodec(value));
  } else {
    return Status::InvalidArgument("unknown topic config " + name);
  }
  return Status::OK();
}

TopicConfig Defaults(const BrokerOptions& o) {
  return {
      {kRetentionMs, std::to_string(o.retention_ms)},
      {kRetentionBytes, std::to_string(o.retention_bytes)},
      {kSegmentBytes, std::to_string(o.segment_bytes)},
      {kSegmentMs, std::to_string(o.segment_ms)},
      {kMaxMessageBytes, std::to_string(o.max_message_bytes)},
      {kTimestampType, o.message_timestamp_type},
      {kCleanupPolicy, o.cleanup_policy},
      {kSegmentCodec, CodecName(o.segment_codec)},
  };
}

}  // namespace

storage::PartitionWriterOptions TopicSettings::WriterOptions(size_t block_bytes) const {
  storage::PartitionWriterOptions w;
  w.segment_bytes = segment_bytes;
  w.segment_ms = segment_ms;
  w.codec = codec;
  w.block_bytes = block_bytes;
  // Appends run on the WAL flusher thread; the background pass seals full tails.
  w.seal_on_append = false;
  return w;
}

const std::vector<std::string>& SupportedTopicConfigNames() {
  static const std::vector<std::string> names = {
      kCleanupPolicy, kMaxMessageBytes, kTimestampType, kRetentionBytes,
      kRetentionMs,   kSegmentBytes,    kSegmentCodec,  kSegmentMs,
  };
  return names;
}

Status ValidateTopicConfig(const TopicConfig& config) {
  TopicSettings scratch;
  for (const auto& [name, value] : config) SH_RETURN_IF_ERROR(Apply(name, value, scratch));
  return Status::OK();
}

Result<TopicSettings> ResolveTopicSettings(const BrokerOptions& options, const TopicConfig& config,
                                           bool ignore_unknown) {
  TopicSettings s;
  for (const auto& [name, value] : Defaults(options)) {
    SH_RETURN_IF_ERROR(Apply(name, value, s).WithContext("broker default"));
  }
  const std::vector<std::string>& known = SupportedTopicConfigNames();
  for (const auto& [name, value] : config) {
    if (ignore_unknown && std::find(known.begin(), known.end(), name) == known.end()) continue;
    SH_RETURN_IF_ERROR(Apply(name, value, s));
  }
  return s;
}

Result<TopicSettings> ResolveTopicSettings(const BrokerOptions& options, const TopicInfo& topic) {
  Result<TopicConfig> config = ParseTopicConfig(topic.config_json);
  if (!config.ok()) return config.status().WithContext("config of topic " + topic.name);
  Result<TopicSettings> settings = ResolveTopicSettings(options, *config, true);
  if (!settings.ok()) return settings.status().WithContext("config of topic " + topic.name);
  return settings;
}

std::vector<ConfigEntry> DescribeTopicSettings(const BrokerOptions& options,
                                               const TopicConfig& config) {
  TopicConfig defaults = Defaults(options);
  std::vector<ConfigEntry> out;
  for (const std::string& name : SupportedTopicConfigNames()) {
    ConfigEntry e;
    e.name = name;
    auto it = config.find(name);
    e.is_default = it == config.end();
    e.value = e.is_default ? defaults[name] : it->second;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sh::broker
