#include "kafka/server/handlers/join_group_handler.h"

#include <string>
#include <utility>

#include "kafka/server/completion.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

// "127.0.0.1:53412" -> "/127.0.0.1", as Kafka shows client hosts.
std::string ClientHost(const std::string& peer) {
  size_t colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> JoinGroupHandler::Handle(RequestContext& ctx) {
  Result<JoinGroupRequest> req = DecodeRequest<JoinGroupRequest>(ctx);
  if (!req.ok()) co_return req.status();
  const int16_t version = ctx.header.request_api_version;
  if (KafkaError e = CoordinatorError(cluster_.get(), req->group_id); e != KafkaError::kNone) {
    JoinGroupResponse resp;
    resp.error_code = Code(e);
    resp.member_id = req->member_id;
    resp.protocol_name = version >= 7 ? std::nullopt : std::optional<std::string>("");
    co_return EncodeResponse(ctx, resp);
  }
  group::JoinArgs args;
  args.group_id = req->group_id;
  args.member_id = req->member_id;
  args.group_instance_id = req->group_instance_id;
  args.protocol_type = req->protocol_type;
  for (auto& p : req->protocols) args.protocols.push_back({p.name, std::move(p.metadata)});
  args.session_timeout_ms = req->session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout serves for both.
  args.rebalance_timeout_ms = version == 0 ? req->session_timeout_ms : req->rebalance_timeout_ms;
  args.client_id = ctx.header.client_id.value_or("");
  args.client_host = ClientHost(ctx.peer);
  args.require_known_member_id = version >= 4;

  group::JoinResult r = co_await AwaitCompletion<group::JoinResult>(
      [&](Completion<group::JoinResult> done) { coordinator_.Join(args, std::move(done)); });

  JoinGroupResponse resp;
  resp.error_code = Code(r.error);
  resp.generation_id = r.generation_id;
  resp.member_id = r.member_id;
  resp.leader = r.leader;
  if (r.error == KafkaError::kNone) {
    resp.protocol_type = r.protocol_type;
    resp.protocol_name = r.protocol_name;
  } else {
    resp.protocol_type = std::nullopt;
    resp.protocol_name = version >= 7 ? std::nullopt : std::optional<std::string>("");
  }
  for (auto& m : r.members) {
    resp.members.push_back({m.member_id, m.group_instance_id, std::move(m.metadata)});
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
