#include "kafka/server/handlers/offset_delete_handler.h"

#include <set>
#include <string>

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

using Response = OffsetDeleteResponse;

// Blocking: deletes each named offset that no member consumes.
Response Delete(MetadataStore& store, const OffsetDeleteRequest& req,
                const std::set<std::string>& subscribed, bool held_in_memory) {
  Response resp;
  Result<ConsumerGroupInfo> group = store.GetGroup(req.group_id);
  if (!group.ok()) {
    bool missing = group.status().code() == ErrorCode::kNotFound;
    if (!missing || !held_in_memory) {
      resp.error_code = Code(missing ? KafkaError::kGroupIdNotFound
                                     : KafkaErrorFor(group.status(), ApiKey::kOffsetDelete));
      return resp;
    }
  }
  for (const auto& t : req.topics) {
    Response::OffsetDeleteResponseTopic topic;
    topic.name = t.name;
    Result<TopicInfo> info = store.GetTopic(t.name);
    for (const auto& p : t.partitions) {
      KafkaError error = KafkaError::kNone;
      if (subscribed.count(t.name) > 0) {
        error = KafkaError::kGroupSubscribedToTopic;
      } else if (!info.ok() || p.partition_index < 0 ||
                 p.partition_index >= info->partition_count) {
        error = KafkaError::kUnknownTopicOrPartition;
      } else {
        Status st = store.DeleteOffset(req.group_id, t.name, p.partition_index);
        if (!st.ok() && st.code() != ErrorCode::kNotFound) {
          error = KafkaErrorFor(st, ApiKey::kOffsetDelete);
        }
      }
      topic.partitions.push_back({p.partition_index, Code(error)});
    }
    resp.topics.push_back(std::move(topic));
  }
  return resp;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> OffsetDeleteHandler::Handle(RequestContext& ctx) {
  Result<OffsetDeleteRequest> req = DecodeRequest<OffsetDeleteRequest>(ctx);
  if (!req.ok()) co_return req.status();
  Response resp;
  if (req->group_id.empty()) {
    resp.error_code = Code(KafkaError::kInvalidGroupId);
    co_return EncodeResponse(ctx, resp);
  }
  if (KafkaError e = CoordinatorError(cluster_.get(), req->group_id); e != KafkaError::kNone) {
    resp.error_code = Code(e);
    co_return EncodeResponse(ctx, resp);
  }
  std::set<std::string> subscribed;
  KafkaError err = coordinator_.SubscribedTopics(req->group_id, &subscribed);
  if (err != KafkaError::kNone) {
    resp.error_code = Code(err);
    co_return EncodeResponse(ctx, resp);
  }
  bool held = coordinator_.Describe(req->group_id).has_value();
  MetadataStore& store = coordinator_.store();
  resp = co_await ctx.blocking.Run([&] { return Delete(store, *req, subscribed, held); });
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
