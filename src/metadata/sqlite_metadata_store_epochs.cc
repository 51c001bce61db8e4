// SqliteMetadataStore, third part: epoch start offsets (docs/cluster.md §6).
#include "metadata/metadata_checks.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh {

Status SqliteMetadataStore::RecordEpochStart(const std::string& topic, int32_t partition,
                                             int64_t leader_epoch, int64_t start_offset) {
  SH_RETURN_IF_ERROR(CheckEpochStart(topic, partition, leader_epoch, start_offset));
  std::lock_guard<std::mutex> lock(mu_);
  // BEGIN IMMEDIATE: the explanation below sees the rows the insert saw.
  SH_ASSIGN_OR_RETURN(auto txn, SqliteTransaction::Begin(*conn_));
  SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  // As for the other leader writes, the fencing rule is in the statement
  // itself. DO NOTHING on a recorded epoch: the first start stays, so a
  // holder that restarts cannot move its own epoch's start.
  SH_ASSIGN_OR_RETURN(
      auto insert,
      conn_->Prepare("INSERT INTO partition_epochs (topic, partition, leader_epoch, start_offset) "
                     "SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM partition_leases l "
                     "WHERE l.topic = ?1 AND l.partition = ?2 AND l.leader_epoch <> ?3) "
                     "ON CONFLICT (topic, partition, leader_epoch) DO NOTHING"));
  insert->Bind(topic).Bind(partition).Bind(leader_epoch).Bind(start_offset);
  SH_RETURN_IF_ERROR(insert->Run());
  bool inserted = insert->Changes() > 0;
  insert.reset();
  // Nothing inserted: fenced, or the epoch's start was recorded before.
  if (!inserted) SH_RETURN_IF_ERROR(CheckLeaderEpoch(topic, partition, leader_epoch));
  return txn->Commit();
}

Result<std::map<int64_t, int64_t>> SqliteMetadataStore::ListEpochStarts(const std::string& topic,
                                                                        int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  SH_ASSIGN_OR_RETURN(auto stmt,
                      conn_->Prepare("SELECT leader_epoch, start_offset FROM partition_epochs "
                                     "WHERE topic = ? AND partition = ? ORDER BY leader_epoch"));
  stmt->Bind(topic).Bind(partition);
  std::map<int64_t, int64_t> out;
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.emplace(stmt->Int(0), stmt->Int(1));
  }
  stmt.reset();
  if (out.empty()) SH_RETURN_IF_ERROR(CheckPartitionExists(topic, partition));
  return out;
}

}  // namespace sh
