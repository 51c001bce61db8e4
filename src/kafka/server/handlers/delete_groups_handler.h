// DeleteGroupsHandler: DeleteGroups v0-v2 (API key 42): NON_EMPTY_GROUP while members remain; else
// the group and its committed offsets are deleted. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "kafka/protocol/generated/delete_groups.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class DeleteGroupsHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion = 2;

  // cluster: which agent coordinates each group (null: this one, every group).
  explicit DeleteGroupsHandler(group::GroupCoordinator& coordinator,
                               std::shared_ptr<const ClusterView> cluster = nullptr)
      : coordinator_(coordinator), cluster_(std::move(cluster)) {}

  ApiKey api_key() const override { return ApiKey::kDeleteGroups; }
  int16_t min_version() const override { return DeleteGroupsRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
