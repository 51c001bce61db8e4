// Metadata (key 3), versions 0-11 (Kafka 3.0's maximum; v12+ asks by topic id).
//
// Brokers, leaders and epochs come from the ClusterView (HandlerOptions):
// brokers = the live agents (zone as rack); controller = this agent (any
// agent can do what a controller does, so a client sends admin requests to
// the agent it already talks to); each partition's leader = the view's, its
// leader_epoch the view's (or, when the view has none, the broker's lease
// epoch), replicas and ISR = {leader}. A partition without a leader is
// LEADER_NOT_AVAILABLE with leader -1 and no replicas. Alone, this agent is
// the only broker and leads everything. Topics that do not exist
// are created when the request allows it (v4+: allow_auto_topic_creation;
// earlier versions always allow) and the agent's topics.auto_create is on.
#pragma once

#include <memory>

#include "broker/broker.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"
#include "kafka/server/handlers/cluster_access.h"
#include "kafka/server/handlers/handlers.h"

namespace sh::kafka {

class MetadataHandler final : public Handler {
 public:
  MetadataHandler(broker::Broker& broker, HandlerOptions options)
      : broker_(broker), options_(std::move(options)), cluster_(ResolveClusterView(options_)) {}
  ApiKey api_key() const override { return ApiKey::kMetadata; }
  int16_t min_version() const override { return 0; }
  int16_t max_version() const override { return 12; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
  const HandlerOptions options_;
  const std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
