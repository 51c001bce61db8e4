#include "cli/metadata_client.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "metadata/postgres_metadata_store.h"
#include "metadata/sqlite_metadata_store.h"
#include "metadata/topic_config.h"

namespace sh::cli {

namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Status ReadOnly(const std::string& what) {
  return Status::Unsupported(what +
                             " needs --data-dir or --bootstrap: --metadata-url is read-only");
}

GroupListing Listing(const ConsumerGroupInfo& g) {
  return {g.group_id, "Empty", g.protocol_type.empty() ? "consumer" : g.protocol_type};
}

}  // namespace

Result<std::unique_ptr<MetadataClient>> MetadataClient::Open(const std::string& url) {
  if (StartsWith(url, "sqlite://")) {
    std::string path = url.substr(9);
    // Opening would create an empty database: a typo must not look like an
    // empty cluster.
    std::error_code ec;
    if (path.empty() || !std::filesystem::is_regular_file(path, ec)) {
      return Status::NotFound("metadata database " + path + " does not exist");
    }
    SH_ASSIGN_OR_RETURN(std::unique_ptr<SqliteMetadataStore> store,
                        SqliteMetadataStore::Open(path));
    return std::make_unique<MetadataClient>(std::unique_ptr<MetadataStore>(std::move(store)));
  }
  if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) {
    PostgresOptions options;
    options.url = url;
    options.pool_size = 1;  // one command, one query at a time
    SH_ASSIGN_OR_RETURN(std::unique_ptr<MetadataStore> store, OpenPostgresMetadataStore(options));
    return std::make_unique<MetadataClient>(std::move(store));
  }
  return Status::InvalidArgument("--metadata-url must start with sqlite:// or postgres://, got '" +
                                 url + "'");
}

Status MetadataClient::CreateTopic(const std::string&, int32_t,
                                   const std::map<std::string, std::string>&) {
  return ReadOnly("topic create");
}

Result<std::vector<std::string>> MetadataClient::ListTopics() {
  SH_ASSIGN_OR_RETURN(std::vector<TopicInfo> topics, store_.ListTopics());
  std::vector<std::string> names;
  for (const TopicInfo& t : topics) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  return names;
}

Result<TopicDescription> MetadataClient::DescribeTopic(const std::string& name) {
  SH_ASSIGN_OR_RETURN(TopicInfo topic, store_.GetTopic(name));
  TopicDescription out;
  out.name = topic.name;
  out.partition_count = topic.partition_count;
  SH_ASSIGN_OR_RETURN(out.config, ParseTopicConfig(topic.config_json));
  SH_ASSIGN_OR_RETURN(std::vector<PartitionInfo> partitions, store_.ListPartitions(name));
  for (const PartitionInfo& p : partitions) {
    PartitionSummary summary{p.partition, p.log_start_offset, p.high_watermark, 0, 0};
    SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                        store_.ListSegments(name, p.partition, 0));
    for (const SegmentInfo& s : segments) {
      ++summary.segment_count;
      summary.segment_bytes += s.size_bytes;
    }
    out.partitions.push_back(summary);
  }
  return out;
}

Status MetadataClient::DeleteTopic(const std::string&) { return ReadOnly("topic delete"); }

Result<int64_t> MetadataClient::Produce(const std::string&, int32_t, ByteView) {
  return ReadOnly("produce");
}

Result<FetchResult> MetadataClient::Fetch(const std::string&, int32_t, int64_t, size_t) {
  return ReadOnly("reading records");
}

Status MetadataClient::CheckPartition(const std::string& topic, int32_t partition) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, store_.GetTopic(topic));
  if (partition < 0 || partition >= info.partition_count) {
    return Status::NotFound("topic " + topic + " has no partition " + std::to_string(partition) +
                            " (it has " + std::to_string(info.partition_count) + ")");
  }
  return Status::OK();
}

