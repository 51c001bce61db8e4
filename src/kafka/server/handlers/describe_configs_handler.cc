#include "kafka/server/handlers/describe_configs_handler.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "broker/broker.h"
#include "broker/topic_settings.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/create_topics_handler.h"

namespace sh::kafka {
namespace {

using Resource = DescribeConfigsRequest::DescribeConfigsResource;
using ResourceResult = DescribeConfigsResponse::DescribeConfigsResult;
using Entry = DescribeConfigsResponse::DescribeConfigsResourceResult;

struct NamedKind {
  std::string_view name;
  TopicConfigKind kind;
};

constexpr std::array<NamedKind, 8> kTopicConfigKinds = {{
    {"retention.ms",
     {ConfigType::kLong, "log.retention.ms",
      "How long a record is kept before it may be deleted (-1: forever)."}},
    {"retention.bytes",
     {ConfigType::kLong, "log.retention.bytes",
      "Largest size of a partition before old segments may be deleted (-1: no limit)."}},
    {"segment.bytes",
     {ConfigType::kInt, "log.segment.bytes",
      "Size at which a partition's tail becomes a segment."}},
    {"segment.ms",
     {ConfigType::kLong, "log.roll.ms", "Age at which a partition's tail becomes a segment."}},
    {"max.message.bytes",
     {ConfigType::kInt, "message.max.bytes", "Largest record batch a producer may send."}},
    {"message.timestamp.type",
     {ConfigType::kString, "log.message.timestamp.type",
      "CreateTime keeps the producer's timestamps; LogAppendTime uses the agent's clock."}},
    {"cleanup.policy",
     {ConfigType::kList, "log.cleanup.policy",
      "delete removes old segments by retention; compact is accepted but not yet applied."}},
    {"segment.codec",
     {ConfigType::kString, "",
      "Compression of segment blocks in object storage: none, lz4, zstd."}},
}};

// Effective broker defaults of the topic configs, by topic config name.
std::map<std::string, std::string> TopicDefaults(const broker::BrokerOptions& options) {
  std::map<std::string, std::string> out;
  for (const broker::ConfigEntry& e : broker::DescribeTopicSettings(options, TopicConfig{})) {
    out[e.name] = e.value;
  }
  return out;
}

// Null or empty: every config (kafka-python sends an empty list for "all").
bool Wanted(const std::optional<std::vector<std::string>>& keys, const std::string& name) {
  if (!keys.has_value() || keys->empty()) return true;
  return std::find(keys->begin(), keys->end(), name) != keys->end();
}

ResourceResult ResourceError(const Resource& res, KafkaError error, std::string message) {
  ResourceResult out;
  out.resource_type = res.resource_type;
  out.resource_name = res.resource_name;
  out.error_code = Code(error);
  out.error_message = std::move(message);
  return out;
}

ConfigType BrokerConfigType(std::string_view name) {
  if (name == "auto.create.topics.enable") return ConfigType::kBoolean;
  if (name == "num.partitions" || name == "broker.id") return ConfigType::kInt;
  if (name == "default.replication.factor") return ConfigType::kShort;
  for (const NamedKind& nk : kTopicConfigKinds) {
    if (nk.kind.broker_name == name) return nk.kind.type;
  }
  return ConfigType::kUnknown;
}

}  // namespace

TopicConfigKind KindOfTopicConfig(std::string_view name) {
  for (const NamedKind& nk : kTopicConfigKinds) {
    if (nk.name == name) return nk.kind;
  }
  return {};
}

std::vector<broker::ConfigEntry> BrokerConfigs(const broker::BrokerOptions& options) {
  auto entry = [](std::string name, std::string value) {
    broker::ConfigEntry e;
    e.name = std::move(name);
    e.value = std::move(value);
    e.is_default = false;
    e.read_only = true;
    return e;
  };
  std::vector<broker::ConfigEntry> out;
  out.push_back(entry("broker.id", std::to_string(options.node_id)));
  out.push_back(entry("auto.create.topics.enable", options.auto_create_topics ? "true" : "false"));
  out.push_back(entry("num.partitions", std::to_string(options.default_partitions)));
  // Object storage keeps the data; Kafka clients see one replica per partition.
  out.push_back(entry("default.replication.factor", "1"));
  for (const auto& [name, value] : TopicDefaults(options)) {
    std::string_view broker_name = KindOfTopicConfig(name).broker_name;
    if (!broker_name.empty()) out.push_back(entry(std::string(broker_name), value));
  }
  return out;
}

Entry DescribeTopicEntry(const broker::ConfigEntry& entry, const broker::BrokerOptions& options,
                         bool include_synonyms, bool include_documentation) {
  TopicConfigKind kind = KindOfTopicConfig(entry.name);
  Entry out;
  out.name = entry.name;
  out.value = entry.sensitive ? std::nullopt : std::optional<std::string>(entry.value);
  out.read_only = entry.read_only;
  out.is_default = entry.is_default;
  out.config_source = entry.is_default ? kSourceDefault : kSourceDynamicTopic;
  out.is_sensitive = entry.sensitive;
  out.config_type = static_cast<int8_t>(kind.type);
  out.documentation = include_documentation
                          ? std::optional<std::string>(std::string(kind.documentation))
                          : std::nullopt;
  if (include_synonyms) {
    // Kafka lists the synonyms in precedence order: the topic's own value first.
    if (!entry.is_default) out.synonyms.push_back({entry.name, out.value, kSourceDynamicTopic});
    if (!kind.broker_name.empty()) {
      std::map<std::string, std::string> defaults = TopicDefaults(options);
      auto it = defaults.find(entry.name);
      if (it != defaults.end()) {
        out.synonyms.push_back({std::string(kind.broker_name), it->second, kSourceDefault});
      }
    }
  }
  return out;
}

asio::awaitable<Result<std::optional<Bytes>>> DescribeConfigsHandler::Handle(RequestContext& ctx) {
  Result<DescribeConfigsRequest> req = DecodeRequest<DescribeConfigsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  int16_t version = ctx.header.request_api_version;
  DescribeConfigsResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req, version); });
  co_return EncodeResponse(ctx, resp);
}

