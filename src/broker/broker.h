// Broker: the partitions this agent leads, in storage terms (docs/design.md §6, §7).
//
// Knows nothing of the Kafka wire format; the Kafka handlers
// (src/kafka/server) call it and translate its Status codes to Kafka error
// codes (src/kafka/server/errors.h). Every method may block on the metadata
// or object store: call it from a worker thread (BlockingExecutor), never
// from a network thread. Thread-safe.
//
// Durability (docs/durability.md): a produced batch gets its offsets at once
// but is acknowledged, and becomes visible to fetches (the high watermark
// moves), only once the write-ahead log object holding it is durable in the
// object store (group commit, src/wal). The durable tail is sealed into a
// segment at segment.bytes, at segment.ms, or when it is older than flush_ms,
// and on Stop(); WAL objects the segments cover are then deleted. Open()
// replays this agent's WAL above each partition's last sealed segment before
// anything is served.
//
// Lease safety (docs/cluster.md §3): a produce is acknowledged, and its
// records become visible, only while now < the leader's local lease deadline
// (request start of the last acquire/renew + lease_ms - lease_safety_margin_ms);
// past it the produce gets Fenced and the partition serves nothing until a
// renewal succeeds.
//
// Embedded mode (cluster_mode false): the broker leads every partition it is
// asked about, opening it (taking its lease) on first use; Open() replays this
// agent's WAL. Cluster mode (docs/cluster.md, docs/broker.md "Cluster mode"):
// the broker serves only the partitions it was told to Lead(); every data call
// for another partition is Fenced("<topic>/<p> is not led by this agent"),
// and nothing is opened on demand. Admin calls work on any agent. The agent's
// cluster loop calls Lead() for the balancer's to_acquire, HandOver() for its
// to_release, and Led() for its `led` input; renewals stay the background's.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "broker/broker_types.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"

namespace sh::broker {

class Broker {
 public:
  static Result<std::unique_ptr<Broker>> Open(BrokerOptions options, MetadataStore& metadata,
                                              ObjectStore& store, const Clock& clock);
  ~Broker();  // Stop()s if running

  // Starts the background thread (rolls, retention, lease renewal).
  Status Start();
  // Seals every tail and stops the background thread. Idempotent.
  Status Stop();
  // One pass of the background work now, retention included whatever its
  // interval: rolls (segment.ms), seals of tails older than flush_ms, topic
  // config changes, retention, lease renewal. Returns the first error (every
  // partition is still visited). For tests and tools; the thread does the same.
  Status RunMaintenance();

  // Seals the tails that reached segment.bytes or segment.ms, the first step
  // of every background pass (appends never seal: they run on the WAL
  // flusher thread). For tests and tools.
  Status SealFullTails();

  const BrokerOptions& options() const { return options_; }

  // ---- cluster mode (docs/cluster.md §5, §6) ----
  // Cluster mode: takes each partition's lease (AcquireLease; Fenced if
  // another agent holds it unexpired), recovers its tail from every agent's
  // WAL (the takeover rule of docs/cluster.md §6, one pass over the WAL for
  // all the partitions given), records the epoch start S(E)
  // (MetadataStore::RecordEpochStart), then serves it. Returns one Status per
  // partition, in order. Partitions already led here: OK (renewal is the
  // background's job). NotFound for a partition that does not exist;
  // Corruption (naming the object) if the WAL breaks the takeover rule: the
  // partition is not served and its lease is kept until it expires (a later
  // Lead() of this agent takes it again at the same epoch).
  // Embedded mode: InvalidArgument for each partition.
  std::vector<Status> Lead(const std::vector<std::pair<std::string, int32_t>>& partitions);
  // Cluster mode: hand-over: stops taking produces (NOT_LEADER_OR_FOLLOWER),
  // waits for the partition's WAL entries in flight, seals the tail, releases
  // the lease and forgets the leader (PartitionLeader::Retire). If the seal
  // fails the partition stays led (and the error is returned). OK if the
  // partition is not led here. Embedded mode: InvalidArgument.
  Status HandOver(const std::string& topic, int32_t partition);
  // What this agent leads now, with epochs and local lease deadlines, by
  // topic and partition (not the partitions handed over or lost).
  std::vector<LedPartition> Led() const;
  // Cluster mode (docs/cluster.md "WAL objects of departed agents"): deletes
  // the WAL objects of agents neither this one nor in live_agents that sealed
  // segments cover (wal::CoveredObjects: never an agent's highest sequence; a
  // deleted topic's entries count as covered). Damaged objects are kept and
  // logged; each object is read once (summaries cached across sweeps).
  // Returns the first store or metadata error; the sweep goes on past it.
  Status SweepDepartedWal(const std::set<std::string>& live_agents);

