// Produce (key 0), versions 3-9: magic 2 record batches only (v0-v2 carry the
// older message formats, which StreamHouse does not store); 9 is Kafka 3.0's
// maximum.
//
// acks 0, 1 and -1 are accepted (anything else: INVALID_REQUIRED_ACKS); with
// acks=0 no response is sent, as in Kafka. Each partition's records are
// validated and appended by the broker; a partition's failure (unknown topic,
// corrupt batch, too large) is answered for that partition only.
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
