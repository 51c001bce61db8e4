// EmbeddedClient: streamctl on a data directory, with no agent running.
//
// The data directory holds metadata.db (SQLite) and the object store's
// objects (topics/...). The client takes an exclusive lock on DIR/LOCK for
// its lifetime, the same lock an agent holds, so two writers never share a
// directory. Each produce seals its records into a segment at once, so what
// streamctl acknowledged is stored when it exits.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "cli/metadata_client.h"
#include "cli/stream_client.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "storage/segment_cache.h"
#include "storage/segment_index.h"

namespace sh::cli {

class EmbeddedClient final : public StreamClient {
 public:
  static Result<std::unique_ptr<EmbeddedClient>> Open(const std::string& data_dir);
  ~EmbeddedClient() override;

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

  Result<std::vector<AgentListing>> ListAgents() override;
  Result<std::vector<LeaseListing>> ListLeases(const std::optional<std::string>& topic) override;

 private:
  EmbeddedClient(int lock_fd, std::unique_ptr<MetadataStore> metadata,
                 std::unique_ptr<ObjectStore> store);

  int lock_fd_;
  std::unique_ptr<MetadataStore> metadata_;
  MetadataClient reads_;  // what needs the store alone; borrows *metadata_
  std::unique_ptr<ObjectStore> store_;
  storage::SegmentCache cache_;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<storage::SegmentIndex>> indexes_;
};

}  // namespace sh::cli
