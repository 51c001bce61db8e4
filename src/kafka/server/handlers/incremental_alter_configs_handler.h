// IncrementalAlterConfigsHandler: IncrementalAlterConfigs v0-v1 (API key 44).
//
// Per config: SET (0) sets a value, DELETE (1) returns it to the broker
// default, APPEND (2) and SUBTRACT (3) add or remove items of a list config
// (cleanup.policy), starting from its effective value. APPEND/SUBTRACT on a
// config that is not a list, an unknown operation, a null value for SET,
// APPEND or SUBTRACT, or one name twice: INVALID_REQUEST. Unknown names and
// bad values: INVALID_CONFIG with the broker's message. Topics (resource type
// 2) only; BROKER resources get INVALID_REQUEST (broker settings are static).
#pragma once

#include <cstdint>

#include "kafka/protocol/generated/incremental_alter_configs.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

// Kafka's AlterConfigOp.OpType.
enum class ConfigOp : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

class IncrementalAlterConfigsHandler final : public Handler {
 public:
  explicit IncrementalAlterConfigsHandler(broker::Broker& broker) : broker_(broker) {}

  ApiKey api_key() const override { return ApiKey::kIncrementalAlterConfigs; }
  int16_t min_version() const override { return IncrementalAlterConfigsRequest::kMinVersion; }
  int16_t max_version() const override { return 1; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  IncrementalAlterConfigsResponse Answer(const IncrementalAlterConfigsRequest& req);
  IncrementalAlterConfigsResponse::AlterConfigsResourceResponse AlterOne(
      const IncrementalAlterConfigsRequest::AlterConfigsResource& res, bool validate_only);

  broker::Broker& broker_;
};

}  // namespace sh::kafka
