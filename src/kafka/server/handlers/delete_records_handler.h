// DeleteRecordsHandler: DeleteRecords v0-v2 (Kafka API key 21).
//
// Raises each partition's log start offset to `offset` (-1: the high
// watermark) and answers the new low watermark. An offset above the high
// watermark or below -1 is OFFSET_OUT_OF_RANGE; an unknown topic or partition
// UNKNOWN_TOPIC_OR_PARTITION; the low watermark of a failed partition is -1.
// Records below the new start stop being readable at once; their segments go
// when no readable offset is left in them. timeout_ms is ignored. A partition
// led by another agent is NOT_LEADER_OR_FOLLOWER (no broker call).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "kafka/protocol/generated/delete_records.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

class DeleteRecordsHandler final : public Handler {
 public:
  // cluster: who leads each partition (null: this agent leads all).
  explicit DeleteRecordsHandler(broker::Broker& broker,
                                std::shared_ptr<const ClusterView> cluster = nullptr)
      : broker_(broker), cluster_(std::move(cluster)) {}

  ApiKey api_key() const override { return ApiKey::kDeleteRecords; }
  int16_t min_version() const override { return DeleteRecordsRequest::kMinVersion; }
  int16_t max_version() const override { return 2; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  DeleteRecordsResponse Answer(const DeleteRecordsRequest& req);

  broker::Broker& broker_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
