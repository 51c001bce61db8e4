#include "kafka/server/handlers/produce_handler.h"

#include "base/log.h"
#include "kafka/protocol/generated/produce.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

using Response = ProduceResponse;

Response::PartitionProduceResponse Fail(int32_t index, KafkaError error, std::string message) {
  Response::PartitionProduceResponse out;
  out.index = index;
  out.error_code = Code(error);
  out.base_offset = -1;
  out.error_message = std::move(message);
  return out;
}

Response::PartitionProduceResponse ProducePartition(broker::Broker& broker,
                                                    const std::string& topic,
                                                    const ProduceRequest::PartitionProduceData& p,
                                                    int16_t acks) {
  if (acks != 0 && acks != 1 && acks != -1) {
    return Fail(p.index, KafkaError::kInvalidRequiredAcks,
                "acks must be -1, 0 or 1, not " + std::to_string(acks));
  }
  if (!p.records || p.records->empty()) {
    return Fail(p.index, KafkaError::kCorruptMessage, "no records");
  }
  Result<broker::ProduceResult> produced = broker.Produce(topic, p.index, *p.records);
  if (!produced.ok()) {
    SH_LOG(DEBUG) << "produce to " << topic << "/" << p.index
                  << " failed: " << produced.status().ToString();
    return Fail(p.index, KafkaErrorFor(produced.status(), ApiKey::kProduce),
                produced.status().message());
  }
  Response::PartitionProduceResponse out;
  out.index = p.index;
  out.base_offset = produced->base_offset;
  out.log_append_time_ms = produced->log_append_time_ms;
  out.log_start_offset = produced->log_start_offset;
  return out;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> ProduceHandler::Handle(RequestContext& ctx) {
  Result<ProduceRequest> decoded = DecodeRequest<ProduceRequest>(ctx);
  if (!decoded.ok()) co_return decoded.status();
  ProduceRequest& req = *decoded;
  Response resp;
  resp.responses = co_await ctx.blocking.Run([&] {
    std::vector<Response::TopicProduceResponse> topics;
    for (const ProduceRequest::TopicProduceData& t : req.topic_data) {
      Response::TopicProduceResponse topic;
      topic.name = t.name;
      for (const auto& p : t.partition_data) {
        if (req.transactional_id) {
          // Transactions are not supported: refuse rather than write records
          // that a read_committed consumer would treat wrongly.
          topic.partition_responses.push_back(
              Fail(p.index, KafkaError::kTransactionalIdAuthorizationFailed,
                   "transactions are not supported"));
          continue;
        }
        topic.partition_responses.push_back(ProducePartition(broker_, t.name, p, req.acks));
      }
      topics.push_back(std::move(topic));
    }
    return topics;
  });
  if (req.acks == 0) co_return std::optional<Bytes>();
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
