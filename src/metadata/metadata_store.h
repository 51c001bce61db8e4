// MetadataStore: topics, partitions, segments, consumer offsets, agents,
// leases and producer state, in SQL.
//
// Backends: SqliteMetadataStore (embedded), OpenPostgresMetadataStore (clusters);
// both pass metadata_conformance.h's suite. CachedMetadataStore sits in front of
// either. Calls block: the agent makes them from worker and background threads,
// never from a network thread. All methods are thread-safe.
//
// Leader fencing: every write that belongs to a partition leader takes the
// leader epoch the writer believes it holds. The write succeeds only if no
// lease row exists for the partition or the lease row carries that same epoch;
// otherwise it returns Fenced and changes nothing. (Embedded mode holds a
// lease too, so the rule is the same everywhere.)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace sh {

struct TopicInfo {
  std::string name;
  int32_t partition_count = 0;
  std::string config_json = "{}";  // topic configs, e.g. {"segment.bytes":"1048576"}
  int64_t created_at_ms = 0;
};

struct PartitionInfo {
  std::string topic;
  int32_t partition = 0;
  // End of the sealed segments, not Kafka's high watermark (docs/metadata.md).
  int64_t high_watermark = 0;
  // First offset still readable (raised by retention and DeleteRecords).
  int64_t log_start_offset = 0;
};

// A sealed segment object. Covers offsets [base_offset, end_offset):
// end_offset is one past the last offset in it.
struct SegmentInfo {
  std::string topic;
  int32_t partition = 0;
  int64_t base_offset = 0;
  int64_t end_offset = 0;
  int64_t record_count = 0;
  int64_t size_bytes = 0;
  std::string object_key;
  int64_t min_timestamp_ms = 0;
  int64_t max_timestamp_ms = 0;
  int64_t created_at_ms = 0;
};

struct ConsumerGroupInfo {
  std::string group_id;
  std::string protocol_type;  // "consumer", or "" if unknown
  std::string state;          // "Empty", "Stable", ... as last recorded
  int64_t updated_at_ms = 0;
};

struct CommittedOffset {
  std::string group_id;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string metadata;
  int64_t committed_at_ms = 0;
  // The leader epoch of the record at offset - 1 as the committing consumer
  // saw it (OffsetCommit v6+), returned by OffsetFetch v5+ so the consumer can
  // validate the restored position (KIP-320); -1 if unknown.
  int32_t leader_epoch = -1;
};

struct AgentInfo {
  std::string agent_id;
  std::string address;  // advertised "host:port" for Kafka clients
  std::string zone;
  int64_t started_at_ms = 0;
  int64_t last_heartbeat_ms = 0;
  // The Kafka node (broker) id clients see for this agent; -1 if not assigned.
  int32_t node_id = -1;
};

struct PartitionLease {
  std::string topic;
  int32_t partition = 0;
  std::string leader_agent_id;
  int64_t leader_epoch = 0;
  int64_t expires_at_ms = 0;
};

// Idempotent-producer state for one (producer id, partition): the last
// batch written, so a retried batch is recognised as a duplicate.
struct ProducerState {
  std::string topic;
  int32_t partition = 0;
  int64_t producer_id = 0;
  int16_t producer_epoch = 0;
  int32_t last_sequence = -1;  // sequence of the last record of the last batch
  int64_t last_offset = -1;    // offset of that record
  int64_t updated_at_ms = 0;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // ---- topics and partitions ----
  // Creates the topic and its partitions (high watermark 0). AlreadyExists if present;
  // InvalidArgument if partition_count < 1 or the name is not a valid Kafka topic name.
  virtual Status CreateTopic(const TopicInfo& topic) = 0;
  virtual Result<TopicInfo> GetTopic(const std::string& name) = 0;
  virtual Result<std::vector<TopicInfo>> ListTopics() = 0;
  // Removes the topic, its partitions, segments rows, leases, epoch starts,
  // producer state and committed offsets. NotFound if absent. Objects are the caller's to delete.
  virtual Status DeleteTopic(const std::string& name) = 0;
  virtual Status UpdateTopicConfig(const std::string& name, const std::string& config_json) = 0;
  // Grows the topic to new_count partitions. InvalidArgument if not larger.
  virtual Status AddPartitions(const std::string& name, int32_t new_count) = 0;

  virtual Result<PartitionInfo> GetPartition(const std::string& topic, int32_t partition) = 0;
  virtual Result<std::vector<PartitionInfo>> ListPartitions(const std::string& topic) = 0;
  // Raises the high watermark to hw (never lowers it). Fenced per the rule above.
  virtual Status UpdateHighWatermark(const std::string& topic, int32_t partition, int64_t hw,
                                     int64_t leader_epoch) = 0;
  // Raises log_start_offset (never lowers it).
  virtual Status UpdateLogStartOffset(const std::string& topic, int32_t partition,
                                      int64_t log_start_offset) = 0;

