// EmbeddedClient: streamctl on a data directory, with no agent running.
//
// The data directory holds metadata.db (SQLite) and the object store's
// objects (topics/..., wal/...). The client opens it the way an embedded
// agent does (broker/data_dir.h: the exclusive lock on DIR/LOCK for its
// lifetime, stale temp files removed) and runs a broker::Broker on it in
// embedded mode, under the identity of the agent that used the directory
// (AgentIdFor): opening replays that agent's WAL, every partition used is
// led under its lease and epoch, and topics, configs and produced batches
// get the agent's checks. Reads and writes of records go through the
// Broker; listings that need only the store (topics, segments, groups,
// agents, leases) come from it directly, as with --metadata-url.
//
// A produce is acknowledged once its WAL object is durable, as by the
// agent; closing the client seals every tail into segments and releases the
// leases, so a restarted agent finds the records sealed (or, if streamctl was
// killed first, in the WAL it replays). See docs/deployment.md, "streamctl
// on a data directory".
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "broker/broker.h"
#include "broker/data_dir.h"
#include "cli/metadata_client.h"
#include "cli/stream_client.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"

namespace sh::cli {

class EmbeddedClient final : public StreamClient {
 public:
  // Unavailable if an agent (or another streamctl) holds the directory;
  // whatever the WAL replay returns if the directory cannot be served.
  static Result<std::unique_ptr<EmbeddedClient>> Open(const std::string& data_dir);
  ~EmbeddedClient() override;  // seals the tails (Broker::Stop)

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

  // The agent id the client's Broker runs as: the one agent with WAL objects
  // in store (its WAL is what must be replayed; its leases are taken back at
  // their epochs), or default_id if none has. InvalidArgument naming them if
  // several have: which one's WAL to replay is then the agent's settings'
  // to say (agent.id), and streamctl cannot read them.
  static Result<std::string> AgentIdFor(ObjectStore& store, const std::string& default_id);

 private:
  EmbeddedClient(std::unique_ptr<broker::DataDirLock> lock, std::unique_ptr<MetadataStore> metadata,
                 std::unique_ptr<ObjectStore> store, std::unique_ptr<broker::Broker> broker);

  // Destroyed in reverse: the broker stops before the stores close and the lock goes.
  std::unique_ptr<broker::DataDirLock> lock_;
  std::unique_ptr<MetadataStore> metadata_;
  MetadataClient reads_;  // what needs the store alone; borrows *metadata_
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<broker::Broker> broker_;
};

}  // namespace sh::cli
