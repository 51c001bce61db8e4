// Metadata (key 3), versions 0-11 (Kafka 3.0's maximum; v12+ asks by topic id).
//
// This agent is the only broker, the controller, and the leader of every
// partition; the leader epoch is its lease epoch. Topics that do not exist
// are created when the request allows it (v4+: allow_auto_topic_creation;
// earlier versions always allow) and the agent's topics.auto_create is on.
#pragma once

#include "broker/broker.h"
#include "kafka/server/handler.h"
#include "kafka/server/handlers/handlers.h"

namespace sh::kafka {

class MetadataHandler final : public Handler {
 public:
  MetadataHandler(broker::Broker& broker, HandlerOptions options)
      : broker_(broker), options_(std::move(options)) {}
  ApiKey api_key() const override { return ApiKey::kMetadata; }
  int16_t min_version() const override { return 0; }
  int16_t max_version() const override { return 11; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
  const HandlerOptions options_;
};

}  // namespace sh::kafka
