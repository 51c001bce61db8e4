// The broker's value types: its options and what its calls return
// (broker::Broker, broker.h). Apart from the façade so that the parts the
// broker is built from (PartitionLeader, TopicSettings) can name them
// without depending on it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "broker/producer_state.h"
#include "storage/partition_writer.h"

namespace sh::broker {

// The most partitions a topic may have: more than a single agent could
// sensibly lead; also keeps a malformed CreateTopics from asking the metadata
// store for billions of rows.
inline constexpr int32_t kMaxPartitions = 10'000;

struct BrokerOptions {
  std::string agent_id = "agent-0";
  int32_t node_id = 0;
  // Topics named by a Metadata or Produce request that do not exist are
  // created with default_partitions partitions (Kafka's auto.create.topics.enable).
  bool auto_create_topics = true;
  int32_t default_partitions = 1;
  // Topic config defaults (Kafka's names and defaults), overridable per topic.
  int64_t segment_bytes = 64ll << 20;
  int64_t segment_ms = 7ll * 24 * 3600 * 1000;
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;      // -1: keep forever
  int64_t retention_bytes = -1;                       // -1: no size limit
  int32_t max_message_bytes = 1048588;                // largest batch accepted
  std::string message_timestamp_type = "CreateTime";  // or LogAppendTime
  std::string cleanup_policy = "delete";
  // StreamHouse settings.
  storage::BlockCodec segment_codec = storage::BlockCodec::kLz4;
  size_t block_bytes = storage::kDefaultBlockBytes;
  int64_t flush_ms = 1000;            // seal a tail older than this
  size_t cache_bytes = 256ull << 20;  // SegmentCache budget
  int64_t index_ttl_ms = 30'000;      // SegmentIndex refresh
  int64_t lease_ms = 8'000;           // partition lease length (renewed at a third)
  // Leaders stop acknowledging this long before their lease could expire as
  // seen by another agent (clock skew bound, docs/cluster.md §3). Cluster mode
  // requires 0 <= margin < lease_ms / 2; embedded mode caps it at lease_ms / 3.
  int64_t lease_safety_margin_ms = 1000;
  // Serve only the partitions given to Lead() (see the top of this file).
  bool cluster_mode = false;
  int64_t background_interval_ms = 100;  // roll / retention / lease check period
  // Retention (retention.ms / retention.bytes) runs at most this often
  // (Kafka's log.retention.check.interval.ms, shorter).
  int64_t retention_check_interval_ms = 60'000;
  // Write-ahead log (group commit): an object at most wal_flush_interval_ms
  // after its first entry, or at wal_max_bytes; with 0, as soon as the
  // previous object is written (it holds what queued meanwhile). A Put
  // slower than wal_put_timeout_ms fails its produce requests.
  int64_t wal_flush_interval_ms = 0;
  size_t wal_max_bytes = 8u << 20;
  int64_t wal_put_timeout_ms = 10'000;
  int64_t producer_id_expiration_ms = kDefaultProducerIdExpirationMs;

  // Hooks for tests. They are not settings: options compare equal whatever
  // hooks they carry.
  struct TestHooks {
    // Called when a data call starts waiting for a takeover of its partition
    // in progress (cluster mode), so that a test can order a request against
    // a takeover without sleeping. Runs under the takeover lock: it must not
    // block or call the broker.
    std::function<void(const std::string& topic, int32_t partition)> on_takeover_wait;
    bool operator==(const TestHooks&) const { return true; }
  };
  TestHooks test_hooks;

  bool operator==(const BrokerOptions&) const = default;
};

// One topic config entry as DescribeConfigs shows it.
struct ConfigEntry {
  std::string name;
  std::string value;
  bool is_default = true;  // not set on the topic: the broker default applies
  bool read_only = false;
  bool sensitive = false;
};

struct ProduceResult {
  int64_t base_offset = -1;         // offset of the first record of the first batch
  int64_t log_append_time_ms = -1;  // -1 unless the topic uses LogAppendTime
  int64_t log_start_offset = 0;
  // Idempotent producers: kAccept / kNotIdempotent (written) or kDuplicate
  // (a retry: nothing written, base_offset is the original's). A refused
  // sequence is an error instead (SequenceRefusal, producer_state.h).
  SequenceVerdict verdict = SequenceVerdict::kNotIdempotent;
};

// Broker::ProduceAsync's completion.
using ProduceCallback = std::function<void(Result<ProduceResult>)>;

struct FetchResult {
  Bytes batches;  // whole batches; the first may start before the offset asked for
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
};

struct PartitionOffsets {
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;  // next offset to be written; == last stable offset
};

// One partition this agent leads (Broker::Led).
struct LedPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t leader_epoch = 0;
  // Local lease deadline, in ms of the broker Clock's monotonic time
  // (MonotonicMicros() / 1000); INT64_MIN once the lease was found fenced.
  int64_t lease_deadline_ms = 0;
  // False past the deadline: produces are refused until a renewal succeeds.
  bool serving = false;
};

}  // namespace sh::broker
