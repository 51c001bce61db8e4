#include "cli/kafka_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "kafka/protocol/errors.h"
#include "kafka/protocol/generated/api_table.h"
#include "kafka/protocol/generated/create_topics.h"
#include "kafka/protocol/generated/delete_topics.h"
#include "kafka/protocol/generated/describe_configs.h"
#include "kafka/protocol/generated/fetch.h"
#include "kafka/protocol/generated/list_offsets.h"
#include "kafka/protocol/generated/metadata.h"
#include "kafka/protocol/generated/produce.h"
#include "records/record_batch.h"

namespace sh::cli {

namespace {

// The Status code a Kafka error becomes here: a specific one where streamctl
// tells the cases apart, else Unavailable for what Kafka's clients retry
// (kafka/protocol/errors.h) and Internal for the rest. REBALANCE_IN_PROGRESS,
// NON_EMPTY_GROUP and BROKER_NOT_AVAILABLE are not retriable in Kafka but pass
// with time, so they read as Unavailable too.
ErrorCode StatusCodeFor(const kafka::KafkaErrorInfo& e) {
  using kafka::KafkaError;
  switch (static_cast<KafkaError>(e.code)) {
    case KafkaError::kOffsetOutOfRange:
      return ErrorCode::kOutOfRange;
    case KafkaError::kCorruptMessage:
      return ErrorCode::kCorruption;
    case KafkaError::kUnknownTopicOrPartition:
    case KafkaError::kUnknownMemberId:
    case KafkaError::kUnknownProducerId:
    case KafkaError::kGroupIdNotFound:
    case KafkaError::kResourceNotFound:
      return ErrorCode::kNotFound;
    case KafkaError::kRequestTimedOut:
      return ErrorCode::kTimeout;
    case KafkaError::kMessageTooLarge:
    case KafkaError::kOffsetMetadataTooLarge:
    case KafkaError::kRecordListTooLarge:
      return ErrorCode::kTooLarge;
    case KafkaError::kInvalidFetchSize:
    case KafkaError::kInvalidTopicException:
    case KafkaError::kInvalidRequiredAcks:
    case KafkaError::kInvalidGroupId:
    case KafkaError::kTopicAuthorizationFailed:
    case KafkaError::kGroupAuthorizationFailed:
    case KafkaError::kClusterAuthorizationFailed:
    case KafkaError::kInvalidTimestamp:
    case KafkaError::kInvalidPartitions:
    case KafkaError::kInvalidReplicationFactor:
    case KafkaError::kInvalidReplicaAssignment:
    case KafkaError::kInvalidConfig:
    case KafkaError::kInvalidRequest:
    case KafkaError::kPolicyViolation:
    case KafkaError::kInvalidRecord:
      return ErrorCode::kInvalidArgument;
    case KafkaError::kIllegalGeneration:
    case KafkaError::kInvalidProducerEpoch:
    case KafkaError::kFencedLeaderEpoch:
    case KafkaError::kProducerFenced:
      return ErrorCode::kFenced;
    case KafkaError::kUnsupportedVersion:
    case KafkaError::kUnsupportedForMessageFormat:
    case KafkaError::kUnsupportedCompressionType:
      return ErrorCode::kUnsupported;
    case KafkaError::kTopicAlreadyExists:
      return ErrorCode::kAlreadyExists;
    case KafkaError::kBrokerNotAvailable:
    case KafkaError::kRebalanceInProgress:
    case KafkaError::kNonEmptyGroup:
      return ErrorCode::kUnavailable;
    default:
      return e.retriable ? ErrorCode::kUnavailable : ErrorCode::kInternal;
  }
}

// The versions this client can build and read, per API. The lower bounds are
// the first versions with the fields streamctl relies on: Metadata v4
// (allow_auto_topic_creation, so describe never creates a topic), CreateTopics
// v4 (replication factor -1), Produce v3 / Fetch v4 (record batch v2).
// Fetch stops at v12: v13 names topics by id only. OffsetFetch v2 is the first
// to fetch every offset of a group (null topics); v8 batches groups, which
// streamctl does not need. The group calls are in kafka_group_client.cc.
struct VersionRange {
  kafka::ApiKey api;
  int16_t min;
  int16_t max;
};
constexpr VersionRange kImplemented[] = {
    {kafka::ApiKey::kProduce, 3, 11},        {kafka::ApiKey::kFetch, 4, 12},
    {kafka::ApiKey::kListOffsets, 1, 10},    {kafka::ApiKey::kMetadata, 4, 12},
    {kafka::ApiKey::kCreateTopics, 4, 7},    {kafka::ApiKey::kDeleteTopics, 1, 6},
    {kafka::ApiKey::kDescribeConfigs, 1, 4}, {kafka::ApiKey::kListGroups, 0, 4},
    {kafka::ApiKey::kDescribeGroups, 0, 5},  {kafka::ApiKey::kDeleteGroups, 0, 2},
    {kafka::ApiKey::kOffsetFetch, 2, 7},     {kafka::ApiKey::kOffsetCommit, 2, 8},
};

constexpr int16_t kApiVersionsMax = 3;
constexpr int8_t kResourceTypeTopic = 2;
constexpr int8_t kConfigSourceTopic = 1;  // DYNAMIC_TOPIC_CONFIG: set on the topic itself
constexpr int16_t kUnsupportedVersion = kafka::Code(kafka::KafkaError::kUnsupportedVersion);
constexpr int16_t kLeaderNotAvailable = kafka::Code(kafka::KafkaError::kLeaderNotAvailable);

std::string TopicPartition(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

// ApiVersions at version; a server lacking it answers in v0 with
// UNSUPPORTED_VERSION, so a body that does not parse at version is read as v0.
Result<kafka::ApiVersionsResponse> AskApiVersions(KafkaConnection& c, int16_t version) {
  kafka::ApiVersionsRequest request;
  request.client_software_name = "streamhouse-streamctl";
  request.client_software_version = "1.0";
  const int32_t correlation_id = 0;
  SH_ASSIGN_OR_RETURN(Bytes frame,
                      EncodeRequestFrame(request, version, correlation_id, "streamctl"));
  SH_ASSIGN_OR_RETURN(Bytes reply, c.RoundTrip(frame));
  auto response = DecodeResponseFrame<kafka::ApiVersionsResponse>(reply, version, correlation_id);
  if (response.ok() || version == 0) return response;
  auto v0 = DecodeResponseFrame<kafka::ApiVersionsResponse>(reply, 0, correlation_id);
  return v0.ok() ? v0 : response;
}

const kafka::ApiVersionsResponse::ApiVersion* FindServerApi(
    const kafka::ApiVersionsResponse& server, int16_t api_key) {
  for (const auto& a : server.api_keys) {
    if (a.api_key == api_key) return &a;
  }
  return nullptr;
}

}  // namespace

const char* KafkaErrorName(int16_t code) {
  const kafka::KafkaErrorInfo* e = kafka::FindKafkaError(code);
  return e ? e->name : "UNKNOWN_ERROR_CODE";
}

Status KafkaErrorStatus(int16_t code, const std::string& what,
                        const std::optional<std::string>& server_message) {
  if (code == 0) return Status::OK();
  const kafka::KafkaErrorInfo* e = kafka::FindKafkaError(code);
  std::string message = what + ": " + KafkaErrorName(code) + " (" + std::to_string(code) + ")";
  if (server_message && !server_message->empty()) message += ": " + *server_message;
  return Status(e ? StatusCodeFor(*e) : ErrorCode::kInternal, std::move(message));
}

Result<int16_t> NegotiateVersion(const kafka::ApiVersionsResponse& server, int16_t api_key,
                                 int16_t ours_min, int16_t ours_max) {
  const kafka::ApiInfo* info = kafka::FindApi(api_key);
  std::string name = info ? info->name : "api " + std::to_string(api_key);
  const auto* theirs = FindServerApi(server, api_key);
  if (theirs == nullptr) return Status::Unsupported("the agent does not offer " + name);
  int16_t low = std::max(ours_min, theirs->min_version);
  int16_t high = std::min(ours_max, theirs->max_version);
  if (low > high) {
    return Status::Unsupported("no common version of " + name + ": the agent speaks v" +
                               std::to_string(theirs->min_version) + "-v" +
                               std::to_string(theirs->max_version) + ", streamctl v" +
                               std::to_string(ours_min) + "-v" + std::to_string(ours_max));
  }
  return high;
}

Bytes WholeBatches(Bytes data) {
  size_t whole = 0;
  while (whole < data.size()) {
    ByteView rest = ByteView(data).subspan(whole);
    size_t size = records::PeekBatchSize(rest);
    if (size == 0 || size > rest.size()) break;
    whole += size;
  }
  data.resize(whole);
  return data;
}

Result<int16_t> KafkaClient::Session::Version(int16_t api_key) const {
  for (const VersionRange& r : kImplemented) {
    if (static_cast<int16_t>(r.api) == api_key) {
      return NegotiateVersion(versions, api_key, r.min, r.max);
    }
  }
  return Status::Internal("streamctl implements no version of api " + std::to_string(api_key));
}

Result<KafkaClient::Session> KafkaClient::OpenSession(const std::string& host, int port,
                                                      const ConnectionOptions& options) {
  Session session;
  SH_ASSIGN_OR_RETURN(session.connection, KafkaConnection::Connect(host, port, options));
  SH_ASSIGN_OR_RETURN(session.versions, AskApiVersions(*session.connection, kApiVersionsMax));
  if (session.versions.error_code == kUnsupportedVersion) {
    // The answer lists the ApiVersions versions the agent has; ask again in one.
    const auto* theirs = FindServerApi(session.versions, kafka::ApiVersionsRequest::kApiKey);
    int16_t version = theirs ? std::min(kApiVersionsMax, theirs->max_version) : 0;
    SH_ASSIGN_OR_RETURN(session.versions, AskApiVersions(*session.connection, version));
  }
  SH_RETURN_IF_ERROR(KafkaErrorStatus(session.versions.error_code,
                                      "ApiVersions from " + session.connection->address()));
  return session;
}

Result<std::unique_ptr<KafkaClient>> KafkaClient::Connect(const std::string& bootstrap,
                                                          const ConnectionOptions& options) {
  SH_ASSIGN_OR_RETURN(auto host_port, ParseHostPort(bootstrap));
  std::unique_ptr<KafkaClient> client(new KafkaClient(options));
  client->bootstrap_ = bootstrap;
  SH_ASSIGN_OR_RETURN(Session session, OpenSession(host_port.first, host_port.second, options));
  client->sessions_.emplace(bootstrap, std::move(session));
  return client;
}

KafkaClient::~KafkaClient() = default;

Result<KafkaClient::Session*> KafkaClient::SessionFor(const std::string& address) {
  auto it = sessions_.find(address);
  if (it != sessions_.end()) return &it->second;
  SH_ASSIGN_OR_RETURN(auto host_port, ParseHostPort(address));
  SH_ASSIGN_OR_RETURN(Session session, OpenSession(host_port.first, host_port.second, options_));
  return &sessions_.emplace(address, std::move(session)).first->second;
}

Result<KafkaClient::TopicRoute> KafkaClient::Route(const std::string& topic,
                                                   int32_t* partition_count) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::MetadataRequest::kApiKey));
  kafka::MetadataRequest request;
  request.topics.emplace().push_back({.topic_id = {}, .name = topic});
  request.allow_auto_topic_creation = false;
  // A topic created a moment ago may have no leader yet: ask again briefly.
  for (int attempt = 0;; ++attempt) {
    SH_ASSIGN_OR_RETURN(
        auto response,
        (s->connection->Call<kafka::MetadataRequest, kafka::MetadataResponse>(request, version)));
    const kafka::MetadataResponse::MetadataResponseTopic* found = nullptr;
    for (const auto& t : response.topics) {
      if (t.name == topic) found = &t;
    }
    if (found == nullptr) return Status::Corruption("metadata response lacks topic " + topic);
    if (found->error_code == kLeaderNotAvailable && attempt < 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    SH_RETURN_IF_ERROR(KafkaErrorStatus(found->error_code, "topic " + topic));
    std::map<int32_t, std::string> brokers;
    for (const auto& b : response.brokers) {
      // With a single agent, the leader is the agent we are talking to,
      // whatever address it advertises.
      brokers[b.node_id] =
          response.brokers.size() == 1 ? bootstrap_ : b.host + ":" + std::to_string(b.port);
    }
    TopicRoute route;
    route.leaders.resize(found->partitions.size());
    for (const auto& p : found->partitions) {
      if (p.partition_index < 0 ||
          p.partition_index >= static_cast<int32_t>(route.leaders.size())) {
        return Status::Corruption("metadata for topic " + topic + " names partition " +
                                  std::to_string(p.partition_index) + " of " +
                                  std::to_string(route.leaders.size()));
      }
      // A partition error (say LEADER_NOT_AVAILABLE while a lease changes
      // hands) is advisory when a leader is named: that agent answers
      // requests with its own, current, error.
      auto b = brokers.find(p.leader_id);
      if (b != brokers.end()) route.leaders[p.partition_index] = b->second;
    }
    *partition_count = static_cast<int32_t>(route.leaders.size());
    routes_[topic] = route;
    return route;
  }
}

