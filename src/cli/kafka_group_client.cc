// KafkaClient's consumer group calls. Every group is coordinated by the agent
// a client asks (docs/consumer-groups.md), so they all go to the bootstrap
// agent; ListOffsets by timestamp goes to the partition leaders.
#include "cli/consumer_assignment.h"
#include "cli/kafka_client.h"
#include "kafka/protocol/generated/delete_groups.h"
#include "kafka/protocol/generated/describe_groups.h"
#include "kafka/protocol/generated/list_groups.h"
#include "kafka/protocol/generated/offset_commit.h"
#include "kafka/protocol/generated/offset_fetch.h"

namespace sh::cli {

namespace {

constexpr int16_t kNonEmptyGroup = 68;
constexpr int16_t kGroupIdNotFound = 69;

Status NoSuchGroup(const std::string& group) {
  return Status::NotFound("group " + group + " does not exist");
}

std::string Where(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

}  // namespace

Result<std::vector<GroupListing>> KafkaClient::ListGroups() {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::ListGroupsRequest::kApiKey));
  kafka::ListGroupsRequest request;
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::ListGroupsRequest, kafka::ListGroupsResponse>(request, version)));
  SH_RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, "list groups"));
  std::vector<GroupListing> out;
  for (const auto& g : response.groups) {
    // ListGroups v0-v3 carry no state; DescribeGroup would be one call per group.
    out.push_back({g.group_id, g.group_state.empty() ? "-" : g.group_state, g.protocol_type});
  }
  return out;
}

Result<GroupDescription> KafkaClient::DescribeGroup(const std::string& group) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::DescribeGroupsRequest::kApiKey));
  kafka::DescribeGroupsRequest request;
  request.groups.push_back(group);
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::DescribeGroupsRequest, kafka::DescribeGroupsResponse>(request,
                                                                                        version)));
  if (response.groups.size() != 1 || response.groups[0].group_id != group) {
    return Status::Corruption("DescribeGroups response does not describe group " + group);
  }
  const auto& g = response.groups[0];
  SH_RETURN_IF_ERROR(KafkaErrorStatus(g.error_code, "describe group " + group));
  // Kafka reports a group it has never heard of as Dead, not as an error.
  if (g.group_state == "Dead" && g.members.empty()) return NoSuchGroup(group);
  GroupDescription out{group, g.group_state, g.protocol_type, {}};
  for (const auto& m : g.members) {
    GroupMember& member = out.members.emplace_back();
    member.member_id = m.member_id;
    member.client_id = m.client_id;
    member.host = m.client_host;
    // Only the consumer protocol's assignment has a known layout (Kafka
    // Connect and others define their own).
    if (g.protocol_type != "consumer") continue;
    Result<std::vector<AssignedPartitions>> assigned = ParseConsumerAssignment(m.member_assignment);
    if (!assigned.ok()) {
      return Status::Corruption("member " + m.member_id + " of group " + group + ": " +
                                assigned.status().message());
    }
    member.assignment = std::move(assigned).value();
  }
  return out;
}

Result<std::vector<GroupOffset>> KafkaClient::FetchCommittedOffsets(const std::string& group) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::OffsetFetchRequest::kApiKey));
  kafka::OffsetFetchRequest request;
  request.group_id = group;
  request.topics.reset();  // null: every committed offset of the group
  SH_ASSIGN_OR_RETURN(auto response,
                      (s->connection->Call<kafka::OffsetFetchRequest, kafka::OffsetFetchResponse>(
                          request, version)));
  SH_RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, "fetch offsets of group " + group));
  std::vector<GroupOffset> out;
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      SH_RETURN_IF_ERROR(KafkaErrorStatus(p.error_code, "fetch offset of group " + group + " for " +
                                                            Where(t.name, p.partition_index)));
      if (p.committed_offset < 0) continue;  // no commit
      out.push_back({t.name, p.partition_index, p.committed_offset, p.metadata.value_or("")});
    }
  }
  return out;
}

Status KafkaClient::CommitOffsets(const std::string& group,
                                  const std::vector<GroupOffset>& offsets) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::OffsetCommitRequest::kApiKey));
  kafka::OffsetCommitRequest request;
  request.group_id = group;
  // A standalone commit: no member, no generation. The coordinator accepts it
  // only while the group has no members.
  request.generation_id_or_member_epoch = -1;
  request.member_id = "";
  for (const GroupOffset& o : offsets) {
    if (request.topics.empty() || request.topics.back().name != o.topic) {
      request.topics.emplace_back().name = o.topic;
    }
    request.topics.back().partitions.push_back({.partition_index = o.partition,
                                                .committed_offset = o.offset,
                                                .committed_metadata = o.metadata});
  }
  SH_ASSIGN_OR_RETURN(auto response,
                      (s->connection->Call<kafka::OffsetCommitRequest, kafka::OffsetCommitResponse>(
                          request, version)));
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      SH_RETURN_IF_ERROR(KafkaErrorStatus(
          p.error_code,
          "commit offset of group " + group + " for " + Where(t.name, p.partition_index)));
    }
  }
  return Status::OK();
}

Status KafkaClient::DeleteGroup(const std::string& group) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::DeleteGroupsRequest::kApiKey));
  kafka::DeleteGroupsRequest request;
  request.groups_names.push_back(group);
  SH_ASSIGN_OR_RETURN(auto response,
                      (s->connection->Call<kafka::DeleteGroupsRequest, kafka::DeleteGroupsResponse>(
                          request, version)));
  for (const auto& r : response.results) {
    if (r.group_id != group) continue;
    if (r.error_code == kGroupIdNotFound) return NoSuchGroup(group);
    if (r.error_code == kNonEmptyGroup) {
      return Status::Unavailable("group " + group +
                                 " still has members (NON_EMPTY_GROUP): stop its consumers first");
    }
    return KafkaErrorStatus(r.error_code, "delete group " + group);
  }
  return Status::Corruption("DeleteGroups response lacks group " + group);
}

Result<std::optional<int64_t>> KafkaClient::OffsetForTimestamp(const std::string& topic,
                                                               int32_t partition,
                                                               int64_t timestamp_ms) {
  if (timestamp_ms < 0) {
    return Status::InvalidArgument("timestamp " + std::to_string(timestamp_ms) + " is before 1970");
  }
  int32_t count = 0;
  SH_ASSIGN_OR_RETURN(TopicRoute route, Route(topic, &count));
  if (partition < 0 || partition >= count) {
    return Status::NotFound("topic " + topic + " has no partition " + std::to_string(partition));
  }
  SH_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, ListOffsets(topic, route, timestamp_ms));
  // -1: no record at or after the timestamp.
  if (offsets[partition] < 0) return std::optional<int64_t>();
  return std::optional(offsets[partition]);
}

}  // namespace sh::cli
