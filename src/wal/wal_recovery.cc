#include "wal/wal_recovery.h"

#include <utility>

#include "wal/wal_reader.h"

namespace sh::wal {
namespace {

// Takes one agent's objects, in sequence order, into per-partition tails.
class Recovery {
 public:
  explicit Recovery(const SealedEndFn& sealed_end) : sealed_end_(sealed_end) {}

  Status TakeObject(const WalObjectInfo& info, const WalObject& obj);
  Status Finish(RecoveredLog* log);

 private:
  Status TakeEntry(const WalEntryView& e, const WalObjectInfo& info);

  const SealedEndFn& sealed_end_;
  std::map<TopicPartition, PartitionTail> partitions_;
  std::vector<WalObjectSummary> objects_;
};

Status Recovery::TakeObject(const WalObjectInfo& info, const WalObject& obj) {
  for (const WalEntryView& e : obj.entries) SH_RETURN_IF_ERROR(TakeEntry(e, info));
  objects_.push_back(SummarizeObject(info, obj));
  return Status::OK();
}

Status Recovery::TakeEntry(const WalEntryView& e, const WalObjectInfo& info) {
  TopicPartition tp{std::string(e.topic), e.partition};
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) {
    int64_t end = sealed_end_(tp.first, tp.second);
    it = partitions_.emplace(tp, PartitionTail(tp, end)).first;
  }
  PartitionTail& tail = it->second;
  if (e.last_offset < tail.sealed_end()) return Status::OK();  // all sealed already
  for (const BatchRef& ref : SplitBatches(e.batches)) {
    if (ref.last_offset < tail.sealed_end()) continue;
    SH_RETURN_IF_ERROR(tail.Add(CopyBatch(ref, e, info)));
  }
  return Status::OK();
}

Status Recovery::Finish(RecoveredLog* log) {
  for (auto& [tp, tail] : partitions_) {
    SH_ASSIGN_OR_RETURN(RecoveredPartition part, std::move(tail).Finish());
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
  Recovery recovery(sealed_end);
  SH_RETURN_IF_ERROR(ReplayAgentWal(
      store, agent_id, infos,
      [&](const WalObjectInfo& info, const WalObject& obj) {
        return recovery.TakeObject(info, obj);
      },
      &log.discarded_key));
  SH_RETURN_IF_ERROR(recovery.Finish(&log));
  return log;
}

}  // namespace sh::wal
