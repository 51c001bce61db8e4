#include "wal/wal_recovery.h"

#include <algorithm>

#include "base/log.h"
#include "records/record_batch.h"
#include "wal/wal_reader.h"

namespace sh::wal {
namespace {

std::string PartitionName(const TopicPartition& tp) {
  return tp.first + "/" + std::to_string(tp.second);
}

// Batches at or above sealed end, keyed by base offset, while objects are read.
struct PartitionState {
  int64_t sealed_end = 0;
  std::map<int64_t, RecoveredBatch> batches;
};

class Recovery {
 public:
  Recovery(ObjectStore& store, const SealedEndFn& sealed_end)
      : store_(store), sealed_end_(sealed_end) {}

  // Reads, checks and takes in one object. *torn is set if it is torn.
  Status ReadObject(const WalObjectInfo& info, bool* torn);
  // Orders and gap-checks what was collected into log.
  Status Finish(RecoveredLog* log);
  std::vector<WalObjectSummary>& objects() { return objects_; }

 private:
  Status TakeEntry(const WalEntryView& e, uint64_t sequence, const std::string& key);
  Status TakeBatch(PartitionState& state, const TopicPartition& tp, RecoveredBatch batch,
                   const std::string& key);

  ObjectStore& store_;
  const SealedEndFn& sealed_end_;
  std::map<TopicPartition, PartitionState> partitions_;
  std::vector<WalObjectSummary> objects_;
};

Status Recovery::ReadObject(const WalObjectInfo& info, bool* torn) {
  *torn = false;
  SH_ASSIGN_OR_RETURN(Bytes bytes, store_.Get(info.key));
  WalDamage damage = WalDamage::kNone;
  Result<WalObject> obj = ParseWalObject(info.key, bytes, &damage);
  if (!obj.ok()) {
    *torn = damage == WalDamage::kTorn;
    return obj.status();
  }
  WalObjectSummary summary;
  summary.key = info.key;
  summary.sequence = info.sequence;
  for (const WalEntryView& e : obj->entries) {
    TopicPartition tp{std::string(e.topic), e.partition};
    int64_t& max = summary.max_offset.try_emplace(tp, -1).first->second;
    max = std::max(max, e.last_offset);
    SH_RETURN_IF_ERROR(TakeEntry(e, info.sequence, info.key));
  }
  objects_.push_back(std::move(summary));
  return Status::OK();
}

Status Recovery::TakeEntry(const WalEntryView& e, uint64_t sequence, const std::string& key) {
  TopicPartition tp{std::string(e.topic), e.partition};
  auto [it, inserted] = partitions_.try_emplace(tp);
  if (inserted) it->second.sealed_end = sealed_end_(tp.first, tp.second);
  PartitionState& state = it->second;
  if (e.last_offset < state.sealed_end) return Status::OK();  // all sealed already
  ByteView rest = e.batches;
  while (!rest.empty()) {
    // The entry passed CheckBatches: whole batches with sane headers.
    size_t size = records::PeekBatchSize(rest);
    RecoveredBatch b;
    b.base_offset = static_cast<int64_t>(LoadBE64(rest.data()));
    b.last_offset = b.base_offset + static_cast<int32_t>(LoadBE32(rest.data() + 23));
    b.leader_epoch = e.leader_epoch;
    b.sequence = sequence;
    if (b.last_offset >= state.sealed_end) {
      b.bytes.assign(rest.begin(), rest.begin() + static_cast<ptrdiff_t>(size));
      SH_RETURN_IF_ERROR(TakeBatch(state, tp, std::move(b), key));
    }
    rest = rest.subspan(size);
  }
  return Status::OK();
}

Status Recovery::TakeBatch(PartitionState& state, const TopicPartition& tp, RecoveredBatch batch,
                           const std::string& key) {
  if (batch.base_offset < state.sealed_end) {
    return Status::Corruption("wal " + PartitionName(tp) + ": sealed end " +
                              std::to_string(state.sealed_end) + " falls inside batch [" +
                              std::to_string(batch.base_offset) + ", " +
                              std::to_string(batch.last_offset) + "] of " + key);
  }
  auto [it, inserted] = state.batches.try_emplace(batch.base_offset);
  if (inserted) {
    it->second = std::move(batch);
    return Status::OK();
  }
  const RecoveredBatch& first = it->second;
  if (first.last_offset != batch.last_offset || first.bytes != batch.bytes) {
    return Status::Corruption(
        "wal " + PartitionName(tp) + ": offset " + std::to_string(batch.base_offset) + " in " +
        key + " differs from the copy in sequence " + std::to_string(first.sequence));
  }
  return Status::OK();  // a retried write's duplicate: keep the first
}

Status Recovery::Finish(RecoveredLog* log) {
  for (auto& [tp, state] : partitions_) {
    RecoveredPartition part;
    part.topic = tp.first;
    part.partition = tp.second;
    part.start_offset = state.sealed_end;
    int64_t expected = state.sealed_end;
    for (auto& [base, batch] : state.batches) {
      if (base != expected) {
        std::string what = base > expected
                               ? "offsets [" + std::to_string(expected) + ", " +
                                     std::to_string(base) + ") are missing (a WAL object lost?)"
                               : "batch at " + std::to_string(base) +
                                     " overlaps the previous batch, which ends at " +
                                     std::to_string(expected - 1);
        return Status::Corruption("wal " + PartitionName(tp) + ": " + what);
      }
      expected = batch.last_offset + 1;
      part.batches.push_back(std::move(batch));
    }
    part.next_offset = expected;
    if (!part.batches.empty()) log->partitions.emplace(tp, std::move(part));
  }
  log->objects = std::move(objects_);
  return Status::OK();
}

}  // namespace

Result<RecoveredLog> RecoverWal(ObjectStore& store, const std::string& agent_id,
                                const SealedEndFn& sealed_end) {
  SH_ASSIGN_OR_RETURN(std::vector<WalObjectInfo> infos, ListWal(store, agent_id));
  RecoveredLog log;
  if (!infos.empty()) log.max_sequence = infos.back().sequence;
  Recovery recovery(store, sealed_end);
  for (size_t i = 0; i < infos.size(); ++i) {
    bool torn = false;
    Status st = recovery.ReadObject(infos[i], &torn);
    if (st.ok()) continue;
    if (torn && i + 1 == infos.size()) {
      SH_LOG(WARN) << "discarding torn final WAL object (never acknowledged): " << st.ToString();
      log.discarded_key = infos[i].key;
      continue;
    }
    return st.WithContext("wal recovery of agent " + agent_id);
  }
  SH_RETURN_IF_ERROR(recovery.Finish(&log));
  return log;
}

}  // namespace sh::wal
