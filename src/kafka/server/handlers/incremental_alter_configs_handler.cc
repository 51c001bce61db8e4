#include "kafka/server/handlers/incremental_alter_configs_handler.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/describe_configs_handler.h"

namespace sh::kafka {
namespace {

using Resource = IncrementalAlterConfigsRequest::AlterConfigsResource;
using Config = IncrementalAlterConfigsRequest::AlterableConfig;
using ResourceResult = IncrementalAlterConfigsResponse::AlterConfigsResourceResponse;

// The answer for one resource; a null message for success, as Kafka sends.
ResourceResult Answered(const Resource& res, KafkaError error, std::optional<std::string> message) {
  return {Code(error), std::move(message), res.resource_type, res.resource_name};
}

ResourceResult Failed(const Resource& res, KafkaError error, std::string message) {
  return Answered(res, error, std::move(message));
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(start, comma - start);
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

// APPEND adds the items not yet there; SUBTRACT removes every given item.
std::string ApplyListOp(const std::string& current, const std::string& operand, ConfigOp op) {
  std::vector<std::string> items = SplitList(current);
  for (const std::string& item : SplitList(operand)) {
    auto it = std::find(items.begin(), items.end(), item);
    if (op == ConfigOp::kAppend && it == items.end()) items.push_back(item);
    if (op == ConfigOp::kSubtract)
      items.erase(std::remove(items.begin(), items.end(), item), items.end());
  }
  return JoinList(items);
}

struct Changes {
  std::map<std::string, std::string> set;
  std::vector<std::string> remove;
  std::vector<const Config*> list_ops;  // APPEND/SUBTRACT, applied once the values are known
};

// Sorts the request's configs into changes; INVALID_REQUEST-worthy problems
// come back as InvalidArgument, unknown list configs as NotFound.
Result<Changes> Classify(const std::vector<Config>& configs) {
  Changes out;
  std::set<std::string> seen;
  for (const Config& c : configs) {
    if (!seen.insert(c.name).second) {
      return Status::InvalidArgument("config '" + c.name + "' given twice");
    }
    auto op = static_cast<ConfigOp>(c.config_operation);
    if (c.config_operation < 0 || c.config_operation > 3) {
      return Status::InvalidArgument("unknown config operation " +
                                     std::to_string(c.config_operation) + " for '" + c.name + "'");
    }
    if (op != ConfigOp::kDelete && !c.value.has_value()) {
      return Status::InvalidArgument("null value for config '" + c.name + "'");
    }
    if (op == ConfigOp::kSet) out.set[c.name] = *c.value;
    if (op == ConfigOp::kDelete) out.remove.push_back(c.name);
    if (op == ConfigOp::kAppend || op == ConfigOp::kSubtract) {
      ConfigType type = KindOfTopicConfig(c.name).type;
      if (type == ConfigType::kUnknown) {
        return Status::NotFound("unknown topic config '" + c.name + "'");
      }
      if (type != ConfigType::kList) {
        return Status::InvalidArgument("'" + c.name + "' is not a list: APPEND and SUBTRACT " +
                                       "apply only to list configs");
      }
      out.list_ops.push_back(&c);
    }
  }
  return out;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> IncrementalAlterConfigsHandler::Handle(
    RequestContext& ctx) {
  Result<IncrementalAlterConfigsRequest> req = DecodeRequest<IncrementalAlterConfigsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  IncrementalAlterConfigsResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req); });
  co_return EncodeResponse(ctx, resp);
}

IncrementalAlterConfigsResponse IncrementalAlterConfigsHandler::Answer(
    const IncrementalAlterConfigsRequest& req) {
  IncrementalAlterConfigsResponse resp;
  for (const Resource& res : req.resources)
    resp.responses.push_back(AlterOne(res, req.validate_only));
  return resp;
}

ResourceResult IncrementalAlterConfigsHandler::AlterOne(const Resource& res, bool validate_only) {
  if (std::optional<AlterRefusal> refusal = RefuseAlter(res.resource_type, res.resource_name)) {
    return Failed(res, refusal->error, refusal->message);
  }
  Result<Changes> changes = Classify(res.configs);
  if (!changes.ok()) {
    bool unknown = changes.status().code() == ErrorCode::kNotFound;
    return Failed(res, unknown ? KafkaError::kInvalidConfig : KafkaError::kInvalidRequest,
                  changes.status().message());
  }
  if (!changes->list_ops.empty()) {
    Result<std::vector<broker::ConfigEntry>> current =
        broker_.DescribeTopicConfig(res.resource_name);
    if (!current.ok()) {
      return Failed(res, KafkaErrorFor(current.status(), ApiKey::kIncrementalAlterConfigs),
                    current.status().message());
    }
    for (const Config* c : changes->list_ops) {
      auto it = std::find_if(current->begin(), current->end(),
                             [&](const broker::ConfigEntry& e) { return e.name == c->name; });
      std::string value = it == current->end() ? "" : it->value;
      changes->set[c->name] =
          ApplyListOp(value, *c->value, static_cast<ConfigOp>(c->config_operation));
    }
  }
  Status st = broker_.AlterTopicConfig(res.resource_name, changes->set, changes->remove,
                                       /*incremental=*/true, validate_only);
  if (!st.ok())
    return Failed(res, KafkaErrorFor(st, ApiKey::kIncrementalAlterConfigs), st.message());
  return Answered(res, KafkaError::kNone, std::nullopt);
}

}  // namespace sh::kafka
