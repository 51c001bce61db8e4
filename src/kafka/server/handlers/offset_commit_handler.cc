#include "kafka/server/handlers/offset_commit_handler.h"

#include <string>
#include <vector>

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

using Response = OffsetCommitResponse;

// Kafka's offset.metadata.max.bytes.
constexpr size_t kMaxMetadataBytes = 4096;

Response AllFailed(const OffsetCommitRequest& req, KafkaError error) {
  Response resp;
  for (const auto& t : req.topics) {
    Response::OffsetCommitResponseTopic topic;
    topic.name = t.name;
    for (const auto& p : t.partitions) topic.partitions.push_back({p.partition_index, Code(error)});
    resp.topics.push_back(std::move(topic));
  }
  return resp;
}

// Blocking: checks topics and partitions, then writes every valid offset in
// one transaction.
Response Commit(MetadataStore& store, int64_t now_ms, const OffsetCommitRequest& req) {
  Response resp = AllFailed(req, KafkaError::kNone);
  std::vector<CommittedOffset> offsets;
  std::vector<int16_t*> written;  // error slots of the offsets written
  for (size_t ti = 0; ti < req.topics.size(); ++ti) {
    const auto& t = req.topics[ti];
    Result<TopicInfo> topic = store.GetTopic(t.name);
    for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
      const auto& p = t.partitions[pi];
      int16_t& error = resp.topics[ti].partitions[pi].error_code;
      const std::string metadata = p.committed_metadata.value_or("");
      if (!topic.ok()) {
        error = Code(topic.status().code() == ErrorCode::kNotFound
                         ? KafkaError::kUnknownTopicOrPartition
                         : KafkaErrorFor(topic.status(), ApiKey::kOffsetCommit));
      } else if (p.partition_index < 0 || p.partition_index >= topic->partition_count) {
        error = Code(KafkaError::kUnknownTopicOrPartition);
      } else if (metadata.size() > kMaxMetadataBytes) {
        error = Code(KafkaError::kOffsetMetadataTooLarge);
      } else {
        // committed_leader_epoch is -1 in versions before 6, which lack it.
        offsets.push_back({req.group_id, t.name, p.partition_index, p.committed_offset, metadata,
                           now_ms, p.committed_leader_epoch});
        written.push_back(&error);
      }
    }
  }
  if (offsets.empty()) return resp;
  Status st = store.CommitOffsets(offsets);
  if (!st.ok()) {
    for (int16_t* error : written) *error = Code(KafkaErrorFor(st, ApiKey::kOffsetCommit));
  }
  return resp;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> OffsetCommitHandler::Handle(RequestContext& ctx) {
  Result<OffsetCommitRequest> req = DecodeRequest<OffsetCommitRequest>(ctx);
  if (!req.ok()) co_return req.status();
  if (KafkaError e = CoordinatorError(cluster_.get(), req->group_id); e != KafkaError::kNone) {
    co_return EncodeResponse(ctx, AllFailed(*req, e));
  }
  // v0 has no generation: a standalone commit.
  int32_t generation =
      ctx.header.request_api_version == 0 ? -1 : req->generation_id_or_member_epoch;
  KafkaError check =
      coordinator_.CheckCommit(req->group_id, generation, req->member_id, req->group_instance_id);
  if (check != KafkaError::kNone) co_return EncodeResponse(ctx, AllFailed(*req, check));
  MetadataStore& store = coordinator_.store();
  int64_t now_ms = coordinator_.clock().NowMs();
  Response resp = co_await ctx.blocking.Run([&] { return Commit(store, now_ms, *req); });
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
