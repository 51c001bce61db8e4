// OffsetCommitHandler: OffsetCommit v0-v8 (API key 8). Generation and member are checked by the
// coordinator; offsets and metadata are written to the metadata store. See docs/consumer-groups.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "kafka/protocol/generated/offset_commit.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

class OffsetCommitHandler final : public Handler {
 public:
  // Kafka 3.0's highest version; the codec knows later ones.
  static constexpr int16_t kMaxSupportedVersion = 8;

  // cluster: which agent coordinates each group (null: this one, every group).
  explicit OffsetCommitHandler(group::GroupCoordinator& coordinator,
                               std::shared_ptr<const ClusterView> cluster = nullptr)
      : coordinator_(coordinator), cluster_(std::move(cluster)) {}

  ApiKey api_key() const override { return ApiKey::kOffsetCommit; }
  int16_t min_version() const override { return OffsetCommitRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxSupportedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  group::GroupCoordinator& coordinator_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
