// Rebuilding the tails of the partitions an agent takes over, from every
// agent's WAL (docs/cluster.md §6 "Takeover"; docs/formats/wal.md
// "Takeover recovery").
//
// After a crash the tail above a partition's sealed end H lives only in WAL
// objects, written by whichever agents led it recently (several, possibly),
// and a deposed leader's Put may land after the next leader started. One WAL
// object holds many partitions, so RecoverForTakeover rebuilds every
// partition being taken over in ONE pass over `wal/`: every agent directory
// (live or not), each agent's objects in sequence order. Per partition P,
// with the epoch E this agent now holds and recorded epoch starts S(e):
//
// 1. A batch of P with an epoch above E: Fenced (a newer leader exists),
//    naming the object. Checked for every batch of P, sealed or not.
// 2. S(e) for an epoch without a recorded start is the smallest base offset
//    of that epoch's batches of P seen in the WAL.
// 3. A batch of epoch e is dropped (superseded) if some epoch e' with
//    e < e' <= E has S(e') <= the batch's last offset: nothing of an older
//    epoch at or after a newer epoch's start belongs to the log.
// 4. The rest go through the single-agent rules (PartitionTail): batches
//    with last offset >= H are kept; copies at one base offset must be
//    byte-identical (first copy kept, agents read in id order, each by
//    sequence); the kept batches start exactly at H without a hole; a batch
//    straddling H is Corruption. Messages name the object, topic, partition
//    and offsets.
// Objects: a TORN object with an agent's highest sequence is discarded with a
// warning; any other damaged object is an error naming it.
//
// Cost of a takeover: one LIST of "wal/" (on S3, one request per 1000 keys)
// and one GET per WAL object present, whatever the number of partitions
// taken over. Every object is read because only its bytes say which
// partitions it holds, and each is verified whole (a damaged object is an
// error, never skipped). Memory: one object at a time, plus copies of only
// the batches of requested partitions at or above their sealed end that the
// recorded epoch starts do not already supersede; entries of other
// partitions, and sealed ones, are looked at through views, never copied.
// With sealing and WAL clean-up keeping up, each agent directory holds about
// one flush interval of objects plus the newest one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "objstore/object_store.h"
#include "wal/wal_index.h"
#include "wal/wal_replay.h"

namespace sh::wal {

// One partition being taken over.
struct TakeoverPartition {
  TopicPartition tp;
  int64_t epoch = 0;       // E: the lease epoch this agent now holds (>= 1)
  int64_t sealed_end = 0;  // H: read from metadata after acquiring (>= 0)
  // Recorded epoch starts S(e), epoch -> first offset written under it.
  // Entries for epochs above E are ignored.
  std::map<int64_t, int64_t> epoch_starts;
};

struct TakeoverTail {
  // Kept batches in offset order (each with its epoch, sequence and object
  // key); start_offset = H, next_offset = R (one past the last kept offset,
  // or H): the S(E) to record before serving.
  RecoveredPartition tail;
  // S(e) the rule used for epochs <= E: recorded, else inferred from the WAL.
  std::map<int64_t, int64_t> epoch_starts;
  // Batches at or above H dropped because a newer epoch started at or before
  // their last offset (late writes of deposed leaders).
  size_t superseded_batches = 0;
  // Keys of the objects holding any entry of this partition, in read order.
  std::vector<std::string> object_keys;
};

struct TakeoverLog {
  // One per requested partition, also when nothing is above H.
  std::map<TopicPartition, TakeoverTail> partitions;
  // Every object read (the discarded torn ones not included), per agent id,
  // sorted by sequence, with every partition's highest offset in it (also
  // partitions not taken over). CoveredObjects must be applied per agent:
  // it keeps the newest object of the list it is given.
  std::map<std::string, std::vector<WalObjectSummary>> objects;
  // Torn final objects discarded (at most one per agent).
  std::vector<std::string> discarded_keys;
};

// REQUIRES: called after the leases of `partitions` were acquired and their
// sealed ends read (docs/cluster.md §6 step 1). InvalidArgument for an empty
// topic, a negative partition or sealed end, an epoch below 1, or a partition
// given twice; then Fenced, Corruption or the store's error as described
// above. No partitions: an empty log, nothing read.
// known: objects whose contents the caller already knows (its own, written
// by this process, from its WalIndex), by key. One of them whose summary
// names none of the requested partitions is not read: a takeover then costs
// GETs only for other agents' objects and the caller's own that matter.
Result<TakeoverLog> RecoverForTakeover(
    ObjectStore& store, const std::vector<TakeoverPartition>& partitions,
    const std::map<std::string, WalObjectSummary>* known = nullptr);

}  // namespace sh::wal
