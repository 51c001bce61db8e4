#include "kafka/server/handlers/describe_groups_handler.h"

#include <optional>
#include <string>
#include <utility>

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {

using Described = DescribeGroupsResponse::DescribedGroup;

asio::awaitable<Result<std::optional<Bytes>>> DescribeGroupsHandler::Handle(RequestContext& ctx) {
  Result<DescribeGroupsRequest> req = DecodeRequest<DescribeGroupsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  MetadataStore& store = coordinator_.store();
  DescribeGroupsResponse resp;
  for (const std::string& id : req->groups) {
    Described d;
    d.group_id = id;
    if (id.empty()) {
      d.error_code = Code(KafkaError::kInvalidGroupId);
      resp.groups.push_back(std::move(d));
      continue;
    }
    if (KafkaError e = CoordinatorError(cluster_.get(), id); e != KafkaError::kNone) {
      d.error_code = Code(e);
      resp.groups.push_back(std::move(d));
      continue;
    }
    std::optional<group::GroupSummary> s = coordinator_.Describe(id);
    if (s.has_value()) {
      d.group_state = StateName(s->state);
      d.protocol_type = s->protocol_type;
      d.protocol_data = s->protocol_name;
      for (auto& m : s->members) {
        d.members.push_back({m.member_id, m.group_instance_id, m.client_id, m.client_host,
                             std::move(m.metadata), std::move(m.assignment)});
      }
    } else {
      // No member state: Empty if offsets are stored, else Dead (as Kafka).
      Result<ConsumerGroupInfo> stored =
          co_await ctx.blocking.Run([&] { return store.GetGroup(id); });
      if (stored.ok()) {
        d.group_state = "Empty";
        d.protocol_type = stored->protocol_type.empty() ? "consumer" : stored->protocol_type;
      } else if (stored.status().code() == ErrorCode::kNotFound) {
        d.group_state = "Dead";
      } else {
        d.error_code = Code(KafkaErrorFor(stored.status(), ApiKey::kDescribeGroups));
      }
    }
    resp.groups.push_back(std::move(d));
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
