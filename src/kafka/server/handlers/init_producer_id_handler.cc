#include "kafka/server/handlers/init_producer_id_handler.h"

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

// Kafka's RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH.
constexpr int64_t kNoProducerId = -1;
constexpr int16_t kNoProducerEpoch = -1;

InitProducerIdResponse Failed(KafkaError error) {
  InitProducerIdResponse resp;
  resp.error_code = Code(error);
  resp.producer_id = kNoProducerId;
  resp.producer_epoch = kNoProducerEpoch;
  return resp;
}

// The allocator's failure as the clients should see it. Retriable failures
// (the metadata store is down or slow) become COORDINATOR_LOAD_IN_PROGRESS,
// the one code both librdkafka and the Java client (3.0 and later) retry for
// InitProducerId; KafkaErrorFor's KAFKA_STORAGE_ERROR would be fatal to the
// Java client here.
KafkaError AllocationError(const Status& status) {
  return status.retriable() ? KafkaError::kCoordinatorLoadInProgress
                            : KafkaError::kUnknownServerError;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> InitProducerIdHandler::Handle(RequestContext& ctx) {
  Result<InitProducerIdRequest> req = DecodeRequest<InitProducerIdRequest>(ctx);
  if (!req.ok()) co_return req.status();
  InitProducerIdResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req); });
  co_return EncodeResponse(ctx, resp);
}

InitProducerIdResponse InitProducerIdHandler::Answer(const InitProducerIdRequest& req) {
  if (req.transactional_id.has_value()) {
    return Failed(req.transactional_id->empty() ? KafkaError::kInvalidRequest
                                                : KafkaError::kTransactionalIdAuthorizationFailed);
  }
  // KIP-360 (v3+): the producer's current id and epoch come together or not at all.
  bool has_id = req.producer_id != kNoProducerId;
  bool has_epoch = req.producer_epoch != kNoProducerEpoch;
  if (has_id != has_epoch) return Failed(KafkaError::kInvalidRequest);

  Result<int64_t> id = allocate_();
  if (!id.ok()) return Failed(AllocationError(id.status()));
  if (*id < 0) return Failed(KafkaError::kUnknownServerError);
  InitProducerIdResponse resp;
  resp.error_code = Code(KafkaError::kNone);
  resp.producer_id = *id;
  resp.producer_epoch = 0;
  return resp;
}

}  // namespace sh::kafka
