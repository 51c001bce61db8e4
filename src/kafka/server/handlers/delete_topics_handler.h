// DeleteTopicsHandler: DeleteTopics v0-v6 (Kafka API key 20).
//
// Topics are deleted by name (topic_names in v0-v5, topics[].name in v6).
// StreamHouse has no topic ids yet: a v6 entry that gives only an id is
// answered UNKNOWN_TOPIC_ID. A name given twice is INVALID_REQUEST; an unknown
// name UNKNOWN_TOPIC_OR_PARTITION. timeout_ms is ignored (deletion is done when
// we answer: metadata first, then the segment objects).
#pragma once

#include <cstdint>

#include "kafka/protocol/generated/delete_topics.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

class DeleteTopicsHandler final : public Handler {
 public:
  explicit DeleteTopicsHandler(broker::Broker& broker) : broker_(broker) {}

  ApiKey api_key() const override { return ApiKey::kDeleteTopics; }
  int16_t min_version() const override { return DeleteTopicsRequest::kMinVersion; }
  int16_t max_version() const override { return 6; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  DeleteTopicsResponse Answer(const DeleteTopicsRequest& req, int16_t version);

  broker::Broker& broker_;
};

}  // namespace sh::kafka
