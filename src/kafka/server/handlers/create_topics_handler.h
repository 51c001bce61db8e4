// CreateTopicsHandler: CreateTopics v0-v7 (Kafka API key 19).
//
// Each topic is answered on its own (one bad topic does not fail the others):
//   num_partitions      -1 -> the broker default; 0 or < -1 -> INVALID_PARTITIONS
//   replication_factor  -1 or >= 1 accepted and reported as 1 (data lives in
//                       object storage, so there are no replicas to place);
//                       0 or < -1 -> INVALID_REPLICATION_FACTOR
//   assignments         allowed only with num_partitions = replication_factor
//                       = -1, partitions 0..n-1, each on this node
//   configs             checked by the broker -> INVALID_CONFIG with a message
//   validate_only       checks everything, creates nothing
// timeout_ms is ignored: creation is one metadata transaction, done when we answer.
// See docs/compatibility.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "kafka/protocol/generated/create_topics.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

// Kafka's topic name rule: 1..249 characters of [a-zA-Z0-9._-], not "." or
// "..". InvalidArgument naming the problem otherwise.
Status ValidateTopicName(std::string_view name);

class CreateTopicsHandler final : public Handler {
 public:
  explicit CreateTopicsHandler(broker::Broker& broker) : broker_(broker) {}

  ApiKey api_key() const override { return ApiKey::kCreateTopics; }
  int16_t min_version() const override { return CreateTopicsRequest::kMinVersion; }
  int16_t max_version() const override { return 7; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  CreateTopicsResponse Answer(const CreateTopicsRequest& req);
  CreateTopicsResponse::CreatableTopicResult CreateOne(const CreateTopicsRequest::CreatableTopic& t,
                                                       bool validate_only);

  broker::Broker& broker_;
};

}  // namespace sh::kafka
