// DescribeConfigsHandler: DescribeConfigs v0-v4 (Kafka API key 32).
//
// Resource type 2 (TOPIC): every topic config the broker supports, with
// config_source DYNAMIC_TOPIC_CONFIG (1) for values set on the topic and
// DEFAULT_CONFIG (5) for broker defaults. With include_synonyms the broker-level
// name of each config (log.retention.ms for retention.ms, ...) follows as a
// DEFAULT_CONFIG synonym.
// Resource type 4 (BROKER): the agent's static settings under Kafka's broker
// config names, read-only, source STATIC_BROKER_CONFIG (4), for resource name
// "<node id>"; the empty name (cluster-wide dynamic defaults) has none.
// A null or empty configuration_keys list means every config.
//
// The helpers below are shared with the other config handlers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/generated/describe_configs.h"
#include "kafka/server/errors.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
struct BrokerOptions;
struct ConfigEntry;
}  // namespace sh::broker

namespace sh::kafka {

// Kafka's ConfigResource.Type.
inline constexpr int8_t kResourceTopic = 2;
inline constexpr int8_t kResourceBroker = 4;

// Why AlterConfigs / IncrementalAlterConfigs refuse a resource: only topic
// configs are alterable (broker settings come from the agent's
// configuration), and the topic name must be legal. nullopt: go ahead.
struct AlterRefusal {
  KafkaError error;
  std::string message;
};
std::optional<AlterRefusal> RefuseAlter(int8_t resource_type, const std::string& resource_name);

// Kafka's DescribeConfigsResponse.ConfigSource.
inline constexpr int8_t kSourceDynamicTopic = 1;
inline constexpr int8_t kSourceStaticBroker = 4;
inline constexpr int8_t kSourceDefault = 5;

// Kafka's ConfigDef.Type as DescribeConfigs v3+ numbers it.
enum class ConfigType : int8_t {
  kUnknown = 0,
  kBoolean = 1,
  kString = 2,
  kInt = 3,
  kShort = 4,
  kLong = 5,
  kDouble = 6,
  kList = 7,
};

// What StreamHouse knows about one topic config beyond its value.
struct TopicConfigKind {
  ConfigType type = ConfigType::kUnknown;
  std::string_view broker_name;    // the broker-level synonym; empty if none
  std::string_view documentation;  // one line, for include_documentation
};

// The kind of a topic config by name; type kUnknown for names we do not know.
TopicConfigKind KindOfTopicConfig(std::string_view name);

// The broker-level configs of this agent (resource type BROKER), in Kafka's
// names, with source STATIC_BROKER_CONFIG and read-only.
std::vector<broker::ConfigEntry> BrokerConfigs(const broker::BrokerOptions& options);

// One topic config entry as DescribeConfigs answers it.
DescribeConfigsResponse::DescribeConfigsResourceResult DescribeTopicEntry(
    const broker::ConfigEntry& entry, const broker::BrokerOptions& options, bool include_synonyms,
    bool include_documentation);

class DescribeConfigsHandler final : public Handler {
 public:
  explicit DescribeConfigsHandler(broker::Broker& broker) : broker_(broker) {}

  ApiKey api_key() const override { return ApiKey::kDescribeConfigs; }
  int16_t min_version() const override { return DescribeConfigsRequest::kMinVersion; }
  int16_t max_version() const override { return 4; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  DescribeConfigsResponse Answer(const DescribeConfigsRequest& req, int16_t version);
  DescribeConfigsResponse::DescribeConfigsResult DescribeTopic(
      const DescribeConfigsRequest::DescribeConfigsResource& res, bool synonyms, bool docs);
  DescribeConfigsResponse::DescribeConfigsResult DescribeBroker(
      const DescribeConfigsRequest::DescribeConfigsResource& res, bool synonyms, bool docs);

  broker::Broker& broker_;
};

}  // namespace sh::kafka
