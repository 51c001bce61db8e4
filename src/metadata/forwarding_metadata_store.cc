#include "metadata/forwarding_metadata_store.h"

namespace sh {

Status ForwardingMetadataStore::CreateTopic(const TopicInfo& topic) {
  return inner_.CreateTopic(topic);
}

Result<TopicInfo> ForwardingMetadataStore::GetTopic(const std::string& name) {
  return inner_.GetTopic(name);
}

Result<std::vector<TopicInfo>> ForwardingMetadataStore::ListTopics() { return inner_.ListTopics(); }

Status ForwardingMetadataStore::DeleteTopic(const std::string& name) {
  return inner_.DeleteTopic(name);
}

Status ForwardingMetadataStore::UpdateTopicConfig(const std::string& name,
                                                  const std::string& config_json) {
  return inner_.UpdateTopicConfig(name, config_json);
}

Status ForwardingMetadataStore::AddPartitions(const std::string& name, int32_t new_count) {
  return inner_.AddPartitions(name, new_count);
}

Result<PartitionInfo> ForwardingMetadataStore::GetPartition(const std::string& topic,
                                                            int32_t partition) {
  return inner_.GetPartition(topic, partition);
}

Result<std::vector<PartitionInfo>> ForwardingMetadataStore::ListPartitions(
    const std::string& topic) {
  return inner_.ListPartitions(topic);
}

Status ForwardingMetadataStore::UpdateHighWatermark(const std::string& topic, int32_t partition,
                                                    int64_t hw, int64_t leader_epoch) {
  return inner_.UpdateHighWatermark(topic, partition, hw, leader_epoch);
}

Status ForwardingMetadataStore::UpdateLogStartOffset(const std::string& topic, int32_t partition,
                                                     int64_t log_start_offset) {
  return inner_.UpdateLogStartOffset(topic, partition, log_start_offset);
}

Status ForwardingMetadataStore::RegisterSegment(const SegmentInfo& segment, int64_t leader_epoch) {
  return inner_.RegisterSegment(segment, leader_epoch);
}

Result<std::vector<SegmentInfo>> ForwardingMetadataStore::ListSegments(const std::string& topic,
                                                                       int32_t partition,
                                                                       int64_t from_offset) {
  return inner_.ListSegments(topic, partition, from_offset);
}

Result<std::vector<SegmentInfo>> ForwardingMetadataStore::DeleteSegmentsBefore(
    const std::string& topic, int32_t partition, int64_t offset) {
  return inner_.DeleteSegmentsBefore(topic, partition, offset);
}

Status ForwardingMetadataStore::UpsertGroup(const ConsumerGroupInfo& group) {
  return inner_.UpsertGroup(group);
}

Result<ConsumerGroupInfo> ForwardingMetadataStore::GetGroup(const std::string& group_id) {
  return inner_.GetGroup(group_id);
}

Result<std::vector<ConsumerGroupInfo>> ForwardingMetadataStore::ListGroups() {
  return inner_.ListGroups();
}

Status ForwardingMetadataStore::DeleteGroup(const std::string& group_id) {
  return inner_.DeleteGroup(group_id);
}

Status ForwardingMetadataStore::CommitOffsets(const std::vector<CommittedOffset>& offsets) {
  return inner_.CommitOffsets(offsets);
}

Result<std::vector<CommittedOffset>> ForwardingMetadataStore::FetchOffsets(
    const std::string& group_id) {
  return inner_.FetchOffsets(group_id);
}

Status ForwardingMetadataStore::DeleteOffset(const std::string& group_id, const std::string& topic,
                                             int32_t partition) {
  return inner_.DeleteOffset(group_id, topic, partition);
}

Status ForwardingMetadataStore::UpsertAgent(const AgentInfo& agent) {
  return inner_.UpsertAgent(agent);
}

Result<std::vector<AgentInfo>> ForwardingMetadataStore::ListAgents() { return inner_.ListAgents(); }

Status ForwardingMetadataStore::RemoveAgent(const std::string& agent_id) {
  return inner_.RemoveAgent(agent_id);
}

Result<PartitionLease> ForwardingMetadataStore::AcquireLease(const std::string& topic,
                                                             int32_t partition,
                                                             const std::string& agent_id,
                                                             int64_t now_ms, int64_t ttl_ms) {
  return inner_.AcquireLease(topic, partition, agent_id, now_ms, ttl_ms);
}

Result<PartitionLease> ForwardingMetadataStore::RenewLease(const std::string& topic,
                                                           int32_t partition,
                                                           const std::string& agent_id,
                                                           int64_t leader_epoch, int64_t now_ms,
                                                           int64_t ttl_ms) {
  return inner_.RenewLease(topic, partition, agent_id, leader_epoch, now_ms, ttl_ms);
}

Status ForwardingMetadataStore::ReleaseLease(const std::string& topic, int32_t partition,
                                             const std::string& agent_id, int64_t leader_epoch) {
  return inner_.ReleaseLease(topic, partition, agent_id, leader_epoch);
}

Result<std::optional<PartitionLease>> ForwardingMetadataStore::GetLease(const std::string& topic,
                                                                        int32_t partition) {
  return inner_.GetLease(topic, partition);
}

Result<std::vector<PartitionLease>> ForwardingMetadataStore::ListLeases() {
  return inner_.ListLeases();
}

Status ForwardingMetadataStore::RecordEpochStart(const std::string& topic, int32_t partition,
                                                 int64_t leader_epoch, int64_t start_offset) {
  return inner_.RecordEpochStart(topic, partition, leader_epoch, start_offset);
}

Result<std::map<int64_t, int64_t>> ForwardingMetadataStore::ListEpochStarts(
    const std::string& topic, int32_t partition) {
  return inner_.ListEpochStarts(topic, partition);
}

Result<int64_t> ForwardingMetadataStore::AllocateProducerId() {
  return inner_.AllocateProducerId();
}

Status ForwardingMetadataStore::SaveProducerStates(const std::vector<ProducerState>& states,
                                                   int64_t leader_epoch) {
  return inner_.SaveProducerStates(states, leader_epoch);
}

Result<std::vector<ProducerState>> ForwardingMetadataStore::LoadProducerStates(
    const std::string& topic, int32_t partition) {
  return inner_.LoadProducerStates(topic, partition);
}

}  // namespace sh
