// DescribeGroupsHandler: DescribeGroups v0-v5 (API key 15): state, protocol, members with metadata
// and assignment (when Stable). Unknown groups are Dead. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kafka/protocol/generated/describe_groups.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class DescribeGroupsHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion =
      std::min<int16_t>(DescribeGroupsRequest::kMaxVersion, 5);

  explicit DescribeGroupsHandler(group::GroupCoordinator& coordinator)
      : coordinator_(coordinator) {}

  ApiKey api_key() const override { return ApiKey::kDescribeGroups; }
  int16_t min_version() const override { return DescribeGroupsRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
};

}  // namespace sh::kafka
