// JoinGroupHandler: JoinGroup v0-v7 (API key 11). Waits (as a parked coroutine) for the rebalance
// to complete; v4+ first joins get MEMBER_ID_REQUIRED (KIP-394). See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "kafka/protocol/generated/join_group.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class JoinGroupHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion = 7;

  // cluster: which agent coordinates each group (null: this one, every group).
  explicit JoinGroupHandler(group::GroupCoordinator& coordinator,
                            std::shared_ptr<const ClusterView> cluster = nullptr)
      : coordinator_(coordinator), cluster_(std::move(cluster)) {}

  ApiKey api_key() const override { return ApiKey::kJoinGroup; }
  int16_t min_version() const override { return JoinGroupRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
