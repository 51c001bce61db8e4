// MetadataClient: streamctl's read-only view of a metadata store alone, with
// no object store: `streamctl --metadata-url sqlite://PATH | postgres://...`.
//
// It answers what the store holds (topics, partitions, segment rows, groups
// and their committed offsets, agents, leases) and refuses with Unsupported
// whatever needs the log itself or writes. EmbeddedClient answers its own
// reads through one of these, so both print the same.
//
// Opening a URL never takes a data directory's LOCK: several agents share a
// PostgreSQL store, and SQLite orders concurrent readers itself.
#pragma once

#include <memory>
#include <string>

#include "cli/stream_client.h"
#include "metadata/metadata_store.h"

namespace sh::cli {

class MetadataClient final : public StreamClient {
 public:
  // url: "sqlite://PATH" (an existing file) or "postgres://..." /
  // "postgresql://..." (libpq). InvalidArgument for another scheme.
  static Result<std::unique_ptr<MetadataClient>> Open(const std::string& url);

  // Reads store, which must outlive this client.
  explicit MetadataClient(MetadataStore& store) : store_(store) {}
  explicit MetadataClient(std::unique_ptr<MetadataStore> owned)
      : owned_(std::move(owned)), store_(*owned_) {}

  Status CreateTopic(const std::string& name, int32_t partitions,
                     const std::map<std::string, std::string>& config) override;
  Result<std::vector<std::string>> ListTopics() override;
  Result<TopicDescription> DescribeTopic(const std::string& name) override;
  Status DeleteTopic(const std::string& name) override;
  Result<int64_t> Produce(const std::string& topic, int32_t partition, ByteView batch) override;
  Result<FetchResult> Fetch(const std::string& topic, int32_t partition, int64_t offset,
                            size_t max_bytes) override;
  // NotFound for a partition the topic lacks.
  Result<std::vector<SegmentInfo>> ListSegments(const std::string& topic,
                                                int32_t partition) override;

  // The store keeps no membership: a group it knows is Empty.
  Result<std::vector<GroupListing>> ListGroups() override;
  Result<GroupDescription> DescribeGroup(const std::string& group) override;
  Result<std::vector<GroupOffset>> FetchCommittedOffsets(const std::string& group) override;
  Status CommitOffsets(const std::string& group, const std::vector<GroupOffset>& offsets) override;
  Status DeleteGroup(const std::string& group) override;
  Result<std::optional<int64_t>> OffsetForTimestamp(const std::string& topic, int32_t partition,
                                                    int64_t timestamp_ms) override;

  Result<std::vector<AgentListing>> ListAgents() override;
  Result<std::vector<LeaseListing>> ListLeases(const std::optional<std::string>& topic) override;

  // NotFound unless topic has the partition.
  Status CheckPartition(const std::string& topic, int32_t partition);

 private:
  std::unique_ptr<MetadataStore> owned_;  // null when borrowed
  MetadataStore& store_;
};

}  // namespace sh::cli
