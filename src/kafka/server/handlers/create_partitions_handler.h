// CreatePartitionsHandler: CreatePartitions v0-v3 (Kafka API key 37).
//
// Grows each topic to `count` partitions. Manual assignments are not needed
// (one agent holds every partition): null or empty is the norm; otherwise
// there must be one per new partition, each exactly [this node], else
// INVALID_REPLICA_ASSIGNMENT. A count not above the current one is
// INVALID_PARTITIONS; an unknown topic UNKNOWN_TOPIC_OR_PARTITION; a topic given
// twice INVALID_REQUEST. validate_only checks without creating; timeout_ms is
// ignored.
#pragma once

#include <cstdint>

#include "kafka/protocol/generated/create_partitions.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

class CreatePartitionsHandler final : public Handler {
 public:
  explicit CreatePartitionsHandler(broker::Broker& broker) : broker_(broker) {}

  ApiKey api_key() const override { return ApiKey::kCreatePartitions; }
  int16_t min_version() const override { return CreatePartitionsRequest::kMinVersion; }
  int16_t max_version() const override { return 3; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  CreatePartitionsResponse Answer(const CreatePartitionsRequest& req);
  CreatePartitionsResponse::CreatePartitionsTopicResult GrowOne(
      const CreatePartitionsRequest::CreatePartitionsTopic& t, bool validate_only);

  broker::Broker& broker_;
};

}  // namespace sh::kafka
