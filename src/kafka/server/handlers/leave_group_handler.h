// LeaveGroupHandler: LeaveGroup v0-v4 (API key 13); v3+ removes a batch of members (by member id or
// group.instance.id). See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kafka/protocol/generated/leave_group.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class LeaveGroupHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion =
      std::min<int16_t>(LeaveGroupRequest::kMaxVersion, 4);

  explicit LeaveGroupHandler(group::GroupCoordinator& coordinator) : coordinator_(coordinator) {}

  ApiKey api_key() const override { return ApiKey::kLeaveGroup; }
  int16_t min_version() const override { return LeaveGroupRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
};

}  // namespace sh::kafka
