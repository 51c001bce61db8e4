// InitProducerIdHandler: InitProducerId v0-v4 (Kafka API key 22), the first
// request of an idempotent producer (librdkafka enable.idempotence=true, the
// Java client's default since 3.0). See docs/idempotent-producers.md.
//
// StreamHouse has no transactions, so only transactional_id = null is served,
// exactly as Kafka's TransactionCoordinator serves it:
//   transactional_id null   -> a new, never reused producer id with epoch 0.
//                              A producer_id/producer_epoch in the request
//                              (v3+, KIP-360) is checked for consistency and
//                              otherwise ignored: Kafka too answers a null
//                              transactional id with a fresh id, never with
//                              the old id at epoch + 1 (nothing on the broker
//                              could prove the caller owns that id).
//   producer_id and producer_epoch not both -1 or both set -> INVALID_REQUEST
//   transactional_id ""     -> INVALID_REQUEST (as Kafka)
//   transactional_id set    -> TRANSACTIONAL_ID_AUTHORIZATION_FAILED: fatal in
//                              both clients, so a transactional producer stops
//                              at once with a clear error instead of retrying.
//   allocation failed       -> COORDINATOR_LOAD_IN_PROGRESS if retriable (both
//                              clients retry it), UNKNOWN_SERVER_ERROR otherwise.
// On an error the response carries producer id -1 and epoch -1, as Kafka's.
// transaction_timeout_ms is ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "base/status.h"
#include "kafka/protocol/generated/init_producer_id.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class InitProducerIdHandler final : public Handler {
 public:
  // Returns a new producer id, never handed out before (in the agent:
  // MetadataStore::AllocateProducerId). May block: it runs on a
  // BlockingExecutor worker. Must be callable from several threads at once.
  using ProducerIdAllocator = std::function<Result<int64_t>()>;

  // Kafka 3.0 answers up to v4; v5 belongs to newer transaction protocols.
  static constexpr int16_t kMaxVersion = 4;

  explicit InitProducerIdHandler(ProducerIdAllocator allocate) : allocate_(std::move(allocate)) {}

  ApiKey api_key() const override { return ApiKey::kInitProducerId; }
  int16_t min_version() const override { return InitProducerIdRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

  // The answer to one request. Blocking (calls the allocator).
  InitProducerIdResponse Answer(const InitProducerIdRequest& req);

 private:
  ProducerIdAllocator allocate_;
};

}  // namespace sh::kafka