Result<KafkaClient::Session*> KafkaClient::Leader(const std::string& topic, int32_t partition) {
  // A partition without a leader usually has one a moment later (a lease
  // being taken over): ask Metadata again for a few seconds.
  for (int attempt = 0;; ++attempt) {
    auto it = routes_.find(topic);
    if (it == routes_.end()) {
      int32_t count = 0;
      SH_RETURN_IF_ERROR(Route(topic, &count).status());
      it = routes_.find(topic);
    }
    const std::vector<std::string>& leaders = it->second.leaders;
    if (partition < 0 || partition >= static_cast<int32_t>(leaders.size())) {
      return Status::NotFound("topic " + topic + " has no partition " + std::to_string(partition) +
                              " (it has " + std::to_string(leaders.size()) + ")");
    }
    if (!leaders[partition].empty()) return SessionFor(leaders[partition]);
    routes_.erase(it);
    if (attempt >= 20) {
      return Status::Unavailable("no leader for " + TopicPartition(topic, partition));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status KafkaClient::CreateTopic(const std::string& name, int32_t partitions,
                                const std::map<std::string, std::string>& config) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::CreateTopicsRequest::kApiKey));
  kafka::CreateTopicsRequest request;
  auto& topic = request.topics.emplace_back();
  topic.name = name;
  topic.num_partitions = partitions;
  topic.replication_factor = -1;  // the agent's default: storage replicates, not agents
  for (const auto& [key, value] : config) topic.configs.push_back({key, value});
  request.timeout_ms = options_.request_timeout_ms;
  SH_ASSIGN_OR_RETURN(auto response,
                      (s->connection->Call<kafka::CreateTopicsRequest, kafka::CreateTopicsResponse>(
                          request, version)));
  for (const auto& t : response.topics) {
    if (t.name == name) {
      return KafkaErrorStatus(t.error_code, "create topic " + name, t.error_message);
    }
  }
  return Status::Corruption("CreateTopics response lacks topic " + name);
}

