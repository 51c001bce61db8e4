#include "cli/embedded_client.h"

#include <utility>

#include "base/clock.h"
#include "wal/wal_reader.h"

namespace sh::cli {

Result<std::string> EmbeddedClient::AgentIdFor(ObjectStore& store, const std::string& default_id) {
  SH_ASSIGN_OR_RETURN(auto wal, wal::ListAllWal(store));
  if (wal.empty()) return default_id;
  if (wal.size() == 1) return wal.begin()->first;
  std::string names;
  for (const auto& [agent, objects] : wal) names += (names.empty() ? "" : ", ") + agent;
  return Status::InvalidArgument(
      "the data directory holds the write-ahead logs of several agents (" + names +
      "); streamctl cannot tell which one to replay: start the agent and use --bootstrap "
      "HOST:PORT");
}

Result<std::unique_ptr<EmbeddedClient>> EmbeddedClient::Open(const std::string& data_dir) {
  auto lock = broker::DataDirLock::Acquire(data_dir);
  if (!lock.ok()) {
    if (lock.status().code() != ErrorCode::kUnavailable) return lock.status();
    return Status::Unavailable(lock.status().message() +
                               " (a running agent? then use --bootstrap HOST:PORT)");
  }
  SH_ASSIGN_OR_RETURN(std::unique_ptr<MetadataStore> metadata,
                      broker::OpenSqliteMetadataStore(data_dir + "/metadata.db"));
  SH_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store, broker::OpenLocalObjectStore(data_dir));
  // The agent's broker with its defaults; topics only from `topic create`.
  broker::BrokerOptions options;
  SH_ASSIGN_OR_RETURN(options.agent_id, AgentIdFor(*store, options.agent_id));
  options.auto_create_topics = false;
  options.cache_bytes = 64 << 20;
  // No Start(): no background thread, so nothing runs that the agent's own
  // settings (retention, segment.ms) should decide; a lease whose local
  // deadline passed is renewed by the next produce. Stop() seals the tails.
  SH_ASSIGN_OR_RETURN(std::unique_ptr<broker::Broker> broker,
                      broker::Broker::Open(options, *metadata, *store, *SystemClock::Get()));
  return std::unique_ptr<EmbeddedClient>(new EmbeddedClient(std::move(*lock), std::move(metadata),
                                                            std::move(store), std::move(broker)));
}

EmbeddedClient::EmbeddedClient(std::unique_ptr<broker::DataDirLock> lock,
                               std::unique_ptr<MetadataStore> metadata,
                               std::unique_ptr<ObjectStore> store,
                               std::unique_ptr<broker::Broker> broker)
    : lock_(std::move(lock)),
      metadata_(std::move(metadata)),
      reads_(*metadata_),
      store_(std::move(store)),
      broker_(std::move(broker)) {}

EmbeddedClient::~EmbeddedClient() = default;

Status EmbeddedClient::CreateTopic(const std::string& name, int32_t partitions,
                                   const std::map<std::string, std::string>& config) {
  return broker_->CreateTopic(name, partitions, config, /*validate_only=*/false);
}

Result<std::vector<std::string>> EmbeddedClient::ListTopics() { return reads_.ListTopics(); }

Result<TopicDescription> EmbeddedClient::DescribeTopic(const std::string& name) {
  SH_ASSIGN_OR_RETURN(TopicDescription d, reads_.DescribeTopic(name));
  // The store has each partition's sealed end. Records above it are in this
  // agent's WAL, which Open() replayed into leaders, or were produced since:
  // either way the partition is led here, and its leader knows the offsets.
  for (const broker::LedPartition& led : broker_->Led()) {
    if (led.topic != name || led.partition < 0 ||
        led.partition >= static_cast<int32_t>(d.partitions.size())) {
      continue;
    }
    SH_ASSIGN_OR_RETURN(broker::PartitionOffsets offsets, broker_->Offsets(name, led.partition));
    d.partitions[led.partition].log_start_offset = offsets.log_start_offset;
    d.partitions[led.partition].high_watermark = offsets.high_watermark;
  }
  return d;
}

Status EmbeddedClient::DeleteTopic(const std::string& name) { return broker_->DeleteTopic(name); }

Result<int64_t> EmbeddedClient::Produce(const std::string& topic, int32_t partition,
                                        ByteView batch) {
  SH_ASSIGN_OR_RETURN(broker::ProduceResult produced, broker_->Produce(topic, partition, batch));
  return produced.base_offset;
}

Result<FetchResult> EmbeddedClient::Fetch(const std::string& topic, int32_t partition,
                                          int64_t offset, size_t max_bytes) {
  SH_ASSIGN_OR_RETURN(broker::FetchResult fetched,
                      broker_->Fetch(topic, partition, offset, max_bytes));
  FetchResult out;
  out.batches = std::move(fetched.batches);
  out.high_watermark = fetched.high_watermark;
  out.log_start_offset = fetched.log_start_offset;
  return out;
}

Result<std::vector<SegmentInfo>> EmbeddedClient::ListSegments(const std::string& topic,
                                                              int32_t partition) {
  return reads_.ListSegments(topic, partition);
}

Result<std::optional<int64_t>> EmbeddedClient::OffsetForTimestamp(const std::string& topic,
                                                                  int32_t partition,
                                                                  int64_t timestamp_ms) {
  SH_ASSIGN_OR_RETURN(auto found, broker_->OffsetForTimestamp(topic, partition, timestamp_ms));
  if (!found) return std::optional<int64_t>();
  return std::optional(found->first);
}

}  // namespace sh::cli

// ---- consumer groups ----
// Groups are the agent's group coordinator's, not the broker's: they live in
// the store. No agent runs on a locked data directory, so no group has
// members here: a group the store knows is Empty, as an agent would report it
// after a restart, and its offsets can be committed as an administrator.

namespace sh::cli {

Result<std::vector<GroupListing>> EmbeddedClient::ListGroups() { return reads_.ListGroups(); }

Result<GroupDescription> EmbeddedClient::DescribeGroup(const std::string& group) {
  return reads_.DescribeGroup(group);
}

Result<std::vector<GroupOffset>> EmbeddedClient::FetchCommittedOffsets(const std::string& group) {
  return reads_.FetchCommittedOffsets(group);
}

Status EmbeddedClient::CommitOffsets(const std::string& group,
                                     const std::vector<GroupOffset>& offsets) {
  const int64_t now = SystemClock::Get()->NowMs();
  std::vector<CommittedOffset> rows;
  for (const GroupOffset& o : offsets) {
    SH_RETURN_IF_ERROR(reads_.CheckPartition(o.topic, o.partition));
    rows.push_back({group, o.topic, o.partition, o.offset, o.metadata, now});
  }
  return metadata_->CommitOffsets(rows);
}

Status EmbeddedClient::DeleteGroup(const std::string& group) {
  Status st = metadata_->DeleteGroup(group);
  if (st.code() == ErrorCode::kNotFound) {
    return Status::NotFound("group " + group + " does not exist");
  }
  return st;
}

Result<std::vector<AgentListing>> EmbeddedClient::ListAgents() { return reads_.ListAgents(); }

Result<std::vector<LeaseListing>> EmbeddedClient::ListLeases(
    const std::optional<std::string>& topic) {
  return reads_.ListLeases(topic);
}

}  // namespace sh::cli
