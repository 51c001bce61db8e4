// SyncGroupHandler: SyncGroup v0-v5 (API key 14). The leader's assignment is handed to every
// member; followers wait for it. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "kafka/protocol/generated/sync_group.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class SyncGroupHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion = 5;

  // cluster: which agent coordinates each group (null: this one, every group).
  explicit SyncGroupHandler(group::GroupCoordinator& coordinator,
                            std::shared_ptr<const ClusterView> cluster = nullptr)
      : coordinator_(coordinator), cluster_(std::move(cluster)) {}

  ApiKey api_key() const override { return ApiKey::kSyncGroup; }
  int16_t min_version() const override { return SyncGroupRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
