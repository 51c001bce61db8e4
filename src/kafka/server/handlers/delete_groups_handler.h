// DeleteGroupsHandler: DeleteGroups v0-v2 (API key 42): NON_EMPTY_GROUP while members remain; else
// the group and its committed offsets are deleted. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kafka/protocol/generated/delete_groups.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class DeleteGroupsHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion =
      std::min<int16_t>(DeleteGroupsRequest::kMaxVersion, 2);

  explicit DeleteGroupsHandler(group::GroupCoordinator& coordinator) : coordinator_(coordinator) {}

  ApiKey api_key() const override { return ApiKey::kDeleteGroups; }
  int16_t min_version() const override { return DeleteGroupsRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
};

}  // namespace sh::kafka