DescribeConfigsResponse DescribeConfigsHandler::Answer(const DescribeConfigsRequest& req,
                                                       int16_t version) {
  // include_synonyms exists from v1, include_documentation from v3; decoding
  // leaves them false in older versions.
  bool synonyms = version >= 1 && req.include_synonyms;
  bool docs = version >= 3 && req.include_documentation;
  DescribeConfigsResponse resp;
  for (const Resource& res : req.resources) {
    switch (res.resource_type) {
      case kResourceTopic:
        resp.results.push_back(DescribeTopic(res, synonyms, docs));
        break;
      case kResourceBroker:
        resp.results.push_back(DescribeBroker(res, synonyms, docs));
        break;
      default:
        resp.results.push_back(
            ResourceError(res, KafkaError::kInvalidRequest,
                          "unsupported resource type " + std::to_string(res.resource_type) +
                              " (StreamHouse describes topics (2) and brokers (4))"));
    }
  }
  return resp;
}

ResourceResult DescribeConfigsHandler::DescribeTopic(const Resource& res, bool synonyms,
                                                     bool docs) {
  if (Status valid = ValidateTopicName(res.resource_name); !valid.ok()) {
    return ResourceError(res, KafkaError::kInvalidTopicException, valid.message());
  }
  Result<std::vector<broker::ConfigEntry>> entries = broker_.DescribeTopicConfig(res.resource_name);
  if (!entries.ok()) {
    return ResourceError(res, KafkaErrorFor(entries.status(), ApiKey::kDescribeConfigs),
                         entries.status().message());
  }
  ResourceResult out;
  out.resource_type = res.resource_type;
  out.resource_name = res.resource_name;
  out.error_message = std::nullopt;
  for (const broker::ConfigEntry& e : *entries) {
    if (!Wanted(res.configuration_keys, e.name)) continue;
    out.configs.push_back(DescribeTopicEntry(e, broker_.options(), synonyms, docs));
  }
  return out;
}

ResourceResult DescribeConfigsHandler::DescribeBroker(const Resource& res, bool synonyms,
                                                      bool docs) {
  ResourceResult out;
  out.resource_type = res.resource_type;
  out.resource_name = res.resource_name;
  out.error_message = std::nullopt;
  // The empty name asks for cluster-wide dynamic defaults: StreamHouse has none.
  if (res.resource_name.empty()) return out;
  if (res.resource_name != std::to_string(broker_.options().node_id)) {
    return ResourceError(res, KafkaError::kInvalidRequest,
                         "unexpected broker id '" + res.resource_name + "': this agent is " +
                             std::to_string(broker_.options().node_id));
  }
  for (const broker::ConfigEntry& e : BrokerConfigs(broker_.options())) {
    if (!Wanted(res.configuration_keys, e.name)) continue;
    Entry entry;
    entry.name = e.name;
    entry.value = e.value;
    entry.read_only = true;
    entry.is_default = false;
    entry.config_source = kSourceStaticBroker;
    entry.config_type = static_cast<int8_t>(BrokerConfigType(e.name));
    entry.documentation =
        docs ? std::optional<std::string>("Set in the agent's configuration.") : std::nullopt;
    if (synonyms) entry.synonyms.push_back({e.name, e.value, kSourceStaticBroker});
    out.configs.push_back(std::move(entry));
  }
  return out;
}

std::optional<AlterRefusal> RefuseAlter(int8_t resource_type, const std::string& resource_name) {
  if (resource_type == kResourceBroker) {
    return AlterRefusal{KafkaError::kInvalidRequest,
                        "broker configs are static: set them in the agent's configuration"};
  }
  if (resource_type != kResourceTopic) {
    return AlterRefusal{KafkaError::kInvalidRequest,
                        "unsupported resource type " + std::to_string(resource_type)};
  }
  if (Status valid = ValidateTopicName(resource_name); !valid.ok()) {
    return AlterRefusal{KafkaError::kInvalidTopicException, valid.message()};
  }
  return std::nullopt;
}

}  // namespace sh::kafka
