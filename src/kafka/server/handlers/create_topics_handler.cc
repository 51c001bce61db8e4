#include "kafka/server/handlers/create_topics_handler.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "broker/broker.h"
#include "broker/topic_settings.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/describe_configs_handler.h"

namespace sh::kafka {
namespace {

using Topic = CreateTopicsRequest::CreatableTopic;
using TopicResult = CreateTopicsResponse::CreatableTopicResult;

constexpr size_t kMaxTopicNameLength = 249;

TopicResult Failed(const std::string& name, KafkaError error, std::string message) {
  TopicResult out;
  out.name = name;
  out.error_code = Code(error);
  out.error_message = std::move(message);
  return out;
}

// Checks the manual assignment and returns the partition count it implies.
// REQUIRES: !t.assignments.empty().
Result<int32_t> CheckAssignments(const Topic& t, int32_t node_id) {
  std::set<int32_t> seen;
  for (const auto& a : t.assignments) {
    std::string where = "partition " + std::to_string(a.partition_index);
    if (a.partition_index < 0 || !seen.insert(a.partition_index).second) {
      return Status::InvalidArgument(where + " is out of range or assigned twice");
    }
    if (a.broker_ids.size() != 1 || a.broker_ids[0] != node_id) {
      return Status::InvalidArgument(where + ": replicas must be [" + std::to_string(node_id) +
                                     "], the one agent that holds every partition");
    }
  }
  // Partitions must be 0..n-1 with no gaps.
  if (*seen.rbegin() != static_cast<int32_t>(seen.size()) - 1) {
    return Status::InvalidArgument("assigned partitions must be numbered 0.." +
                                   std::to_string(seen.size() - 1));
  }
  return static_cast<int32_t>(seen.size());
}

// The requested configs as a map, or INVALID_CONFIG for a null or repeated one.
Result<std::map<std::string, std::string>> ConfigMap(const Topic& t) {
  std::map<std::string, std::string> out;
  for (const auto& c : t.configs) {
    if (!c.value.has_value()) {
      return Status::InvalidArgument("null value for topic config '" + c.name + "'");
    }
    if (!out.emplace(c.name, *c.value).second) {
      return Status::InvalidArgument("topic config '" + c.name + "' given twice");
    }
  }
  return out;
}

}  // namespace

Status ValidateTopicName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("topic name is empty");
  if (name == "." || name == "..") {
    return Status::InvalidArgument("topic name '" + std::string(name) + "' is not allowed");
  }
  if (name.size() > kMaxTopicNameLength) {
    return Status::InvalidArgument("topic name is " + std::to_string(name.size()) +
                                   " characters long; the limit is 249");
  }
  for (char c : name) {
    bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!legal) {
      return Status::InvalidArgument("topic name '" + std::string(name) +
                                     "' has a character outside [a-zA-Z0-9._-]");
    }
  }
  return Status::OK();
}

asio::awaitable<Result<std::optional<Bytes>>> CreateTopicsHandler::Handle(RequestContext& ctx) {
  Result<CreateTopicsRequest> req = DecodeRequest<CreateTopicsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  CreateTopicsResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req); });
  co_return EncodeResponse(ctx, resp);
}

CreateTopicsResponse CreateTopicsHandler::Answer(const CreateTopicsRequest& req) {
  std::map<std::string, int> count;
  for (const Topic& t : req.topics) ++count[t.name];
  CreateTopicsResponse resp;
  for (const Topic& t : req.topics) {
    if (count[t.name] > 1) {
      resp.topics.push_back(Failed(t.name, KafkaError::kInvalidRequest,
                                   "topic '" + t.name + "' appears more than once in the request"));
      continue;
    }
    resp.topics.push_back(CreateOne(t, req.validate_only));
  }
  return resp;
}

TopicResult CreateTopicsHandler::CreateOne(const Topic& t, bool validate_only) {
  if (Status valid = ValidateTopicName(t.name); !valid.ok()) {
    return Failed(t.name, KafkaError::kInvalidTopicException, valid.message());
  }
  int32_t partitions = t.num_partitions;
  if (!t.assignments.empty()) {
    if (t.num_partitions != -1 || t.replication_factor != -1) {
      return Failed(t.name, KafkaError::kInvalidRequest,
                    "num_partitions and replication_factor must be -1 when assignments are given");
    }
    Result<int32_t> n = CheckAssignments(t, broker_.options().node_id);
    if (!n.ok()) return Failed(t.name, KafkaError::kInvalidReplicaAssignment, n.status().message());
    partitions = *n;
  } else if (partitions < -1) {
    // Only -1 asks for the default; the broker checks the count itself
    // (INVALID_PARTITIONS by its sub-code).
    return Failed(t.name, KafkaError::kInvalidPartitions,
                  "num_partitions is " + std::to_string(partitions) +
                      "; it must be positive, or -1 for the default");
  } else if (t.replication_factor == 0 || t.replication_factor < -1) {
    return Failed(t.name, KafkaError::kInvalidReplicationFactor,
                  "replication_factor is " + std::to_string(t.replication_factor) +
                      "; it must be at least 1, or -1 for the default");
  }
  Result<std::map<std::string, std::string>> configs = ConfigMap(t);
  if (!configs.ok()) {
    return Failed(t.name, KafkaError::kInvalidConfig, configs.status().message());
  }
  Status st = broker_.CreateTopic(t.name, partitions, *configs, validate_only);
  if (!st.ok()) return Failed(t.name, KafkaErrorFor(st, ApiKey::kCreateTopics), st.message());

  TopicResult out;
  out.name = t.name;
  out.error_message = std::nullopt;
  out.num_partitions = partitions < 0 ? broker_.options().default_partitions : partitions;
  out.replication_factor = 1;
  // v5+ answers with the topic's effective configs, as DescribeConfigs would.
  out.configs.emplace();
  for (const broker::ConfigEntry& e : broker::DescribeTopicSettings(broker_.options(), *configs)) {
    auto d = DescribeTopicEntry(e, broker_.options(), false, false);
    out.configs->push_back({d.name, d.value, d.read_only, d.config_source, d.is_sensitive});
  }
  return out;
}

}  // namespace sh::kafka
