// SqliteMetadataStore: the embedded-mode MetadataStore, one SQLite file.
//
// One connection, guarded by a mutex: every call holds it for its whole
// duration, so calls are serialised within a process. Several processes (or
// several stores in one process) may open the same file; SQLite's locking and
// BEGIN IMMEDIATE transactions keep them consistent, and busy_timeout makes
// a contended writer wait up to 5 s before returning Unavailable.
//
// Pragmas: journal_mode=WAL, synchronous=FULL, foreign_keys=ON,
// busy_timeout=5000. FULL rather than NORMAL because a metadata commit is a
// promise other components act on: after RegisterSegment returns, the WAL
// objects it covers are deleted, so a commit lost to a power cut (which WAL +
// NORMAL allows) would lose acknowledged records. Metadata writes are rare
// enough that the extra fsync per commit costs nothing that matters.
//
// Timestamps in the rows (created_at, committed_at, updated_at, ...) given as
// 0 by the caller are filled with clock->NowMs(). Lease expiry is judged only
// by the now_ms the caller passes.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "metadata/metadata_store.h"
#include "metadata/sqlite_connection.h"

namespace sh {

class SqliteMetadataStore final : public MetadataStore {
 public:
  // Opens or creates the database at path (":memory:" for a private in-memory
  // one), sets the pragmas and applies pending migrations.
  // REQUIRES: clock outlives the store (nullptr means the system clock).
  static Result<std::unique_ptr<SqliteMetadataStore>> Open(const std::string& path,
                                                           const Clock* clock = SystemClock::Get());

  Status CreateTopic(const TopicInfo& topic) override;
  Result<TopicInfo> GetTopic(const std::string& name) override;
  Result<std::vector<TopicInfo>> ListTopics() override;
  Status DeleteTopic(const std::string& name) override;
  Status UpdateTopicConfig(const std::string& name, const std::string& config_json) override;
  Status AddPartitions(const std::string& name, int32_t new_count) override;

  Result<PartitionInfo> GetPartition(const std::string& topic, int32_t partition) override;
  Result<std::vector<PartitionInfo>> ListPartitions(const std::string& topic) override;
  Status UpdateHighWatermark(const std::string& topic, int32_t partition, int64_t hw,
                             int64_t leader_epoch) override;
  Status UpdateLogStartOffset(const std::string& topic, int32_t partition,
                              int64_t log_start_offset) override;

  Status RegisterSegment(const SegmentInfo& segment, int64_t leader_epoch) override;
  Result<std::vector<SegmentInfo>> ListSegments(const std::string& topic, int32_t partition,
                                                int64_t from_offset = 0) override;
  Result<std::vector<SegmentInfo>> DeleteSegmentsBefore(const std::string& topic, int32_t partition,
                                                        int64_t offset) override;

  Status UpsertGroup(const ConsumerGroupInfo& group) override;
  Result<ConsumerGroupInfo> GetGroup(const std::string& group_id) override;
  Result<std::vector<ConsumerGroupInfo>> ListGroups() override;
  Status DeleteGroup(const std::string& group_id) override;
  Status CommitOffsets(const std::vector<CommittedOffset>& offsets) override;
  Result<std::vector<CommittedOffset>> FetchOffsets(const std::string& group_id) override;
  Status DeleteOffset(const std::string& group_id, const std::string& topic,
                      int32_t partition) override;

  Status UpsertAgent(const AgentInfo& agent) override;
  Result<std::vector<AgentInfo>> ListAgents() override;
  Status RemoveAgent(const std::string& agent_id) override;

  Result<PartitionLease> AcquireLease(const std::string& topic, int32_t partition,
                                      const std::string& agent_id, int64_t now_ms,
                                      int64_t ttl_ms) override;
  Result<PartitionLease> RenewLease(const std::string& topic, int32_t partition,
                                    const std::string& agent_id, int64_t leader_epoch,
                                    int64_t now_ms, int64_t ttl_ms) override;
  Status ReleaseLease(const std::string& topic, int32_t partition, const std::string& agent_id,
                      int64_t leader_epoch) override;
  Result<std::optional<PartitionLease>> GetLease(const std::string& topic,
                                                 int32_t partition) override;
  Result<std::vector<PartitionLease>> ListLeases() override;

  Status RecordEpochStart(const std::string& topic, int32_t partition, int64_t leader_epoch,
                          int64_t start_offset) override;
  Result<std::map<int64_t, int64_t>> ListEpochStarts(const std::string& topic,
                                                     int32_t partition) override;

  Result<int64_t> AllocateProducerId() override;
  Status SaveProducerStates(const std::vector<ProducerState>& states,
                            int64_t leader_epoch) override;
  Result<std::vector<ProducerState>> LoadProducerStates(const std::string& topic,
                                                        int32_t partition) override;

  std::string Describe() const override { return "sqlite://" + conn_->path(); }

  // The applied schema version (for tests and `streamctl` diagnostics).
  Result<int64_t> SchemaVersion();
  // The journal mode SQLite reports ("wal" once opened on a file).
  Result<std::string> JournalMode();

 private:
  SqliteMetadataStore(std::unique_ptr<SqliteConnection> conn, const Clock* clock)
      : conn_(std::move(conn)), clock_(clock) {}

  int64_t NowOr(int64_t ms) const { return ms != 0 ? ms : clock_->NowMs(); }

  // REQUIRES: mu_ held. NotFound naming topic/partition if the partition row is absent.
  Status CheckPartitionExists(const std::string& topic, int32_t partition);
  // REQUIRES: mu_ held. Fenced unless no lease row exists or it has leader_epoch.
  Status CheckLeaderEpoch(const std::string& topic, int32_t partition, int64_t leader_epoch);
  // REQUIRES: mu_ held. Explains why a fenced write changed no row.
  Status ExplainUnwritten(const std::string& topic, int32_t partition, int64_t leader_epoch);
  // REQUIRES: mu_ held.
  Result<std::optional<PartitionLease>> GetLeaseLocked(const std::string& topic, int32_t partition);
  Result<TopicInfo> GetTopicLocked(const std::string& name);
  Status WriteLease(const PartitionLease& lease);

  std::mutex mu_;
  std::unique_ptr<SqliteConnection> conn_;
  const Clock* clock_;
};

}  // namespace sh
