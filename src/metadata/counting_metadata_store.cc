#include "metadata/counting_metadata_store.h"

namespace sh {

void CountingMetadataStore::Reset() {
  reads_ = 0;
  writes_ = 0;
  for (auto& c : per_method_) c = 0;
}

void CountingMetadataStore::Read(Method m) {
  ++reads_;
  ++per_method_[static_cast<size_t>(m)];
}

void CountingMetadataStore::Write(Method m) {
  ++writes_;
  ++per_method_[static_cast<size_t>(m)];
}

Status CountingMetadataStore::CreateTopic(const TopicInfo& topic) {
  Write(Method::kCreateTopic);
  return inner_.CreateTopic(topic);
}

Result<TopicInfo> CountingMetadataStore::GetTopic(const std::string& name) {
  Read(Method::kGetTopic);
  return inner_.GetTopic(name);
}

Result<std::vector<TopicInfo>> CountingMetadataStore::ListTopics() {
  Read(Method::kListTopics);
  return inner_.ListTopics();
}

Status CountingMetadataStore::DeleteTopic(const std::string& name) {
  Write(Method::kDeleteTopic);
  return inner_.DeleteTopic(name);
}

Status CountingMetadataStore::UpdateTopicConfig(const std::string& name,
                                                const std::string& config_json) {
  Write(Method::kUpdateTopicConfig);
  return inner_.UpdateTopicConfig(name, config_json);
}

Status CountingMetadataStore::AddPartitions(const std::string& name, int32_t new_count) {
  Write(Method::kAddPartitions);
  return inner_.AddPartitions(name, new_count);
}

Result<PartitionInfo> CountingMetadataStore::GetPartition(const std::string& topic,
                                                          int32_t partition) {
  Read(Method::kGetPartition);
  return inner_.GetPartition(topic, partition);
}

Result<std::vector<PartitionInfo>> CountingMetadataStore::ListPartitions(const std::string& topic) {
  Read(Method::kListPartitions);
  return inner_.ListPartitions(topic);
}

Status CountingMetadataStore::UpdateHighWatermark(const std::string& topic, int32_t partition,
                                                  int64_t hw, int64_t leader_epoch) {
  Write(Method::kUpdateHighWatermark);
  return inner_.UpdateHighWatermark(topic, partition, hw, leader_epoch);
}

Status CountingMetadataStore::UpdateLogStartOffset(const std::string& topic, int32_t partition,
                                                   int64_t log_start_offset) {
  Write(Method::kUpdateLogStartOffset);
  return inner_.UpdateLogStartOffset(topic, partition, log_start_offset);
}

Status CountingMetadataStore::RegisterSegment(const SegmentInfo& segment, int64_t leader_epoch) {
  Write(Method::kRegisterSegment);
  return inner_.RegisterSegment(segment, leader_epoch);
}

Result<std::vector<SegmentInfo>> CountingMetadataStore::ListSegments(const std::string& topic,
                                                                     int32_t partition,
                                                                     int64_t from_offset) {
  Read(Method::kListSegments);
  return inner_.ListSegments(topic, partition, from_offset);
}

Result<std::vector<SegmentInfo>> CountingMetadataStore::DeleteSegmentsBefore(
    const std::string& topic, int32_t partition, int64_t offset) {
  Write(Method::kDeleteSegmentsBefore);
  return inner_.DeleteSegmentsBefore(topic, partition, offset);
}

Status CountingMetadataStore::UpsertGroup(const ConsumerGroupInfo& group) {
  Write(Method::kUpsertGroup);
  return inner_.UpsertGroup(group);
}

Result<ConsumerGroupInfo> CountingMetadataStore::GetGroup(const std::string& group_id) {
  Read(Method::kGetGroup);
  return inner_.GetGroup(group_id);
}

Result<std::vector<ConsumerGroupInfo>> CountingMetadataStore::ListGroups() {
  Read(Method::kListGroups);
  return inner_.ListGroups();
}

Status CountingMetadataStore::DeleteGroup(const std::string& group_id) {
  Write(Method::kDeleteGroup);
  return inner_.DeleteGroup(group_id);
}

Status CountingMetadataStore::CommitOffsets(const std::vector<CommittedOffset>& offsets) {
  Write(Method::kCommitOffsets);
  return inner_.CommitOffsets(offsets);
}

Result<std::vector<CommittedOffset>> CountingMetadataStore::FetchOffsets(
    const std::string& group_id) {
  Read(Method::kFetchOffsets);
  return inner_.FetchOffsets(group_id);
}

Status CountingMetadataStore::DeleteOffset(const std::string& group_id, const std::string& topic,
                                           int32_t partition) {
  Write(Method::kDeleteOffset);
  return inner_.DeleteOffset(group_id, topic, partition);
}

Status CountingMetadataStore::UpsertAgent(const AgentInfo& agent) {
  Write(Method::kUpsertAgent);
  return inner_.UpsertAgent(agent);
}

Result<std::vector<AgentInfo>> CountingMetadataStore::ListAgents() {
  Read(Method::kListAgents);
  return inner_.ListAgents();
}

Status CountingMetadataStore::RemoveAgent(const std::string& agent_id) {
  Write(Method::kRemoveAgent);
  return inner_.RemoveAgent(agent_id);
}

Result<PartitionLease> CountingMetadataStore::AcquireLease(const std::string& topic,
                                                           int32_t partition,
                                                           const std::string& agent_id,
                                                           int64_t now_ms, int64_t ttl_ms) {
  Write(Method::kAcquireLease);
  return inner_.AcquireLease(topic, partition, agent_id, now_ms, ttl_ms);
}

Result<PartitionLease> CountingMetadataStore::RenewLease(const std::string& topic,
                                                         int32_t partition,
                                                         const std::string& agent_id,
                                                         int64_t leader_epoch, int64_t now_ms,
                                                         int64_t ttl_ms) {
  Write(Method::kRenewLease);
  return inner_.RenewLease(topic, partition, agent_id, leader_epoch, now_ms, ttl_ms);
}

Status CountingMetadataStore::ReleaseLease(const std::string& topic, int32_t partition,
                                           const std::string& agent_id, int64_t leader_epoch) {
  Write(Method::kReleaseLease);
  return inner_.ReleaseLease(topic, partition, agent_id, leader_epoch);
}

Result<std::optional<PartitionLease>> CountingMetadataStore::GetLease(const std::string& topic,
                                                                      int32_t partition) {
  Read(Method::kGetLease);
  return inner_.GetLease(topic, partition);
}

Result<std::vector<PartitionLease>> CountingMetadataStore::ListLeases() {
  Read(Method::kListLeases);
  return inner_.ListLeases();
}

Status CountingMetadataStore::RecordEpochStart(const std::string& topic, int32_t partition,
                                               int64_t leader_epoch, int64_t start_offset) {
  Write(Method::kRecordEpochStart);
  return inner_.RecordEpochStart(topic, partition, leader_epoch, start_offset);
}

Result<std::map<int64_t, int64_t>> CountingMetadataStore::ListEpochStarts(const std::string& topic,
                                                                          int32_t partition) {
  Read(Method::kListEpochStarts);
  return inner_.ListEpochStarts(topic, partition);
}

Result<int64_t> CountingMetadataStore::AllocateProducerId() {
  Write(Method::kAllocateProducerId);
  return inner_.AllocateProducerId();
}

Status CountingMetadataStore::SaveProducerStates(const std::vector<ProducerState>& states,
                                                 int64_t leader_epoch) {
  Write(Method::kSaveProducerStates);
  return inner_.SaveProducerStates(states, leader_epoch);
}

Result<std::vector<ProducerState>> CountingMetadataStore::LoadProducerStates(
    const std::string& topic, int32_t partition) {
  Read(Method::kLoadProducerStates);
  return inner_.LoadProducerStates(topic, partition);
}

}  // namespace sh
