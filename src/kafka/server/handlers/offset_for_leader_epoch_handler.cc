#include "kafka/server/handlers/offset_for_leader_epoch_handler.h"

#include <utility>

#include "broker/broker.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

using EpochEndOffset = OffsetForLeaderEpochResponse::EpochEndOffset;

EpochEndOffset Failed(int32_t partition, KafkaError error) {
  EpochEndOffset out;
  out.partition = partition;
  out.error_code = Code(error);
  out.leader_epoch = -1;
  out.end_offset = -1;
  return out;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> OffsetForLeaderEpochHandler::Handle(
    RequestContext& ctx) {
  Result<OffsetForLeaderEpochRequest> req = DecodeRequest<OffsetForLeaderEpochRequest>(ctx);
  if (!req.ok()) co_return req.status();
  OffsetForLeaderEpochResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req); });
  co_return EncodeResponse(ctx, resp);
}

OffsetForLeaderEpochResponse OffsetForLeaderEpochHandler::Answer(
    const OffsetForLeaderEpochRequest& req) {
  OffsetForLeaderEpochResponse resp;
  for (const auto& topic : req.topics) {
    OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult tr;
    tr.topic = topic.topic;
    for (const auto& p : topic.partitions) tr.partitions.push_back(AnswerPartition(topic.topic, p));
    resp.topics.push_back(std::move(tr));
  }
  return resp;
}

EpochEndOffset OffsetForLeaderEpochHandler::AnswerPartition(
    const std::string& topic, const OffsetForLeaderEpochRequest::OffsetForLeaderPartition& p) {
  if (KafkaError led = LeadershipError(cluster_.get(), topic, p.partition);
      led != KafkaError::kNone) {
    return Failed(p.partition, led);
  }
  Result<int32_t> epoch = EffectiveLeaderEpoch(
      cluster_.get(), topic, p.partition, [&] { return broker_.LeaderEpoch(topic, p.partition); });
  if (!epoch.ok()) {
    return Failed(p.partition, KafkaErrorFor(epoch.status(), ApiKey::kOffsetForLeaderEpoch));
  }
  // current_leader_epoch is -1 in v0-v1 (absent) and when the client has none.
  if (KafkaError e = LeaderEpochError(p.current_leader_epoch, *epoch); e != KafkaError::kNone) {
    return Failed(p.partition, e);
  }
  if (p.leader_epoch > *epoch) return Failed(p.partition, KafkaError::kUnknownLeaderEpoch);
  EpochEndOffset out;
  out.partition = p.partition;
  if (p.leader_epoch < 0) return out;  // undefined epoch: undefined offset, as Kafka answers
  Result<broker::PartitionOffsets> offsets = broker_.Offsets(topic, p.partition);
  if (!offsets.ok()) {
    return Failed(p.partition, KafkaErrorFor(offsets.status(), ApiKey::kOffsetForLeaderEpoch));
  }
  out.leader_epoch = *epoch;
  out.end_offset = offsets->high_watermark;
  return out;
}

}  // namespace sh::kafka
