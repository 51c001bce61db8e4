// Taking partitions over in cluster mode (docs/cluster.md §6): the steps of
// Broker::Lead() that need no broker state.
//
//   for each partition:  AcquireForTakeover  (lease, then H, then S(e))
//   all at once:         RecoverTails        (one pass over every agent's WAL)
//   for each partition:  open the leader at H, append the tail, RecordEpochStart(E, R), serve
//
// The order matters: H and the WAL listing are read after the lease is held,
// so a record acknowledged by the previous holder is either below H or in a
// WAL object the listing returns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "wal/takeover_recovery.h"

namespace sh::broker {

// A partition whose lease was just acquired, ready for recovery.
struct TakeoverCandidate {
  PartitionLease lease;
  int64_t request_start_ms = 0;    // monotonic ms read before AcquireLease
  wal::TakeoverPartition request;  // epoch E, sealed end H, recorded S(e)
};

// AcquireLease for agent_id (Fenced if another agent holds it unexpired),
// then the partition's sealed end and recorded epoch starts.
Result<TakeoverCandidate> AcquireForTakeover(MetadataStore& metadata, const Clock& clock,
                                             const std::string& agent_id, int64_t lease_ms,
                                             const std::string& topic, int32_t partition);

// The tails of candidates, in order, from one pass over the WAL
// (wal::RecoverForTakeover). If that pass fails with Corruption or Fenced
// (errors of one partition), each partition is recovered alone, so that one
// partition's damage does not keep the others from being served; any other
// error (the store's) is every partition's. own_objects gets the summaries of agent_id's WAL
// objects read (for the broker's WAL index, so they are deleted once sealed).
// known: the broker's own WAL objects it already knows the contents of
// (wal::RecoverForTakeover skips those without a partition being taken over).
std::vector<Result<wal::TakeoverTail>> RecoverTails(
    ObjectStore& store, const std::vector<TakeoverCandidate>& candidates,
    const std::string& agent_id, std::vector<wal::WalObjectSummary>* own_objects,
    const std::map<std::string, wal::WalObjectSummary>* known = nullptr);

}  // namespace sh::broker
