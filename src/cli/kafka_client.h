// KafkaClient: streamctl against a running agent, over the Kafka protocol.
//
// Connects to the bootstrap address, asks ApiVersions, and then speaks, per
// API, the highest version both sides support within what this client
// implements (kImplemented in kafka_client.cc). Topic admin goes to the
// bootstrap connection; produce, fetch and list-offsets go to the partition
// leader that Metadata names (the same connection when the leader is the
// bootstrap agent). Requests are sent one at a time and answered in order.
//
// What the Kafka protocol cannot say: the segment layout. ListSegments is
// Unsupported, and DescribeTopic reports 0 segments and 0 bytes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/kafka_connection.h"
#include "cli/stream_client.h"
#include "kafka/protocol/generated/api_versions.h"

namespace sh::cli {

// Kafka's name for an error code ("UNKNOWN_TOPIC_OR_PARTITION"), or
// "UNKNOWN_ERROR_CODE" for one this client does not know.
const char* KafkaErrorName(int16_t code);

// OK for code 0; otherwise a Status whose code fits the Kafka error and whose
// message is "WHAT: NAME (CODE)" plus the server's message, if any.
Status KafkaErrorStatus(int16_t code, const std::string& what,
                        const std::optional<std::string>& server_message = std::nullopt);

// The version to use for api_key: the highest in both [ours_min, ours_max]
// and the range the server announced. Unsupported if there is none.
Result<int16_t> NegotiateVersion(const kafka::ApiVersionsResponse& server, int16_t api_key,
                                 int16_t ours_min, int16_t ours_max);

// The leading whole record batches of data: a fetch response may end with a
// batch cut short at the size limit, which is not an error.
Bytes WholeBatches(Bytes data);

class KafkaClient final : public StreamClient {
 public:
  // bootstrap is "HOST:PORT". Fails if the agent cannot be reached or
  // supports none of the versions this client speaks.
  static Result<std::unique_ptr<KafkaClient>> Connect(const std::string& bootstrap,
                                                      const ConnectionOptions& options = {});
  ~KafkaClient() override;

  Status CreateTopic(const std::string& name, int32_t partitions,
                     const std::map<std::string, std::string>& config) override;
  Result<std::vector<std::string>> ListTopics() override;
  Result<TopicDescription> DescribeTopic(const std::string& name) override;
  Status DeleteTopic(const std::string& name) override;
  Result<int64_t> Produce(const std::string& topic, int32_t partition, ByteView batch) override;
  Result<FetchResult> Fetch(const std::string& topic, int32_t partition, int64_t offset,
                            size_t max_bytes) override;
  Result<std::vector<SegmentInfo>> ListSegments(const std::string& topic,
                                                int32_t partition) override;

  Result<std::vector<GroupListing>> ListGroups() override;
  Result<GroupDescription> DescribeGroup(const std::string& group) override;
  Result<std::vector<GroupOffset>> FetchCommittedOffsets(const std::string& group) override;
  Status CommitOffsets(const std::string& group, const std::vector<GroupOffset>& offsets) override;
  Status DeleteGroup(const std::string& group) override;
  Result<std::optional<int64_t>> OffsetForTimestamp(const std::string& topic, int32_t partition,
                                                    int64_t timestamp_ms) override;

  // From Metadata (kafka_cluster_client.cc): the brokers (node id, address,
  // rack), and each partition's leader node id and epoch; no agent ids,
  // heartbeats or lease expiry.
  Result<std::vector<AgentListing>> ListAgents() override;
  Result<std::vector<LeaseListing>> ListLeases(const std::optional<std::string>& topic) override;

 private:
  // One connection and the versions agreed on it.
  struct Session {
    std::unique_ptr<KafkaConnection> connection;
    kafka::ApiVersionsResponse versions;
    Result<int16_t> Version(int16_t api_key) const;
  };
  // Where a topic's partitions are led: leader address per partition ("" if
  // none is available).
  struct TopicRoute {
    std::vector<std::string> leaders;
  };

  explicit KafkaClient(ConnectionOptions options) : options_(std::move(options)) {}
  static Result<Session> OpenSession(const std::string& host, int port,
                                     const ConnectionOptions& options);
  Result<Session*> SessionFor(const std::string& address);
  // Metadata for one topic, never creating it; NotFound if it does not exist.
  Result<TopicRoute> Route(const std::string& topic, int32_t* partition_count);
  // The session of the leader of topic/partition; NotFound for a partition
  // the topic lacks.
  Result<Session*> Leader(const std::string& topic, int32_t partition);
  Result<std::map<std::string, std::string>> TopicConfigs(const std::string& topic);
  // timestamp -2 (earliest), -1 (latest), or a time in ms (the first record
  // at or after it; -1 if none) for every partition of the topic.
  Result<std::vector<int64_t>> ListOffsets(const std::string& topic, const TopicRoute& route,
                                           int64_t timestamp);

  ConnectionOptions options_;
  std::string bootstrap_;                    // "host:port" as given
  std::map<std::string, Session> sessions_;  // by "host:port"
  std::map<std::string, TopicRoute> routes_;
};

}  // namespace sh::cli
