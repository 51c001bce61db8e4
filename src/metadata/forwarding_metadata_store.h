// ForwardingMetadataStore: a MetadataStore that passes every call to an
// inner store. The base of decorators (the cache, test fakes) that override
// only the calls they care about.
#pragma once

#include "metadata/metadata_store.h"

namespace sh {

class ForwardingMetadataStore : public MetadataStore {
 public:
  // REQUIRES: inner outlives this store.
  explicit ForwardingMetadataStore(MetadataStore& inner) : inner_(inner) {}

  Status CreateTopic(const TopicInfo& topic) override;
  Result<TopicInfo> GetTopic(const std::string& name) override;
  Result<std::vector<TopicInfo>> ListTopics() override;
  Status DeleteTopic(const std::string& name) override;
  Status UpdateTopicConfig(const std::string& name, const std::string& config_json) override;
  Status AddPartitions(const std::string& name, int32_t new_count) override;
  Result<PartitionInfo> GetPartition(const std::string& topic, int32_t partition) override;
  Result<std::vector<PartitionInfo>> ListPartitions(const std::string& topic) override;
  Status UpdateHighWatermark(const std::string& topic, int32_t partition, int64_t hw,
                             int64_t leader_epoch) override;
  Status UpdateLogStartOffset(const std::string& topic, int32_t partition,
                              int64_t log_start_offset) override;
  Status RegisterSegment(const SegmentInfo& segment, int64_t leader_epoch) override;
  Result<std::vector<SegmentInfo>> ListSegments(const std::string& topic, int32_t partition,
                                                int64_t from_offset = 0) override;
  Result<std::vector<SegmentInfo>> DeleteSegmentsBefore(const std::string& topic, int32_t partition,
                                                        int64_t offset) override;
  Status UpsertGroup(const ConsumerGroupInfo& group) override;
  Result<ConsumerGroupInfo> GetGroup(const std::string& group_id) override;
  Result<std::vector<ConsumerGroupInfo>> ListGroups() override;
  Status DeleteGroup(const std::string& group_id) override;
  Status CommitOffsets(const std::vector<CommittedOffset>& offsets) override;
  Result<std::vector<CommittedOffset>> FetchOffsets(const std::string& group_id) override;
  Status DeleteOffset(const std::string& group_id, const std::string& topic,
                      int32_t partition) override;
  Status UpsertAgent(const AgentInfo& agent) override;
  Result<std::vector<AgentInfo>> ListAgents() override;
  Status RemoveAgent(const std::string& agent_id) override;
  Result<PartitionLease> AcquireLease(const std::string& topic, int32_t partition,
                                      const std::string& agent_id, int64_t now_ms,
                                      int64_t ttl_ms) override;
  Result<PartitionLease> RenewLease(const std::string& topic, int32_t partition,
                                    const std::string& agent_id, int64_t leader_epoch,
                                    int64_t now_ms, int64_t ttl_ms) override;
  Status ReleaseLease(const std::string& topic, int32_t partition, const std::string& agent_id,
                      int64_t leader_epoch) override;
  Result<std::optional<PartitionLease>> GetLease(const std::string& topic,
                                                 int32_t partition) override;
  Result<std::vector<PartitionLease>> ListLeases() override;
  Status RecordEpochStart(const std::string& topic, int32_t partition, int64_t leader_epoch,
                          int64_t start_offset) override;
  Result<std::map<int64_t, int64_t>> ListEpochStarts(const std::string& topic,
                                                     int32_t partition) override;
  Result<int64_t> AllocateProducerId() override;
  Status SaveProducerStates(const std::vector<ProducerState>& states,
                            int64_t leader_epoch) override;
  Result<std::vector<ProducerState>> LoadProducerStates(const std::string& topic,
                                                        int32_t partition) override;
  std::string Describe() const override { return inner_.Describe(); }

 protected:
  MetadataStore& inner() const { return inner_; }

 private:
  MetadataStore& inner_;
};

}  // namespace sh
