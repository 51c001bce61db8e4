// OffsetForLeaderEpochHandler: OffsetForLeaderEpoch v0-v4 (Kafka API key 23).
//
// Consumers (KIP-320) ask where a leader epoch ended to detect log
// truncation. StreamHouse never truncates acknowledged data (it lives in
// object storage), so for the current epoch and every older one the answer is
// the high watermark with leader_epoch = the current epoch: no divergence.
//   leader_epoch > current           -> UNKNOWN_LEADER_EPOCH (the client knows a
//                                       newer leader than this agent: retriable)
//   leader_epoch < 0 (undefined)     -> leader_epoch -1, end_offset -1, no error
//   current_leader_epoch (v2+, if not -1) > current -> UNKNOWN_LEADER_EPOCH,
//                                         < current -> FENCED_LEADER_EPOCH
// The current epoch is the one Metadata reports as leader_epoch: the
// ClusterView's when it knows one, else the partition lease's
// (Broker::LeaderEpoch). A partition led by another agent is
// NOT_LEADER_OR_FOLLOWER (no broker call).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "kafka/protocol/generated/offset_for_leader_epoch.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

class OffsetForLeaderEpochHandler final : public Handler {
 public:
  // cluster: who leads each partition (null: this agent leads all).
  explicit OffsetForLeaderEpochHandler(broker::Broker& broker,
                                       std::shared_ptr<const ClusterView> cluster = nullptr)
      : broker_(broker), cluster_(std::move(cluster)) {}

  ApiKey api_key() const override { return ApiKey::kOffsetForLeaderEpoch; }
  int16_t min_version() const override { return OffsetForLeaderEpochRequest::kMinVersion; }
  int16_t max_version() const override { return 4; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  // Blocking: runs on a BlockingExecutor worker.
  OffsetForLeaderEpochResponse Answer(const OffsetForLeaderEpochRequest& req);
  OffsetForLeaderEpochResponse::EpochEndOffset AnswerPartition(
      const std::string& topic, const OffsetForLeaderEpochRequest::OffsetForLeaderPartition& p);

  broker::Broker& broker_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
