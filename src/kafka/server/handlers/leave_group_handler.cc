#include "kafka/server/handlers/leave_group_handler.h"

#include <vector>

#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {

asio::awaitable<Result<std::optional<Bytes>>> LeaveGroupHandler::Handle(RequestContext& ctx) {
  Result<LeaveGroupRequest> req = DecodeRequest<LeaveGroupRequest>(ctx);
  if (!req.ok()) co_return req.status();
  if (KafkaError e = CoordinatorError(cluster_.get(), req->group_id); e != KafkaError::kNone) {
    LeaveGroupResponse resp;
    resp.error_code = Code(e);
    co_return EncodeResponse(ctx, resp);
  }
  const bool batched = ctx.header.request_api_version >= 3;
  std::vector<group::LeaveMember> leaving;
  if (batched) {
    for (const auto& m : req->members) leaving.push_back({m.member_id, m.group_instance_id});
  } else {
    leaving.push_back({req->member_id, std::nullopt});
  }
  std::vector<KafkaError> errors;
  KafkaError top = coordinator_.Leave(req->group_id, leaving, &errors);

  LeaveGroupResponse resp;
  resp.error_code = Code(top);
  if (batched) {
    for (size_t i = 0; i < errors.size(); ++i) {
      resp.members.push_back({leaving[i].member_id, leaving[i].group_instance_id, Code(errors[i])});
    }
  } else if (top == KafkaError::kNone && !errors.empty()) {
    resp.error_code = Code(errors[0]);  // v0-v2 carry the one member's error at the top
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
