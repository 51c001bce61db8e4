// Rebuilding partition tails from an agent's WAL (docs/design.md §6 "Recovery").
//
// RecoverWal reads every WAL object of the agent in sequence order and
// returns, per (topic, partition), the batches at offsets >= sealed_end
// (the end of the partition's last sealed, registered segment), in offset
// order, de-duplicated and gap-checked:
//
// - Duplicates: a batch may appear in several objects (the broker re-appends
//   the entries of a failed write whose object may nevertheless exist). The
//   first by sequence is kept; a later copy must have the same base offset,
//   last offset and bytes, else Corruption.
// - Gaps: the kept batches must run from sealed_end without a hole: the first
//   starts exactly at sealed_end, each next one at the previous last + 1. A
//   hole means an object holding acknowledged records is missing: Corruption
//   naming topic, partition and the missing offsets. A batch that starts
//   before sealed_end but ends at or after it (sealed_end inside a batch) is
//   Corruption too: segments end at batch boundaries.
// - Torn or corrupt objects: a TORN object with the highest sequence is
//   discarded with a warning (its Put never reported success on an atomic
//   store, so nothing in it was acknowledged); any other damaged object is an
//   error naming it, never skipped.
//
// Batches below sealed_end are not checked for gaps or kept (they are in
// segments), but their objects are still parsed and verified.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "objstore/object_store.h"
#include "wal/wal_index.h"
#include "wal/wal_replay.h"

namespace sh::wal {

struct RecoveredLog {
  // Partitions with at least one batch at or above their sealed end.
  std::map<TopicPartition, RecoveredPartition> partitions;
  // Highest sequence of any WAL object present (torn or not): the writer
  // starts at max_sequence + 1.
  std::optional<uint64_t> max_sequence;
  // Every object read (not the discarded one), sorted by sequence.
  std::vector<WalObjectSummary> objects;
  // The torn final object, if one was discarded.
  std::optional<std::string> discarded_key;
  uint64_t next_sequence() const { return max_sequence.has_value() ? *max_sequence + 1 : 0; }
};

Result<RecoveredLog> RecoverWal(ObjectStore& store, const std::string& agent_id,
                                const SealedEndFn& sealed_end);

}  // namespace sh::wal
