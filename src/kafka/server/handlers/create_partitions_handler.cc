#include "kafka/server/handlers/create_partitions_handler.h"

#include <map>
#include <string>
#include <utility>

#include "broker/broker.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

using TopicResult = CreatePartitionsResponse::CreatePartitionsTopicResult;

TopicResult Failed(const std::string& name, KafkaError error, std::string message) {
  TopicResult out;
  out.name = name;
  out.error_code = Code(error);
  out.error_message = std::move(message);
  return out;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> CreatePartitionsHandler::Handle(RequestContext& ctx) {
  Result<CreatePartitionsRequest> req = DecodeRequest<CreatePartitionsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  CreatePartitionsResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req); });
  co_return EncodeResponse(ctx, resp);
}

CreatePartitionsResponse CreatePartitionsHandler::Answer(const CreatePartitionsRequest& req) {
  std::map<std::string, int> count;
  for (const auto& t : req.topics) ++count[t.name];
  CreatePartitionsResponse resp;
  for (const auto& t : req.topics) {
    if (count[t.name] > 1) {
      resp.results.push_back(
          Failed(t.name, KafkaError::kInvalidRequest,
                 "topic '" + t.name + "' appears more than once in the request"));
      continue;
    }
    resp.results.push_back(GrowOne(t, req.validate_only));
  }
  return resp;
}

TopicResult CreatePartitionsHandler::GrowOne(
    const CreatePartitionsRequest::CreatePartitionsTopic& t, bool validate_only) {
  if (t.assignments.has_value() && !t.assignments->empty()) {
    Result<TopicInfo> topic = broker_.GetTopic(t.name);
    if (!topic.ok()) {
      return Failed(t.name, KafkaErrorFor(topic.status(), ApiKey::kCreatePartitions),
                    topic.status().message());
    }
    int32_t node = broker_.options().node_id;
    int64_t added = static_cast<int64_t>(t.count) - topic->partition_count;
    if (added != static_cast<int64_t>(t.assignments->size())) {
      return Failed(t.name, KafkaError::kInvalidReplicaAssignment,
                    "got " + std::to_string(t.assignments->size()) + " assignments for " +
                        std::to_string(added) + " new partitions");
    }
    for (const auto& a : *t.assignments) {
      if (a.broker_ids.size() != 1 || a.broker_ids[0] != node) {
        return Failed(t.name, KafkaError::kInvalidReplicaAssignment,
                      "replicas must be [" + std::to_string(node) +
                          "], the one agent that holds every partition");
      }
    }
  }
  TopicResult out;
  out.name = t.name;
  if (Status st = broker_.CreatePartitions(t.name, t.count, validate_only); !st.ok()) {
    return Failed(t.name, KafkaErrorFor(st, ApiKey::kCreatePartitions), st.message());
  }
  return out;
}

}  // namespace sh::kafka