Result<std::vector<std::string>> KafkaClient::ListTopics() {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::MetadataRequest::kApiKey));
  kafka::MetadataRequest request;
  request.topics.reset();  // null: every topic
  request.allow_auto_topic_creation = false;
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::MetadataRequest, kafka::MetadataResponse>(request, version)));
  std::vector<std::string> names;
  // A topic with an error here (say, no leader yet) still exists: list it.
  for (const auto& t : response.topics) {
    if (t.name && !t.is_internal) names.push_back(*t.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::map<std::string, std::string>> KafkaClient::TopicConfigs(const std::string& topic) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::DescribeConfigsRequest::kApiKey));
  kafka::DescribeConfigsRequest request;
  auto& resource = request.resources.emplace_back();
  resource.resource_type = kResourceTypeTopic;
  resource.resource_name = topic;
  resource.configuration_keys.reset();  // null: every config
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::DescribeConfigsRequest, kafka::DescribeConfigsResponse>(
          request, version)));
  if (response.results.size() != 1) {
    return Status::Corruption("DescribeConfigs response for topic " + topic + " has " +
                              std::to_string(response.results.size()) + " results");
  }
  const auto& result = response.results[0];
  SH_RETURN_IF_ERROR(KafkaErrorStatus(result.error_code, "describe configs of topic " + topic,
                                      result.error_message));
  std::map<std::string, std::string> configs;
  for (const auto& c : result.configs) {
    if (c.config_source == kConfigSourceTopic) configs[c.name] = c.value.value_or("");
  }
  return configs;
}

