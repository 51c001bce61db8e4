#include "kafka/server/handlers/metadata_handler.h"

#include "kafka/protocol/generated/metadata.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

using Response = MetadataResponse;

Response::MetadataResponsePartition DescribePartition(broker::Broker& broker,
                                                      const ClusterView& view,
                                                      const std::string& topic, int32_t p) {
  Response::MetadataResponsePartition partition;
  partition.partition_index = p;
  PartitionLeadership leadership = view.Leader(topic, p);
  partition.leader_id = leadership.leader_node_id;
  if (leadership.leader_node_id < 0) {
    partition.leader_id = -1;
    partition.error_code = Code(KafkaError::kLeaderNotAvailable);
    return partition;
  }
  partition.replica_nodes = {leadership.leader_node_id};
  partition.isr_nodes = {leadership.leader_node_id};
  Result<int32_t> epoch =
      EffectiveLeaderEpoch(&view, topic, p, [&] { return broker.LeaderEpoch(topic, p); });
  if (epoch.ok()) {
    partition.leader_epoch = *epoch;
  } else {
    partition.error_code = Code(KafkaError::kLeaderNotAvailable);
  }
  return partition;
}

Response::MetadataResponseTopic DescribeTopic(broker::Broker& broker, const ClusterView& view,
                                              const std::string& name, bool create) {
  Response::MetadataResponseTopic out;
  out.name = name;
  Result<TopicInfo> topic = create ? broker.GetOrCreateTopic(name) : broker.GetTopic(name);
  if (!topic.ok()) {
    out.error_code = Code(KafkaErrorFor(topic.status(), ApiKey::kMetadata));
    return out;
  }
  for (int32_t p = 0; p < topic->partition_count; ++p) {
    out.partitions.push_back(DescribePartition(broker, view, name, p));
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
  for (const BrokerNode& b : cluster_->Brokers()) {
    resp.brokers.push_back(
        {b.node_id, b.host, b.port, b.rack.empty() ? std::nullopt : std::optional(b.rack)});
  }
  resp.cluster_id = options_.cluster_id;
  resp.controller_id = cluster_->self_node_id();
  resp.topics = co_await ctx.blocking.Run([&] {
    std::vector<Response::MetadataResponseTopic> topics;
    if (all_topics) {
      Result<std::vector<TopicInfo>> listed = broker_.ListTopics();
      if (listed.ok()) {
        for (const TopicInfo& t : *listed) {
          topics.push_back(DescribeTopic(broker_, *cluster_, t.name, false));
        }
      }
      return topics;
    }
    for (const auto& t : *req.topics) {
      if (!t.name) {  // asked by topic id only: StreamHouse has no topic ids yet
        Response::MetadataResponseTopic unknown;
        unknown.name = std::nullopt;
        unknown.topic_id = t.topic_id;
        // v12 is where Kafka looks topics up by id, and answers UNKNOWN_TOPIC_ID.
        unknown.error_code = Code(version >= 12 ? KafkaError::kUnknownTopicId
                                                : KafkaError::kUnknownTopicOrPartition);
        topics.push_back(std::move(unknown));
        continue;
      }
      topics.push_back(DescribeTopic(broker_, *cluster_, *t.name, allow_create));
    }
    return topics;
  });
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
