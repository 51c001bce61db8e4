// AlterConfigsHandler: AlterConfigs v0-v2 (Kafka API key 33).
//
// Full replace: a topic's configs become exactly those in the request; any
// config left out returns to the broker default. Only topics (resource type 2)
// can be altered: broker settings are static, read from the agent's
// configuration, so a BROKER resource gets INVALID_REQUEST. Unknown names or
// bad values are INVALID_CONFIG with the broker's message; a null value or a
// name given twice is INVALID_REQUEST. validate_only checks without changing.
#pragma once

#include <cstdint>

#include "kafka/protocol/generated/alter_configs.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

class AlterConfigsHandler final : public Handler {
 public:
  explicit AlterConfigsHandler(broker::Broker& broker) : broker_(broker) {}

  ApiKey api_key() const override { return ApiKey::kAlterConfigs; }
  int16_t min_version() const override { return AlterConfigsRequest::kMinVersion; }
  int16_t max_version() const override { return 2; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  AlterConfigsResponse Answer(const AlterConfigsRequest& req);
  AlterConfigsResponse::AlterConfigsResourceResponse AlterOne(
      const AlterConfigsRequest::AlterConfigsResource& res, bool validate_only);

  broker::Broker& broker_;
};

}  // namespace sh::kafka
