// Fetch (key 1), versions 4-12: magic 2 batches (v4+); 12 is Kafka 3.0's
// maximum (v13+ names topics by id).
//
// Long polling: when the partitions hold fewer than min_bytes, the handler
// waits up to max_wait_ms and is woken as soon as any of them gets new
// records (Broker data listeners), then reads again. Fetch sessions
// (KIP-227) are not kept: every response carries session id 0, which tells
// clients to keep sending full fetch requests, as a broker whose session
// cache is full would.
//
// Several agents: a partition led by another agent is NOT_LEADER_OR_FOLLOWER
// (no broker call); v9+ current_leader_epoch is checked against the leader
// epoch Metadata reports (older: FENCED_LEADER_EPOCH, newer:
// UNKNOWN_LEADER_EPOCH). Errors are per partition and answered at once.
#pragma once

#include <memory>
#include <utility>

#include "broker/broker.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class FetchHandler final : public Handler {
 public:
  // cluster: who leads each partition (null: this agent leads all).
  explicit FetchHandler(broker::Broker& broker,
                        std::shared_ptr<const ClusterView> cluster = nullptr)
      : broker_(broker), cluster_(std::move(cluster)) {}
  ApiKey api_key() const override { return ApiKey::kFetch; }
  int16_t min_version() const override { return 4; }
  int16_t max_version() const override { return 12; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
