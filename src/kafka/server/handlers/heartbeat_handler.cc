#include "kafka/server/handlers/heartbeat_handler.h"

#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {

asio::awaitable<Result<std::optional<Bytes>>> HeartbeatHandler::Handle(RequestContext& ctx) {
  Result<HeartbeatRequest> req = DecodeRequest<HeartbeatRequest>(ctx);
  if (!req.ok()) co_return req.status();
  HeartbeatResponse resp;
  if (KafkaError e = CoordinatorError(cluster_.get(), req->group_id); e != KafkaError::kNone) {
    resp.error_code = Code(e);
    co_return EncodeResponse(ctx, resp);
  }
  resp.error_code = Code(coordinator_.Heartbeat(req->group_id, req->generation_id, req->member_id,
                                                req->group_instance_id));
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