Result<std::vector<int64_t>> KafkaClient::ListOffsets(const std::string& topic,
                                                      const TopicRoute& route, int64_t timestamp) {
  // One request per leader, naming the partitions it leads.
  std::map<std::string, std::vector<int32_t>> by_leader;
  for (int32_t p = 0; p < static_cast<int32_t>(route.leaders.size()); ++p) {
    if (route.leaders[p].empty()) {
      return Status::Unavailable("no leader for " + TopicPartition(topic, p));
    }
    by_leader[route.leaders[p]].push_back(p);
  }
  std::vector<int64_t> offsets(route.leaders.size(), -1);
  std::vector<bool> answered(route.leaders.size(), false);
  for (const auto& [address, partitions] : by_leader) {
    SH_ASSIGN_OR_RETURN(Session * s, SessionFor(address));
    SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::ListOffsetsRequest::kApiKey));
    kafka::ListOffsetsRequest request;
    request.replica_id = -1;  // a consumer, not a follower
    auto& t = request.topics.emplace_back();
    t.name = topic;
    for (int32_t p : partitions) {
      t.partitions.push_back({.partition_index = p, .timestamp = timestamp});
    }
    request.timeout_ms = options_.request_timeout_ms;
    SH_ASSIGN_OR_RETURN(auto response,
                        (s->connection->Call<kafka::ListOffsetsRequest, kafka::ListOffsetsResponse>(
                            request, version)));
    for (const auto& rt : response.topics) {
      for (const auto& rp : rt.partitions) {
        if (rt.name != topic || rp.partition_index < 0 ||
            rp.partition_index >= static_cast<int32_t>(offsets.size())) {
          continue;
        }
        SH_RETURN_IF_ERROR(KafkaErrorStatus(
            rp.error_code, "list offsets of " + TopicPartition(topic, rp.partition_index)));
        offsets[rp.partition_index] = rp.offset;
        answered[rp.partition_index] = true;
      }
    }
  }
  for (size_t p = 0; p < offsets.size(); ++p) {
    // A timestamp with no record at or after it is answered with offset -1.
    if (!answered[p] || (offsets[p] < 0 && timestamp < 0)) {
      return Status::Corruption("ListOffsets response lacks " +
                                TopicPartition(topic, static_cast<int32_t>(p)));
    }
  }
  return offsets;
}

