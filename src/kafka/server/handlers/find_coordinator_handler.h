// FindCoordinatorHandler: FindCoordinator v0-v4 (API key 10). A group's
// coordinator is the ClusterView's CoordinatorFor(group), answered with that
// agent's node id and address from Brokers() (alone: this agent);
// COORDINATOR_NOT_AVAILABLE while there is none. v4 answers a batch of keys. Transaction
// coordinators (key type 1) do not exist: COORDINATOR_NOT_AVAILABLE. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "kafka/protocol/generated/find_coordinator.h"
#include "kafka/server/handler.h"
#include "kafka/server/handlers/cluster_access.h"
#include "kafka/server/handlers/handlers.h"

namespace sh::kafka {

class FindCoordinatorHandler final : public Handler {
 public:
  static constexpr int16_t kMaxSupportedVersion = 4;

  explicit FindCoordinatorHandler(const HandlerOptions& options)
      : cluster_(ResolveClusterView(options)) {}

  ApiKey api_key() const override { return ApiKey::kFindCoordinator; }
  int16_t min_version() const override { return FindCoordinatorRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  const std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
