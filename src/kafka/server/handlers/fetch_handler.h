// Fetch (key 1), versions 4-12: magic 2 batches (v4+); 12 is Kafka 3.0's
// maximum (v13+ names topics by id).
//
// Long polling: when the partitions hold fewer than min_bytes, the handler
// waits up to max_wait_ms and is woken as soon as any of them gets new
// records (Broker data listeners), then reads again. Fetch sessions
// (KIP-227) are not kept: every response carries session id 0, which tells
// clients to keep sending full fetch requests, as a broker whose session
// cache is full would.
#pragma once

#include "broker/broker.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class FetchHandler final : public Handler {
 public:
  explicit FetchHandler(broker::Broker& broker) : broker_(broker) {}
  ApiKey api_key() const override { return ApiKey::kFetch; }
  int16_t min_version() const override { return 4; }
  int16_t max_version() const override { return 12; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
};

}  // namespace sh::kafka
