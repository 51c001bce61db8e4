#include "kafka/server/handlers/list_offsets_handler.h"

#include "kafka/protocol/generated/list_offsets.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

using Response = ListOffsetsResponse;

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;

Response::ListOffsetsPartitionResponse ListPartition(
    broker::Broker& broker, const ClusterView* view, const std::string& topic,
    const ListOffsetsRequest::ListOffsetsPartition& p, int16_t version) {
  Response::ListOffsetsPartitionResponse out;
  out.partition_index = p.partition_index;
  auto fail = [&](const Status& s) {
    out.error_code = Code(KafkaErrorFor(s, ApiKey::kListOffsets));
    return out;
  };
  if (KafkaError e = LeadershipError(view, topic, p.partition_index); e != KafkaError::kNone) {
    out.error_code = Code(e);
    return out;
  }
  Result<int32_t> epoch = EffectiveLeaderEpoch(
      view, topic, p.partition_index, [&] { return broker.LeaderEpoch(topic, p.partition_index); });
  if (!epoch.ok()) return fail(epoch.status());
  out.leader_epoch = *epoch;
  if (KafkaError e = LeaderEpochError(p.current_leader_epoch, *epoch); e != KafkaError::kNone) {
    out.error_code = Code(e);
    return out;
  }
  if (p.timestamp == kLatest || p.timestamp == kEarliest) {
    Result<broker::PartitionOffsets> offsets = broker.Offsets(topic, p.partition_index);
    if (!offsets.ok()) return fail(offsets.status());
    out.offset = p.timestamp == kLatest ? offsets->high_watermark : offsets->log_start_offset;
    out.timestamp = -1;
  } else if (p.timestamp == kMaxTimestamp) {
    Result<std::optional<std::pair<int64_t, int64_t>>> found =
        broker.OffsetOfMaxTimestamp(topic, p.partition_index);
    if (!found.ok()) return fail(found.status());
    if (*found) std::tie(out.offset, out.timestamp) = **found;
  } else if (p.timestamp < 0) {
    out.error_code = Code(KafkaError::kInvalidRequest);
    return out;
  } else {
    Result<std::optional<std::pair<int64_t, int64_t>>> found =
        broker.OffsetForTimestamp(topic, p.partition_index, p.timestamp);
    if (!found.ok()) return fail(found.status());
    if (*found) std::tie(out.offset, out.timestamp) = **found;
  }
  if (version == 0) {
    if (out.offset >= 0 && p.max_num_offsets > 0) out.old_style_offsets.push_back(out.offset);
  }
  return out;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> ListOffsetsHandler::Handle(RequestContext& ctx) {
  Result<ListOffsetsRequest> decoded = DecodeRequest<ListOffsetsRequest>(ctx);
  if (!decoded.ok()) co_return decoded.status();
  ListOffsetsRequest& req = *decoded;
  const int16_t version = ctx.header.request_api_version;
  Response resp;
  resp.topics = co_await ctx.blocking.Run([&] {
    std::vector<Response::ListOffsetsTopicResponse> topics;
    for (const auto& t : req.topics) {
      Response::ListOffsetsTopicResponse topic;
      topic.name = t.name;
      for (const auto& p : t.partitions) {
        topic.partitions.push_back(ListPartition(broker_, cluster_.get(), t.name, p, version));
      }
      topics.push_back(std::move(topic));
    }
    return topics;
  });
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
