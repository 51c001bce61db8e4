// ListOffsets (key 2), versions 0-7 (Kafka 3.0's maximum).
//
// timestamp -2: the log start offset; -1: the high watermark; >= 0: the first
// offset whose record timestamp is >= it (offset -1 and timestamp -1 if no
// record is that late); -3 (max timestamp, v7): the offset of the record with
// the largest timestamp. v0 answers in old_style_offsets.
//
// A partition led by another agent is NOT_LEADER_OR_FOLLOWER (no broker
// call); v4+ current_leader_epoch is checked against the leader epoch
// Metadata reports (older: FENCED_LEADER_EPOCH, newer: UNKNOWN_LEADER_EPOCH).
#pragma once

#include <memory>
#include <utility>

#include "broker/broker.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class ListOffsetsHandler final : public Handler {
 public:
  // cluster: who leads each partition (null: this agent leads all).
  explicit ListOffsetsHandler(broker::Broker& broker,
                              std::shared_ptr<const ClusterView> cluster = nullptr)
      : broker_(broker), cluster_(std::move(cluster)) {}
  ApiKey api_key() const override { return ApiKey::kListOffsets; }
  int16_t min_version() const override { return 0; }
  int16_t max_version() const override { return 7; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
