// OffsetFetchHandler: OffsetFetch v0-v8 (API key 9); v8 asks for several groups at once. Partitions
// without a commit answer offset -1. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "kafka/protocol/generated/offset_fetch.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class OffsetFetchHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion = 8;

  // cluster: which agent coordinates each group (null: this one, every group).
  explicit OffsetFetchHandler(group::GroupCoordinator& coordinator,
                              std::shared_ptr<const ClusterView> cluster = nullptr)
      : coordinator_(coordinator), cluster_(std::move(cluster)) {}

  ApiKey api_key() const override { return ApiKey::kOffsetFetch; }
  int16_t min_version() const override { return OffsetFetchRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
