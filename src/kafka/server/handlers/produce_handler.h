// Produce (key 0), versions 3-9: magic 2 record batches only (v0-v2 carry the
// older message formats, which StreamHouse does not store); 9 is Kafka 3.0's
// maximum.
//
// acks 0, 1 and -1 are accepted (anything else: INVALID_REQUIRED_ACKS); with
// acks=0 no response is sent, as in Kafka. Each partition's records are
// validated and appended by the broker; a partition's failure (unknown topic,
// corrupt batch, too large) is answered for that partition only.
//
// Durability (docs/durability.md): the response waits until the broker says
// every partition's batches are in a durable WAL object. The wait holds no
// thread: Broker::ProduceAsync is started on a BlockingExecutor worker (it
// looks up metadata) and its callbacks complete an asio async operation, so
// any number of requests can wait for one group commit. acks=0 requests wait
// the same way (without a response), which keeps a connection's requests in
// order. A partition led by another agent (per the ClusterView) gets
// NOT_LEADER_OR_FOLLOWER without a broker call. Idempotent-producer refusals:
// OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_RECORD; a retried duplicate is
// answered with the original offsets.
#pragma once

#include <memory>
#include <utility>

#include "broker/broker.h"
#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class ProduceHandler final : public Handler {
 public:
  // cluster: who leads each partition (null: this agent leads all).
  explicit ProduceHandler(broker::Broker& broker,
                          std::shared_ptr<const ClusterView> cluster = nullptr)
      : broker_(broker), cluster_(std::move(cluster)) {}
  ApiKey api_key() const override { return ApiKey::kProduce; }
  int16_t min_version() const override { return 3; }
  int16_t max_version() const override { return 9; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