Result<std::vector<SegmentInfo>> MetadataClient::ListSegments(const std::string& topic,
                                                              int32_t partition) {
  SH_RETURN_IF_ERROR(CheckPartition(topic, partition));
  return store_.ListSegments(topic, partition, 0);
}

Result<std::vector<GroupListing>> MetadataClient::ListGroups() {
  SH_ASSIGN_OR_RETURN(std::vector<ConsumerGroupInfo> groups, store_.ListGroups());
  std::vector<GroupListing> out;
  for (const ConsumerGroupInfo& g : groups) out.push_back(Listing(g));
  return out;
}

Result<GroupDescription> MetadataClient::DescribeGroup(const std::string& group) {
  Result<ConsumerGroupInfo> info = store_.GetGroup(group);
  if (!info.ok() && info.status().code() == ErrorCode::kNotFound) {
    return Status::NotFound("group " + group + " does not exist");
  }
  SH_RETURN_IF_ERROR(info.status());
  GroupListing l = Listing(*info);
  return GroupDescription{l.group_id, l.state, l.protocol_type, {}};
}

Result<std::vector<GroupOffset>> MetadataClient::FetchCommittedOffsets(const std::string& group) {
  SH_ASSIGN_OR_RETURN(std::vector<CommittedOffset> committed, store_.FetchOffsets(group));
  std::vector<GroupOffset> out;
  for (const CommittedOffset& c : committed) {
    out.push_back({c.topic, c.partition, c.offset, c.metadata});
  }
  return out;
}

Status MetadataClient::CommitOffsets(const std::string&, const std::vector<GroupOffset>&) {
  return ReadOnly("group reset-offsets");
}

Status MetadataClient::DeleteGroup(const std::string&) { return ReadOnly("group delete"); }

Result<std::optional<int64_t>> MetadataClient::OffsetForTimestamp(const std::string&, int32_t,
                                                                  int64_t) {
  return ReadOnly("finding an offset by time");
}

Result<std::vector<AgentListing>> MetadataClient::ListAgents() {
  SH_ASSIGN_OR_RETURN(std::vector<AgentInfo> agents, store_.ListAgents());
  std::vector<AgentListing> out;
  for (const AgentInfo& a : agents) {
    AgentListing l;
    l.agent_id = a.agent_id;
    if (a.node_id >= 0) l.node_id = a.node_id;
    l.address = a.address;
    l.zone = a.zone;
    l.started_at_ms = a.started_at_ms;
    l.last_heartbeat_ms = a.last_heartbeat_ms;
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<LeaseListing>> MetadataClient::ListLeases(
    const std::optional<std::string>& topic) {
  std::vector<TopicInfo> topics;
  if (topic) {
    SH_ASSIGN_OR_RETURN(TopicInfo info, store_.GetTopic(*topic));
    topics.push_back(std::move(info));
  } else {
    SH_ASSIGN_OR_RETURN(topics, store_.ListTopics());
  }
  SH_ASSIGN_OR_RETURN(std::vector<PartitionLease> leases, store_.ListLeases());
  std::map<std::pair<std::string, int32_t>, const PartitionLease*> by_partition;
  for (const PartitionLease& l : leases) by_partition[{l.topic, l.partition}] = &l;
  // Every partition, leased or not: a partition nobody leads is what an
  // operator looks for.
  std::vector<LeaseListing> out;
  for (const TopicInfo& t : topics) {
    for (int32_t p = 0; p < t.partition_count; ++p) {
      LeaseListing row{t.name, p, {}, {}, {}, {}};
      auto it = by_partition.find({t.name, p});
      if (it != by_partition.end()) {
        row.leader_agent_id = it->second->leader_agent_id;
        row.leader_epoch = it->second->leader_epoch;
        row.expires_at_ms = it->second->expires_at_ms;
      }
      out.push_back(std::move(row));
    }
  }
  std::sort(out.begin(), out.end(), [](const LeaseListing& a, const LeaseListing& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return out;
}

}  // namespace sh::cli
