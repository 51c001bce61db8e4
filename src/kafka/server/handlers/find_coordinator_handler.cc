#include "kafka/server/handlers/find_coordinator_handler.h"

#include <optional>
#include <string>
#include <vector>

#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

using Coordinator = FindCoordinatorResponse::Coordinator;

constexpr int8_t kGroupKeyType = 0;
constexpr int8_t kTransactionKeyType = 1;

// The address of the group's coordinator; COORDINATOR_NOT_AVAILABLE when no
// agent coordinates it or the view lists no address for the one named.
KafkaError Locate(const ClusterView& view, const std::string& group, Coordinator* c) {
  std::optional<int32_t> node = view.CoordinatorFor(group);
  if (!node.has_value()) {
    c->error_message = "no live agent coordinates the group";
    return KafkaError::kCoordinatorNotAvailable;
  }
  for (const BrokerNode& b : view.Brokers()) {
    if (b.node_id != *node) continue;
    c->node_id = b.node_id;
    c->host = b.host;
    c->port = b.port;
    return KafkaError::kNone;
  }
  c->error_message = "the group's coordinator " + std::to_string(*node) + " is not live";
  return KafkaError::kCoordinatorNotAvailable;
}

Coordinator Answer(const std::string& key, int8_t key_type, const ClusterView& view) {
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
  } else {
    error = Locate(view, key, &c);
  }
  c.error_code = Code(error);
  if (error != KafkaError::kNone) {
    c.node_id = -1;
    c.host = "";
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
      resp.coordinators.push_back(Answer(key, req->key_type, *cluster_));
    }
  } else {
    Coordinator c = Answer(req->key, req->key_type, *cluster_);
    resp.error_code = c.error_code;
    resp.error_message = c.error_message;
    resp.node_id = c.node_id;
    resp.host = c.host;
    resp.port = c.port;
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
