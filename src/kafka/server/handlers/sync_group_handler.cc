#include "kafka/server/handlers/sync_group_handler.h"

#include <utility>

#include "kafka/server/completion.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {

asio::awaitable<Result<std::optional<Bytes>>> SyncGroupHandler::Handle(RequestContext& ctx) {
  Result<SyncGroupRequest> req = DecodeRequest<SyncGroupRequest>(ctx);
  if (!req.ok()) co_return req.status();
  if (KafkaError e = CoordinatorError(cluster_.get(), req->group_id); e != KafkaError::kNone) {
    SyncGroupResponse resp;
    resp.error_code = Code(e);
    co_return EncodeResponse(ctx, resp);
  }
  group::SyncArgs args;
  args.group_id = req->group_id;
  args.generation_id = req->generation_id;
  args.member_id = req->member_id;
  args.group_instance_id = req->group_instance_id;
  args.protocol_type = req->protocol_type;
  args.protocol_name = req->protocol_name;
  for (auto& a : req->assignments)
    args.assignments.emplace_back(a.member_id, std::move(a.assignment));

  group::SyncResult r = co_await AwaitCompletion<group::SyncResult>(
      [&](Completion<group::SyncResult> done) { coordinator_.Sync(args, std::move(done)); });

  SyncGroupResponse resp;
  resp.error_code = Code(r.error);
  if (r.error == KafkaError::kNone) {
    resp.protocol_type = r.protocol_type;
    resp.protocol_name = r.protocol_name;
    resp.assignment = std::move(r.assignment);
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