  // ---- segments ----
  // Records a sealed segment and raises the partition's high watermark to its
  // end_offset, in one transaction. Fenced per the rule above; AlreadyExists if
  // a segment with the same base offset is registered.
  virtual Status RegisterSegment(const SegmentInfo& segment, int64_t leader_epoch) = 0;
  // Segments of a partition whose end_offset > from_offset, by base offset.
  virtual Result<std::vector<SegmentInfo>> ListSegments(const std::string& topic, int32_t partition,
                                                        int64_t from_offset = 0) = 0;
  // Removes segment rows with end_offset <= offset (retention). Returns the rows removed.
  virtual Result<std::vector<SegmentInfo>> DeleteSegmentsBefore(const std::string& topic,
                                                                int32_t partition,
                                                                int64_t offset) = 0;

  // ---- consumer groups ----
  virtual Status UpsertGroup(const ConsumerGroupInfo& group) = 0;
  virtual Result<ConsumerGroupInfo> GetGroup(const std::string& group_id) = 0;
  virtual Result<std::vector<ConsumerGroupInfo>> ListGroups() = 0;
  // Removes the group and its committed offsets. NotFound if absent.
  virtual Status DeleteGroup(const std::string& group_id) = 0;
  // Upserts each offset (creating the group row if missing), in one transaction.
  virtual Status CommitOffsets(const std::vector<CommittedOffset>& offsets) = 0;
  virtual Result<std::vector<CommittedOffset>> FetchOffsets(const std::string& group_id) = 0;
  virtual Status DeleteOffset(const std::string& group_id, const std::string& topic,
                              int32_t partition) = 0;

  // ---- agents and leases ----
  // Inserts or replaces the agent row; also the heartbeat (last_heartbeat_ms).
  virtual Status UpsertAgent(const AgentInfo& agent) = 0;
  virtual Result<std::vector<AgentInfo>> ListAgents() = 0;
  virtual Status RemoveAgent(const std::string& agent_id) = 0;

  // Takes the lease for agent_id if it is free, expired at now_ms, or already
  // held by agent_id. A new holder gets leader_epoch = previous epoch + 1; the
  // same holder renewing keeps its epoch. Sets expires_at_ms = now_ms + ttl_ms.
  // Returns the lease as stored; Fenced if another agent holds an unexpired lease.
  virtual Result<PartitionLease> AcquireLease(const std::string& topic, int32_t partition,
                                              const std::string& agent_id, int64_t now_ms,
                                              int64_t ttl_ms) = 0;
  // Extends a lease held by agent_id with exactly leader_epoch; Fenced otherwise.
  virtual Result<PartitionLease> RenewLease(const std::string& topic, int32_t partition,
                                            const std::string& agent_id, int64_t leader_epoch,
                                            int64_t now_ms, int64_t ttl_ms) = 0;
  // Expires the lease now (keeping its epoch) if agent_id holds it with leader_epoch.
  virtual Status ReleaseLease(const std::string& topic, int32_t partition,
                              const std::string& agent_id, int64_t leader_epoch) = 0;
  virtual Result<std::optional<PartitionLease>> GetLease(const std::string& topic,
                                                         int32_t partition) = 0;
  virtual Result<std::vector<PartitionLease>> ListLeases() = 0;

  // ---- epoch start offsets (docs/cluster.md §6) ----
  // Records S(E): the first offset leader epoch E writes on the partition.
  // Fenced per the leader rule (the lease row must carry exactly leader_epoch,
  // or be absent). Once recorded, a second call with the same epoch keeps the
  // first value and returns OK (a restart of the same holder).
  // InvalidArgument if leader_epoch or start_offset is negative; NotFound if
  // the partition does not exist.
  virtual Status RecordEpochStart(const std::string& topic, int32_t partition, int64_t leader_epoch,
                                  int64_t start_offset) = 0;
  // Every recorded epoch start of the partition, by epoch. NotFound if the
  // partition does not exist.
  virtual Result<std::map<int64_t, int64_t>> ListEpochStarts(const std::string& topic,
                                                             int32_t partition) = 0;

  // ---- idempotent producers ----
  // Hands out a new, never reused producer id.
  virtual Result<int64_t> AllocateProducerId() = 0;
  // Upserts the states (keyed by topic, partition, producer_id). Fenced per the rule above.
  virtual Status SaveProducerStates(const std::vector<ProducerState>& states,
                                    int64_t leader_epoch) = 0;
  virtual Result<std::vector<ProducerState>> LoadProducerStates(const std::string& topic,
                                                                int32_t partition) = 0;

  // A short description for logs: "sqlite:///data/metadata.db".
  virtual std::string Describe() const = 0;
};

// True if name is a legal Kafka topic name: 1..249 chars of [a-zA-Z0-9._-],
// and not "." or "..".
bool IsValidTopicName(const std::string& name);

}  // namespace sh
