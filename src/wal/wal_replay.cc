#include "wal/wal_replay.h"

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "records/record_batch.h"

namespace sh::wal {

std::string PartitionName(const TopicPartition& tp) {
  return tp.first + "/" + std::to_string(tp.second);
}

std::vector<BatchRef> SplitBatches(ByteView batches) {
  std::vector<BatchRef> out;
  ByteView rest = batches;
  while (!rest.empty()) {
    // CheckBatches passed: whole batches with sane headers. Base offset at
    // byte 0 (8 bytes), lastOffsetDelta at byte 23 (4 bytes), big-endian.
    size_t size = records::PeekBatchSize(rest);
    BatchRef b;
    b.base_offset = static_cast<int64_t>(LoadBE64(rest.data()));
    b.last_offset = b.base_offset + static_cast<int32_t>(LoadBE32(rest.data() + 23));
    b.bytes = rest.subspan(0, size);
    out.push_back(b);
    rest = rest.subspan(size);
  }
  return out;
}

RecoveredBatch CopyBatch(const BatchRef& ref, const WalEntryView& e, const WalObjectInfo& info) {
  RecoveredBatch b;
  b.base_offset = ref.base_offset;
  b.last_offset = ref.last_offset;
  b.leader_epoch = e.leader_epoch;
  b.sequence = info.sequence;
  b.object_key = info.key;
  b.bytes.assign(ref.bytes.begin(), ref.bytes.end());
  return b;
}

WalObjectSummary SummarizeObject(const WalObjectInfo& info, const WalObject& obj) {
  WalObjectSummary summary;
  summary.key = info.key;
  summary.sequence = info.sequence;
  for (const WalEntryView& e : obj.entries) {
    TopicPartition tp{std::string(e.topic), e.partition};
    int64_t& max = summary.max_offset.try_emplace(tp, -1).first->second;
    max = std::max(max, e.last_offset);
  }
  return summary;
}

Status ReplayAgentWal(ObjectStore& store, const std::string& agent_id,
                      const std::vector<WalObjectInfo>& objects, const WalObjectFn& fn,
                      std::optional<std::string>* discarded_key, const SkipObjectFn& skip) {
  const std::string context = "wal recovery of agent " + agent_id;
  for (size_t i = 0; i < objects.size(); ++i) {
    const WalObjectInfo& info = objects[i];
    if (skip && skip(info)) continue;
    Result<Bytes> bytes = store.Get(info.key);
    if (!bytes.ok() && bytes.status().code() == ErrorCode::kNotFound) {
      // Listed, then deleted: WAL clean-up removes an object only once
      // segments registered before the caller read its sealed ends cover
      // every entry in it (or its Put failed and nothing in it was
      // acknowledged). Had it held anything needed, the gap check says so.
      SH_LOG(INFO) << context << ": " << info.key << " was deleted after listing; skipped";
      continue;
    }
    if (!bytes.ok()) return bytes.status().WithContext(context + ": get " + info.key);
    WalDamage damage = WalDamage::kNone;
    Result<WalObject> obj = ParseWalObject(info.key, *bytes, &damage);
    if (!obj.ok()) {
      if (damage == WalDamage::kTorn && i + 1 == objects.size()) {
        // Its Put never reported success on an atomic store: nothing in it
        // was acknowledged.
        SH_LOG(WARN) << "discarding torn final WAL object (never acknowledged): "
                     << obj.status().ToString();
        *discarded_key = info.key;
        continue;
      }
      return obj.status().WithContext(context);
    }
    SH_RETURN_IF_ERROR(fn(info, *obj).WithContext(context));
  }
  return Status::OK();
}

Status PartitionTail::Add(RecoveredBatch batch) {
  if (batch.base_offset < sealed_end_) {
    return Status::Corruption("wal " + PartitionName(tp_) + ": sealed end " +
                              std::to_string(sealed_end_) + " falls inside batch [" +
                              std::to_string(batch.base_offset) + ", " +
                              std::to_string(batch.last_offset) + "] of " + batch.object_key);
  }
  auto [it, inserted] = batches_.try_emplace(batch.base_offset);
  if (inserted) {
    it->second = std::move(batch);
    return Status::OK();
  }
  const RecoveredBatch& first = it->second;
  if (first.last_offset != batch.last_offset || first.bytes != batch.bytes) {
    return Status::Corruption(
        "wal " + PartitionName(tp_) + ": offset " + std::to_string(batch.base_offset) + " in " +
        batch.object_key + " (batch [" + std::to_string(batch.base_offset) + ", " +
        std::to_string(batch.last_offset) + "], epoch " + std::to_string(batch.leader_epoch) +
        ") differs from the copy in " + first.object_key + " (sequence " +
        std::to_string(first.sequence) + ", batch [" + std::to_string(first.base_offset) + ", " +
        std::to_string(first.last_offset) + "], epoch " + std::to_string(first.leader_epoch) + ")");
  }
  return Status::OK();  // a retried write's duplicate: keep the first
}

Result<RecoveredPartition> PartitionTail::Finish() && {
  RecoveredPartition part;
  part.topic = tp_.first;
  part.partition = tp_.second;
  part.start_offset = sealed_end_;
  int64_t expected = sealed_end_;
  for (auto& [base, batch] : batches_) {
    if (base != expected) {
      std::string what =
          base > expected
              ? "offsets [" + std::to_string(expected) + ", " + std::to_string(base) +
                    ") are missing (a WAL object lost?) before batch [" + std::to_string(base) +
                    ", " + std::to_string(batch.last_offset) + "] of " + batch.object_key
              : "batch at " + std::to_string(base) + " of " + batch.object_key +
                    " overlaps the previous batch, which ends at " + std::to_string(expected - 1);
      return Status::Corruption("wal " + PartitionName(tp_) + ": " + what);
    }
    expected = batch.last_offset + 1;
    part.batches.push_back(std::move(batch));
  }
  part.next_offset = expected;
  batches_.clear();
  return part;
}

}  // namespace sh::wal
