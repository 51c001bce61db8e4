// PostgresMetadataStore, third part: epoch start offsets (docs/cluster.md §6).
#include "metadata/postgres_metadata_store_impl.h"

namespace sh {

Status PostgresMetadataStore::RecordEpochStart(const std::string& topic, int32_t partition,
                                               int64_t leader_epoch, int64_t start_offset) {
  SH_RETURN_IF_ERROR(CheckEpochStart(topic, partition, leader_epoch, start_offset));
  std::string tp = TopicPartitionName(topic, partition);
  std::string what = "record start of epoch " + std::to_string(leader_epoch) + " of " + tp;
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, topic, partition));
  // One statement checks the fence and writes, as the other leader writes
  // do. Two holders' restarts racing on one epoch: ON CONFLICT makes the
  // second wait for the first and then insert nothing, so the first start stays.
  auto res = conn->Exec(what,
                        "INSERT INTO partition_epochs (topic, partition, leader_epoch, "
                        "start_offset) SELECT $1, $2::integer, $3::bigint, $4::bigint "
                        "WHERE NOT EXISTS (SELECT 1 FROM partition_leases l WHERE l.topic = $1 "
                        "AND l.partition = $2::integer AND l.leader_epoch <> $3::bigint) "
                        "ON CONFLICT (topic, partition, leader_epoch) DO NOTHING",
                        {topic, partition, leader_epoch, start_offset});
  // The partition was deleted between the check and the insert.
  if (res.status().code() == ErrorCode::kInvalidArgument &&
      res.status().message().find("SQLSTATE 23503") != std::string::npos) {
    return Status::NotFound(tp + " does not exist");
  }
  if (!res.ok()) return res.status();
  if (res->affected() > 0) return Status::OK();
  // Nothing inserted: fenced, or the epoch's start was recorded before.
  SH_RETURN_IF_ERROR(CheckLeaderEpoch(*conn, topic, partition, leader_epoch));
  SH_ASSIGN_OR_RETURN(auto found, conn->Exec(what,
                                             "SELECT 1 FROM partition_epochs WHERE topic = $1 "
                                             "AND partition = $2 AND leader_epoch = $3::bigint",
                                             {topic, partition, leader_epoch}));
  if (found.rows() > 0) return Status::OK();
  return ExplainUnwritten(*conn, topic, partition, leader_epoch);
}

Result<std::map<int64_t, int64_t>> PostgresMetadataStore::ListEpochStarts(const std::string& topic,
                                                                          int32_t partition) {
  std::string what = "list epoch starts of " + TopicPartitionName(topic, partition);
  SH_ASSIGN_OR_RETURN(auto conn, pool_->Acquire(what));
  SH_ASSIGN_OR_RETURN(auto res, conn->Exec(what,
                                           "SELECT leader_epoch, start_offset FROM "
                                           "partition_epochs WHERE topic = $1 AND "
                                           "partition = $2 ORDER BY leader_epoch",
                                           {topic, partition}));
  if (res.rows() == 0) SH_RETURN_IF_ERROR(CheckPartitionExists(*conn, topic, partition));
  std::map<int64_t, int64_t> out;
  for (int i = 0; i < res.rows(); ++i) out.emplace(res.Int(i, 0), res.Int(i, 1));
  return out;
}

}  // namespace sh
