// KafkaClient's cluster listings (agents list, leases list over --bootstrap),
// from one Metadata request. Metadata names brokers by node id and partition
// leaders by node id and leader epoch (v7+; older versions give no epoch);
// agent ids, heartbeats and lease expiry are not in the Kafka protocol.
#include <algorithm>
#include <tuple>

#include "cli/kafka_client.h"
#include "kafka/protocol/generated/metadata.h"

namespace sh::cli {

namespace {

constexpr int16_t kLeaderNotAvailable = 5;

}  // namespace

Result<std::vector<AgentListing>> KafkaClient::ListAgents() {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::MetadataRequest::kApiKey));
  kafka::MetadataRequest request;
  request.topics.emplace();  // empty, not null: brokers only
  request.allow_auto_topic_creation = false;
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::MetadataRequest, kafka::MetadataResponse>(request, version)));
  std::vector<AgentListing> out;
  for (const auto& b : response.brokers) {
    AgentListing a;
    a.node_id = b.node_id;
    a.address = b.host + ":" + std::to_string(b.port);
    a.zone = b.rack.value_or("");
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<LeaseListing>> KafkaClient::ListLeases(const std::optional<std::string>& topic) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::MetadataRequest::kApiKey));
  kafka::MetadataRequest request;
  if (topic) {
    request.topics.emplace().push_back({.topic_id = {}, .name = *topic});
  } else {
    request.topics.reset();  // null: every topic
  }
  request.allow_auto_topic_creation = false;
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::MetadataRequest, kafka::MetadataResponse>(request, version)));
  std::vector<LeaseListing> out;
  for (const auto& t : response.topics) {
    if (!t.name || t.is_internal) continue;
    // LEADER_NOT_AVAILABLE still lists the partitions: that is the answer.
    if (t.error_code != 0 && t.error_code != kLeaderNotAvailable) {
      if (topic) return KafkaErrorStatus(t.error_code, "topic " + *t.name);
      continue;
    }
    for (const auto& p : t.partitions) {
      LeaseListing l{*t.name, p.partition_index, {}, {}, {}, {}};
      if (p.leader_id >= 0) {
        l.leader_node_id = p.leader_id;
        if (p.leader_epoch >= 0) l.leader_epoch = p.leader_epoch;
      }
      out.push_back(std::move(l));
    }
  }
  std::sort(out.begin(), out.end(), [](const LeaseListing& a, const LeaseListing& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return out;
}

}  // namespace sh::cli
