#include "kafka/server/handlers/list_groups_handler.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> ListGroupsHandler::Handle(RequestContext& ctx) {
  Result<ListGroupsRequest> req = DecodeRequest<ListGroupsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  std::set<std::string> states;  // v4: Kafka compares state names without case
  for (const std::string& s : req->states_filter) states.insert(Lower(s));

  ListGroupsResponse resp;
  std::set<std::string> seen;
  auto add = [&](const std::string& id, const std::string& type, const std::string& state) {
    // Only the groups this agent coordinates: the others list theirs.
    if (CoordinatorError(cluster_.get(), id) != KafkaError::kNone) return;
    if (!seen.insert(id).second) return;
    if (!states.empty() && states.count(Lower(state)) == 0) return;
    resp.groups.push_back({id, type, state, ""});
  };
  for (const group::GroupSummary& g : coordinator_.ListActive()) {
    if (g.state != group::GroupState::kDead) add(g.group_id, g.protocol_type, StateName(g.state));
  }
  // Groups known only by their committed offsets are Empty.
  MetadataStore& store = coordinator_.store();
  Result<std::vector<ConsumerGroupInfo>> stored =
      co_await ctx.blocking.Run([&] { return store.ListGroups(); });
  if (!stored.ok()) {
    resp.error_code = Code(KafkaErrorFor(stored.status(), ApiKey::kListGroups));
  } else {
    for (const ConsumerGroupInfo& g : *stored) {
      add(g.group_id, g.protocol_type.empty() ? "consumer" : g.protocol_type, "Empty");
    }
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
