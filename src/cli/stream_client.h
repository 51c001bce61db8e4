// StreamClient: what streamctl needs from StreamHouse, whichever way it gets
// there. EmbeddedClient serves a data directory with no agent running,
// through the agent's own broker (broker::Broker); a Kafka-protocol client
// talks to a running agent. Commands are written once, against this interface.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "metadata/metadata_store.h"

namespace sh::cli {

struct PartitionSummary {
  int32_t partition = 0;
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;
  int64_t segment_count = 0;
  int64_t segment_bytes = 0;
};

struct TopicDescription {
  std::string name;
  int32_t partition_count = 0;
  std::map<std::string, std::string> config;
  std::vector<PartitionSummary> partitions;
};

struct FetchResult {
  Bytes batches;  // whole record batches; the first may start before the offset asked for
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
};

// One consumer group as ListGroups reports it.
struct GroupListing {
  std::string group_id;
  std::string state;  // "Empty", "Stable", ...
  std::string protocol_type;
};

// A topic's partitions in a member's assignment.
struct AssignedPartitions {
  std::string topic;
  std::vector<int32_t> partitions;
  bool operator==(const AssignedPartitions&) const = default;
};

struct GroupMember {
  std::string member_id;
  std::string client_id;
  std::string host;
  std::vector<AssignedPartitions> assignment;
};

struct GroupDescription {
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::vector<GroupMember> members;
};

// A committed offset of a group (or one to commit).
struct GroupOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string metadata;
};

// One agent of the cluster. What the source cannot know is nullopt (streamctl
// prints "-"): over the Kafka protocol there is no agent id and no heartbeat.
struct AgentListing {
  std::optional<std::string> agent_id;
  std::optional<int32_t> node_id;  // the Kafka broker id
  std::string address;             // advertised "host:port"
  std::string zone;                // "" if none (Kafka: rack)
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> last_heartbeat_ms;
};

// Who leads one partition. No leader at all: both leader fields are nullopt.
// From the store: agent id, epoch and expiry; over the Kafka protocol: the
// leader's node id and epoch, and no expiry (the leader is a holder of an
// unexpired lease by definition).
struct LeaseListing {
  std::string topic;
  int32_t partition = 0;
  std::optional<std::string> leader_agent_id;
  std::optional<int32_t> leader_node_id;
  std::optional<int64_t> leader_epoch;
  std::optional<int64_t> expires_at_ms;
};

class StreamClient {
 public:
  virtual ~StreamClient() = default;

  virtual Status CreateTopic(const std::string& name, int32_t partitions,
                             const std::map<std::string, std::string>& config) = 0;
  virtual Result<std::vector<std::string>> ListTopics() = 0;
  // NotFound for an unknown topic.
  virtual Result<TopicDescription> DescribeTopic(const std::string& name) = 0;
  virtual Status DeleteTopic(const std::string& name) = 0;
  // Appends one record batch; returns the offset given to its first record once durable.
  virtual Result<int64_t> Produce(const std::string& topic, int32_t partition, ByteView batch) = 0;
  // Batches from offset, up to about max_bytes. OutOfRange if offset is
  // outside [log start, high watermark].
  virtual Result<FetchResult> Fetch(const std::string& topic, int32_t partition, int64_t offset,
                                    size_t max_bytes) = 0;
  virtual Result<std::vector<SegmentInfo>> ListSegments(const std::string& topic,
                                                        int32_t partition) = 0;

  // ---- consumer groups (docs/consumer-groups.md) ----
  virtual Result<std::vector<GroupListing>> ListGroups() = 0;
  // NotFound for a group that has neither members nor committed offsets.
  virtual Result<GroupDescription> DescribeGroup(const std::string& group) = 0;
  // The group's committed offsets, by topic and partition.
  virtual Result<std::vector<GroupOffset>> FetchCommittedOffsets(const std::string& group) = 0;
  // Commits as an administrator (no member, no generation): the group must
  // have no members.
  virtual Status CommitOffsets(const std::string& group,
                               const std::vector<GroupOffset>& offsets) = 0;
  // NotFound for an unknown group; Unavailable while it has members.
  virtual Status DeleteGroup(const std::string& group) = 0;
  // The offset of the first record with timestamp >= timestamp_ms, or nullopt
  // if there is none.
  virtual Result<std::optional<int64_t>> OffsetForTimestamp(const std::string& topic,
                                                            int32_t partition,
                                                            int64_t timestamp_ms) = 0;

  // ---- cluster (docs/cluster.md) ----
  virtual Result<std::vector<AgentListing>> ListAgents() = 0;
  // Every partition of topic (or of every topic if nullopt), by topic and
  // partition, with its leader if it has one. NotFound for an unknown topic.
  virtual Result<std::vector<LeaseListing>> ListLeases(const std::optional<std::string>& topic) = 0;
};

}  // namespace sh::cli
