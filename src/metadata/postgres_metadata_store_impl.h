// PostgresMetadataStore: the class behind OpenPostgresMetadataStore
// (postgres_metadata_store.h), split over postgres_metadata_store.cc (open,
// topics, partitions, segments) and postgres_metadata_store_leases.cc
// (groups, agents, leases, producers).
//
// Each call borrows one pooled connection for its whole duration. Writes of
// several rows run in one transaction (BEGIN ... COMMIT on that connection);
// single statements autocommit. The isolation level is PostgreSQL's default
// READ COMMITTED: leader writes put the epoch condition in the statement's
// WHERE clause, and AcquireLease is one INSERT ... ON CONFLICT DO UPDATE,
// which PostgreSQL runs atomically against concurrent writers of the row.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "metadata/metadata_checks.h"
#include "metadata/metadata_store.h"
#include "metadata/postgres_connection.h"

namespace sh {

class PostgresMetadataStore final : public MetadataStore {
 public:
  // description is what Describe() returns (the URL without its password).
  PostgresMetadataStore(std::unique_ptr<PgPool> pool, std::string description, const Clock* clock)
      : pool_(std::move(pool)), description_(std::move(description)), clock_(clock) {}

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

  std::string Describe() const override { return description_; }

 private:
  int64_t NowOr(int64_t ms) const { return ms != 0 ? ms : clock_->NowMs(); }

  // NotFound naming topic/partition if the partition row is absent.
  static Status CheckPartitionExists(PgConnection& conn, const std::string& topic,
                                     int32_t partition);
  // Fenced unless no lease row exists or it has leader_epoch.
  static Status CheckLeaderEpoch(PgConnection& conn, const std::string& topic, int32_t partition,
                                 int64_t leader_epoch);
  // Explains why a fenced write changed no row: NotFound, Fenced, or Internal.
  static Status ExplainUnwritten(PgConnection& conn, const std::string& topic, int32_t partition,
                                 int64_t leader_epoch);
  static Result<std::optional<PartitionLease>> ReadLease(PgConnection& conn,
                                                         const std::string& topic,
                                                         int32_t partition);
  static Result<TopicInfo> ReadTopic(PgConnection& conn, const std::string& name, bool for_update);

  std::unique_ptr<PgPool> pool_;
  const std::string description_;
  const Clock* clock_;
};

}  // namespace sh
