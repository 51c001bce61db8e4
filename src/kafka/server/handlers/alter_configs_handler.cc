#include "kafka/server/handlers/alter_configs_handler.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/describe_configs_handler.h"

namespace sh::kafka {
namespace {

using Resource = AlterConfigsRequest::AlterConfigsResource;
using ResourceResult = AlterConfigsResponse::AlterConfigsResourceResponse;

// The answer for one resource; a null message for success, as Kafka sends.
ResourceResult Answered(const Resource& res, KafkaError error, std::optional<std::string> message) {
  return {Code(error), std::move(message), res.resource_type, res.resource_name};
}

ResourceResult Failed(const Resource& res, KafkaError error, std::string message) {
  return Answered(res, error, std::move(message));
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> AlterConfigsHandler::Handle(RequestContext& ctx) {
  Result<AlterConfigsRequest> req = DecodeRequest<AlterConfigsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  AlterConfigsResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req); });
  co_return EncodeResponse(ctx, resp);
}

AlterConfigsResponse AlterConfigsHandler::Answer(const AlterConfigsRequest& req) {
  AlterConfigsResponse resp;
  for (const Resource& res : req.resources)
    resp.responses.push_back(AlterOne(res, req.validate_only));
  return resp;
}

ResourceResult AlterConfigsHandler::AlterOne(const Resource& res, bool validate_only) {
  if (std::optional<AlterRefusal> refusal = RefuseAlter(res.resource_type, res.resource_name)) {
    return Failed(res, refusal->error, refusal->message);
  }
  std::map<std::string, std::string> set;
  for (const auto& c : res.configs) {
    if (!c.value.has_value()) {
      return Failed(res, KafkaError::kInvalidRequest, "null value for config '" + c.name + "'");
    }
    if (!set.emplace(c.name, *c.value).second) {
      return Failed(res, KafkaError::kInvalidRequest, "config '" + c.name + "' given twice");
    }
  }
  Status st =
      broker_.AlterTopicConfig(res.resource_name, set, {}, /*incremental=*/false, validate_only);
  if (!st.ok()) return Failed(res, KafkaErrorFor(st, ApiKey::kAlterConfigs), st.message());
  return Answered(res, KafkaError::kNone, std::nullopt);
}

}  // namespace sh::kafka
