#include "kafka/server/handlers/delete_records_handler.h"

#include <utility>

#include "broker/broker.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

// Kafka's DeleteRecordsResponse.INVALID_LOW_WATERMARK.
constexpr int64_t kInvalidLowWatermark = -1;

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> DeleteRecordsHandler::Handle(RequestContext& ctx) {
  Result<DeleteRecordsRequest> req = DecodeRequest<DeleteRecordsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  DeleteRecordsResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req); });
  co_return EncodeResponse(ctx, resp);
}

DeleteRecordsResponse DeleteRecordsHandler::Answer(const DeleteRecordsRequest& req) {
  DeleteRecordsResponse resp;
  for (const auto& topic : req.topics) {
    DeleteRecordsResponse::DeleteRecordsTopicResult tr;
    tr.name = topic.name;
    for (const auto& p : topic.partitions) {
      DeleteRecordsResponse::DeleteRecordsPartitionResult pr;
      pr.partition_index = p.partition_index;
      pr.low_watermark = kInvalidLowWatermark;
      if (KafkaError led = LeadershipError(cluster_.get(), topic.name, p.partition_index);
          led != KafkaError::kNone) {
        pr.error_code = Code(led);
      } else if (p.offset < -1) {
        pr.error_code = Code(KafkaError::kOffsetOutOfRange);
      } else if (Result<int64_t> low =
                     broker_.DeleteRecords(topic.name, p.partition_index, p.offset);
                 !low.ok()) {
        pr.error_code = Code(KafkaErrorFor(low.status(), ApiKey::kDeleteRecords));
      } else {
        pr.low_watermark = *low;
      }
      tr.partitions.push_back(pr);
    }
    resp.topics.push_back(std::move(tr));
  }
  return resp;
}

}  // namespace sh::kafka