Result<TopicDescription> KafkaClient::DescribeTopic(const std::string& name) {
  TopicDescription out;
  out.name = name;
  SH_ASSIGN_OR_RETURN(TopicRoute route, Route(name, &out.partition_count));
  SH_ASSIGN_OR_RETURN(out.config, TopicConfigs(name));
  SH_ASSIGN_OR_RETURN(std::vector<int64_t> starts, ListOffsets(name, route, -2));
  SH_ASSIGN_OR_RETURN(std::vector<int64_t> ends, ListOffsets(name, route, -1));
  for (int32_t p = 0; p < out.partition_count; ++p) {
    // Segment counts and bytes are not in the Kafka protocol: left 0.
    out.partitions.push_back({p, starts[p], ends[p], 0, 0});
  }
  return out;
}

Status KafkaClient::DeleteTopic(const std::string& name) {
  SH_ASSIGN_OR_RETURN(Session * s, SessionFor(bootstrap_));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::DeleteTopicsRequest::kApiKey));
  kafka::DeleteTopicsRequest request;
  request.topic_names.push_back(name);                       // versions 0-5
  request.topics.push_back({.name = name, .topic_id = {}});  // version 6 on
  request.timeout_ms = options_.request_timeout_ms;
  SH_ASSIGN_OR_RETURN(auto response,
                      (s->connection->Call<kafka::DeleteTopicsRequest, kafka::DeleteTopicsResponse>(
                          request, version)));
  routes_.erase(name);
  for (const auto& r : response.responses) {
    if (r.name == name) {
      return KafkaErrorStatus(r.error_code, "delete topic " + name, r.error_message);
    }
  }
  return Status::Corruption("DeleteTopics response lacks topic " + name);
}

