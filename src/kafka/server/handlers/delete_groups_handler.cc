#include "kafka/server/handlers/delete_groups_handler.h"

#include <string>

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {

asio::awaitable<Result<std::optional<Bytes>>> DeleteGroupsHandler::Handle(RequestContext& ctx) {
  Result<DeleteGroupsRequest> req = DecodeRequest<DeleteGroupsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  MetadataStore& store = coordinator_.store();
  DeleteGroupsResponse resp;
  for (const std::string& id : req->groups_names) {
    KafkaError error = KafkaError::kNone;
    bool was_known = false;
    if (id.empty()) {
      error = KafkaError::kInvalidGroupId;
    } else if (KafkaError e = CoordinatorError(cluster_.get(), id); e != KafkaError::kNone) {
      error = e;
    } else {
      error = coordinator_.ForgetIfEmpty(id, &was_known);
    }
    if (error == KafkaError::kNone) {
      Status st = co_await ctx.blocking.Run([&] { return store.DeleteGroup(id); });
      if (st.code() == ErrorCode::kNotFound) {
        error = was_known ? KafkaError::kNone : KafkaError::kGroupIdNotFound;
      } else if (!st.ok()) {
        error = KafkaErrorFor(st, ApiKey::kDeleteGroups);
      }
    }
    resp.results.push_back({id, Code(error)});
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
