// ListGroupsHandler: ListGroups v0-v4 (API key 16): groups with members and groups known only by
// their committed offsets; v4 filters by state. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kafka/protocol/generated/list_groups.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class ListGroupsHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion =
      std::min<int16_t>(ListGroupsRequest::kMaxVersion, 4);

  explicit ListGroupsHandler(group::GroupCoordinator& coordinator) : coordinator_(coordinator) {}

  ApiKey api_key() const override { return ApiKey::kListGroups; }
  int16_t min_version() const override { return ListGroupsRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
};

}  // namespace sh::kafka
