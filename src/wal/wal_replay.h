// The pieces that single-agent recovery (RecoverWal) and takeover recovery
// (RecoverForTakeover) share: reading one agent's objects in sequence order
// with the torn-final-object rule, splitting an entry into its batches, and
// building one partition's tail above its sealed end (docs/formats/wal.md
// "Recovery"; docs/cluster.md §6 step 4).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "objstore/object_store.h"
#include "wal/wal_index.h"
#include "wal/wal_reader.h"

namespace sh::wal {

struct RecoveredBatch {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t leader_epoch = 0;  // of the entry that carried it
  uint64_t sequence = 0;     // of the object it was read from (the first copy)
  std::string object_key;    // that object's key (names the agent too)
  Bytes bytes;               // the whole v2 batch
};

struct RecoveredPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t start_offset = 0;  // sealed_end
  int64_t next_offset = 0;   // one past the last recovered offset (start if none)
  std::vector<RecoveredBatch> batches;
};

// "{topic}/{partition}", as messages name a partition.
std::string PartitionName(const TopicPartition& tp);

// One batch of an entry; bytes borrow the parsed object.
struct BatchRef {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  ByteView bytes;
};

// The batches of an entry, in order. REQUIRES: batches passed CheckBatches
// (every entry ParseWalObject returns did).
std::vector<BatchRef> SplitBatches(ByteView batches);

// A copy of one batch of entry e of the object `info`, to keep.
RecoveredBatch CopyBatch(const BatchRef& ref, const WalEntryView& e, const WalObjectInfo& info);

// Offsets per partition held by a parsed object (for WalIndex/CoveredObjects).
WalObjectSummary SummarizeObject(const WalObjectInfo& info, const WalObject& obj);

// Called with each object that parsed, in sequence order. The views in obj
// live only during the call: copy what must be kept.
using WalObjectFn = std::function<Status(const WalObjectInfo& info, const WalObject& obj)>;

// Gets and parses each of one agent's objects (sorted by sequence, as
// ListWal returns them) and hands it to fn: one GET per object, one object in
// memory at a time. A TORN object with the highest sequence is discarded with
// a warning and its key stored in *discarded_key; an object listed but gone
// by the time it is read (deleted by WAL clean-up after a seal) is skipped;
// any other damaged object, a failed GET, or an error from fn is returned
// with the agent named.
// skip, if given, names objects not to read at all (their contents are known).
using SkipObjectFn = std::function<bool(const WalObjectInfo&)>;
Status ReplayAgentWal(ObjectStore& store, const std::string& agent_id,
                      const std::vector<WalObjectInfo>& objects, const WalObjectFn& fn,
                      std::optional<std::string>* discarded_key, const SkipObjectFn& skip = {});

// One partition's batches at or above its sealed end, under the
// single-agent rules: first copy at a base offset kept, later copies must be
// identical; the kept batches start at sealed_end and leave no gap.
class PartitionTail {
 public:
  PartitionTail(TopicPartition tp, int64_t sealed_end)
      : tp_(std::move(tp)), sealed_end_(sealed_end) {}

  int64_t sealed_end() const { return sealed_end_; }

  // Takes a batch whose last offset is >= sealed_end. Corruption (naming the
  // partition, offsets and object) if it starts below sealed_end (segments
  // end at batch boundaries) or differs from the copy already taken at its
  // base offset; an identical later copy is dropped.
  Status Add(RecoveredBatch batch);

  // The batches in offset order. Corruption if they do not start exactly at
  // sealed_end or leave a hole or overlap.
  Result<RecoveredPartition> Finish() &&;

 private:
  TopicPartition tp_;
  int64_t sealed_end_;
  std::map<int64_t, RecoveredBatch> batches_;  // by base offset
};

}  // namespace sh::wal
