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
// order. Idempotent-producer refusals: OUT_OF_ORDER_SEQUENCE_NUMBER,
// INVALID_PRODUCER_EPOCH, INVALID_RECORD; a retried duplicate is answered
// with the original offsets.
#pragma once

#include "broker/broker.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class ProduceHandler final : public Handler {
 public:
  explicit ProduceHandler(broker::Broker& broker) : broker_(broker) {}
  ApiKey api_key() const override { return ApiKey::kProduce; }
  int16_t min_version() const override { return 3; }
  int16_t max_version() const override { return 9; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
};

}  // namespace sh::kafka