Result<int64_t> KafkaClient::Produce(const std::string& topic, int32_t partition, ByteView batch) {
  SH_ASSIGN_OR_RETURN(Session * s, Leader(topic, partition));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::ProduceRequest::kApiKey));
  kafka::ProduceRequest request;
  request.acks = -1;  // acknowledged once durable
  request.timeout_ms = options_.request_timeout_ms;
  auto& t = request.topic_data.emplace_back();
  t.name = topic;
  t.partition_data.push_back({.index = partition, .records = Bytes(batch.begin(), batch.end())});
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::ProduceRequest, kafka::ProduceResponse>(request, version)));
  for (const auto& rt : response.responses) {
    for (const auto& rp : rt.partition_responses) {
      if (rt.name != topic || rp.index != partition) continue;
      if (rp.error_code != 0) routes_.erase(topic);  // the leader may have moved
      SH_RETURN_IF_ERROR(KafkaErrorStatus(
          rp.error_code, "produce to " + TopicPartition(topic, partition), rp.error_message));
      return rp.base_offset;
    }
  }
  return Status::Corruption("Produce response lacks " + TopicPartition(topic, partition));
}

Result<FetchResult> KafkaClient::Fetch(const std::string& topic, int32_t partition, int64_t offset,
                                       size_t max_bytes) {
  SH_ASSIGN_OR_RETURN(Session * s, Leader(topic, partition));
  SH_ASSIGN_OR_RETURN(int16_t version, s->Version(kafka::FetchRequest::kApiKey));
  const auto limit = static_cast<int32_t>(std::min<size_t>(max_bytes, INT32_MAX));
  kafka::FetchRequest request;
  request.replica_id = -1;
  request.max_wait_ms = 0;  // streamctl reads up to the high watermark, never waits for more
  request.min_bytes = 1;
  request.max_bytes = limit;
  request.session_epoch = -1;  // a full fetch outside any fetch session
  auto& t = request.topics.emplace_back();
  t.topic = topic;
  t.partitions.push_back(
      {.partition = partition, .fetch_offset = offset, .partition_max_bytes = limit});
  SH_ASSIGN_OR_RETURN(
      auto response,
      (s->connection->Call<kafka::FetchRequest, kafka::FetchResponse>(request, version)));
  const std::string where =
      "fetch " + TopicPartition(topic, partition) + " at offset " + std::to_string(offset);
  SH_RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, where));
  for (const auto& rt : response.responses) {
    for (auto& rp : rt.partitions) {
      if (rt.topic != topic || rp.partition_index != partition) continue;
      if (rp.error_code != 0 && rp.error_code != 1) routes_.erase(topic);
      SH_RETURN_IF_ERROR(KafkaErrorStatus(rp.error_code, where));
      FetchResult out;
      out.high_watermark = rp.high_watermark;
      out.log_start_offset = rp.log_start_offset;
      Bytes data = rp.records.value_or(Bytes());
      const size_t received = data.size();
      out.batches = WholeBatches(std::move(data));
      if (out.batches.empty() && received > 0) {
        return Status::TooLarge(where + ": the first batch is larger than " +
                                std::to_string(limit) + " bytes");
      }
      return out;
    }
  }
  return Status::Corruption("Fetch response lacks " + TopicPartition(topic, partition));
}

Result<std::vector<SegmentInfo>> KafkaClient::ListSegments(const std::string&, int32_t) {
  return Status::Unsupported(
      "segments list needs --data-dir or --metadata-url (the segment layout is not part of the "
      "Kafka protocol)");
}

}  // namespace sh::cli
