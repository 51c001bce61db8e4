#include "kafka/server/handlers/metadata_handler.h"

#include "kafka/protocol/generated/metadata.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

using Response = MetadataResponse;

Response::MetadataResponseTopic DescribeTopic(broker::Broker& broker, const std::string& name,
                                              bool create, int32_t node_id) {
  Response::MetadataResponseTopic out;
  out.name = name;
  Result<TopicInfo> topic = create ? broker.GetOrCreateTopic(name) : broker.GetTopic(name);
  if (!topic.ok()) {
    out.error_code = Code(KafkaErrorFor(topic.status(), ApiKey::kMetadata));
    return out;
  }
  for (int32_t p = 0; p < topic->partition_count; ++p) {
    Response::MetadataResponsePartition partition;
    partition.partition_index = p;
    partition.leader_id = node_id;
    partition.replica_nodes = {node_id};
    partition.isr_nodes = {node_id};
    Result<int32_t> epoch = broker.LeaderEpoch(name, p);
    if (epoch.ok()) {
      partition.leader_epoch = *epoch;
    } else {
      partition.error_code = Code(KafkaError::kLeaderNotAvailable);
    }
    out.partitions.push_back(std::move(partition));
  }
  return out;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> MetadataHandler::Handle(RequestContext& ctx) {
  Result<MetadataRequest> decoded = DecodeRequest<MetadataRequest>(ctx);
  if (!decoded.ok()) co_return decoded.status();
  MetadataRequest& req = *decoded;
  const int16_t version = ctx.header.request_api_version;
  // v0: an empty list means every topic; v1+: null means every topic.
  const bool all_topics = !req.topics.has_value() || (version == 0 && req.topics->empty());
  const bool allow_create = version < 4 || req.allow_auto_topic_creation;

  Response resp;
  resp.brokers.push_back({options_.node_id, options_.advertised_host, options_.advertised_port,
                          std::nullopt});
  resp.cluster_id = options_.cluster_id;
  resp.controller_id = options_.node_id;
  resp.topics = co_await ctx.blocking.Run([&] {
    std::vector<Response::MetadataResponseTopic> topics;
    if (all_topics) {
      Result<std::vector<TopicInfo>> listed = broker_.ListTopics();
      if (listed.ok()) {
        for (const TopicInfo& t : *listed) {
          topics.push_back(DescribeTopic(broker_, t.name, false, options_.node_id));
        }
      }
      return topics;
    }
    for (const auto& t : *req.topics) {
      if (!t.name) {  // asked by topic id only: StreamHouse has no topic ids
        Response::MetadataResponseTopic unknown;
        unknown.name = std::nullopt;
        unknown.topic_id = t.topic_id;
        unknown.error_code = Code(KafkaError::kUnknownTopicOrPartition);
        topics.push_back(std::move(unknown));
        continue;
      }
      topics.push_back(DescribeTopic(broker_, *t.name, allow_create, options_.node_id));
    }
    return topics;
  });
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
