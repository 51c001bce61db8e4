#include "kafka/server/handlers/find_coordinator_handler.h"

#include <string>
#include <vector>

#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

using Coordinator = FindCoordinatorResponse::Coordinator;

constexpr int8_t kGroupKeyType = 0;
constexpr int8_t kTransactionKeyType = 1;

Coordinator Answer(const std::string& key, int8_t key_type, const HandlerOptions& options) {
  Coordinator c;
  c.key = key;
  c.error_message = std::nullopt;
  KafkaError error = KafkaError::kNone;
  if (key_type == kTransactionKeyType) {
    error = KafkaError::kCoordinatorNotAvailable;
    c.error_message = "transactions are not supported";
  } else if (key_type != kGroupKeyType) {
    error = KafkaError::kInvalidRequest;
    c.error_message = "unknown coordinator key type " + std::to_string(key_type);
  } else if (key.empty()) {
    error = KafkaError::kInvalidRequest;
    c.error_message = "empty group id";
  }
  c.error_code = Code(error);
  if (error == KafkaError::kNone) {
    c.node_id = options.node_id;
    c.host = options.advertised_host;
    c.port = options.advertised_port;
  } else {
    c.node_id = -1;
    c.port = -1;
  }
  return c;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> FindCoordinatorHandler::Handle(RequestContext& ctx) {
  Result<FindCoordinatorRequest> req = DecodeRequest<FindCoordinatorRequest>(ctx);
  if (!req.ok()) co_return req.status();
  FindCoordinatorResponse resp;
  if (ctx.header.request_api_version >= 4) {
    for (const std::string& key : req->coordinator_keys) {
      resp.coordinators.push_back(Answer(key, req->key_type, options_));
    }
  } else {
    Coordinator c = Answer(req->key, req->key_type, options_);
    resp.error_code = c.error_code;
    resp.error_message = c.error_message;
    resp.node_id = c.node_id;
    resp.host = c.host;
    resp.port = c.port;
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