  // ---- topics ----
  // NotFound if absent.
  Result<TopicInfo> GetTopic(const std::string& name);
  // As GetTopic, but creates the topic when auto_create_topics is on
  // (InvalidArgument for an illegal name).
  Result<TopicInfo> GetOrCreateTopic(const std::string& name);
  Result<std::vector<TopicInfo>> ListTopics();
  // partitions < 0: default_partitions. Configs are checked (known names, valid
  // values): InvalidArgument naming the config otherwise. AlreadyExists.
  Status CreateTopic(const std::string& name, int32_t partitions,
                     const std::map<std::string, std::string>& configs, bool validate_only);
  // Deletes metadata first, then the segment objects.
  Status DeleteTopic(const std::string& name);
  // Grows the topic to count partitions; InvalidArgument if not larger.
  Status CreatePartitions(const std::string& name, int32_t count, bool validate_only);
  // Every supported topic config with its effective value.
  Result<std::vector<ConfigEntry>> DescribeTopicConfig(const std::string& name);
  // incremental=false (AlterConfigs): the topic's configs become exactly `set`.
  // incremental=true: `set` entries are set, `remove` entries go back to default.
  Status AlterTopicConfig(const std::string& name, const std::map<std::string, std::string>& set,
                          const std::vector<std::string>& remove, bool incremental,
                          bool validate_only);

  // ---- data ----
  using ProduceCallback = broker::ProduceCallback;
  // Validates records (one or more v2 batches: CRC, magic, sizes; each batch
  // at most max.message.bytes -> TooLarge), applies LogAppendTime if the topic
  // uses it, checks idempotent-producer sequences, assigns offsets and hands
  // the batches to the WAL. done gets the result once the WAL object is
  // durable (or the error: Timeout / IOError / Unavailable for a failed WAL
  // write, all retriable), called on the WAL's flusher thread, or at once on
  // the calling thread for a request refused before it reached the WAL.
  // NotFound for an unknown topic or partition. Fenced if the partition is
  // not led here (cluster mode), the lease is lost, or the local lease
  // deadline passed before the WAL write completed (then the records are
  // neither acknowledged nor visible). records need only live for
  // the call. Calls for one partition get offsets in call order.
  void ProduceAsync(const std::string& topic, int32_t partition, ByteView records,
                    ProduceCallback done);
  // ProduceAsync, waiting for the result.
  Result<ProduceResult> Produce(const std::string& topic, int32_t partition, ByteView records);
  // Batches from offset up to about max_bytes (at least one whole batch if
  // any). OutOfRange if offset < log start or offset > high watermark; empty
  // batches if offset == high watermark.
  Result<FetchResult> Fetch(const std::string& topic, int32_t partition, int64_t offset,
                            size_t max_bytes);
  Result<PartitionOffsets> Offsets(const std::string& topic, int32_t partition);
  // The first offset whose record timestamp is >= timestamp_ms, with that
  // record's timestamp; nullopt if no record is that late.
  Result<std::optional<std::pair<int64_t, int64_t>>> OffsetForTimestamp(const std::string& topic,
                                                                        int32_t partition,
                                                                        int64_t timestamp_ms);
  // The offset and timestamp of the record with the largest timestamp (the
  // first such record if several share it), at or after the log start;
  // nullopt if the partition holds no record (ListOffsets MAX_TIMESTAMP).
  Result<std::optional<std::pair<int64_t, int64_t>>> OffsetOfMaxTimestamp(const std::string& topic,
                                                                          int32_t partition);
  // Raises the log start offset to offset (-1: the high watermark). Returns
  // the new log start. OutOfRange if offset > high watermark.
  Result<int64_t> DeleteRecords(const std::string& topic, int32_t partition, int64_t offset);
  // The leader epoch of this agent's lease on the partition.
  Result<int32_t> LeaderEpoch(const std::string& topic, int32_t partition);

  // A new idempotent-producer id (InitProducerId), never handed out before.
  Result<int64_t> AllocateProducerId();

  // ---- long polling ----
  // fn is called (on the thread that appended; it must not block) each time
  // the partition's high watermark moves. Returns an id for RemoveDataListener.
  uint64_t AddDataListener(const std::string& topic, int32_t partition, std::function<void()> fn);
  void RemoveDataListener(uint64_t id);

 private:
  class Impl;
  Broker(BrokerOptions options, std::unique_ptr<Impl> impl);
  BrokerOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sh::broker
