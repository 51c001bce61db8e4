// Sweeping the WAL objects of agents that left the cluster (docs/cluster.md
// "WAL objects of departed agents"; Broker::SweepDepartedWal).
//
// A live agent deletes its own WAL objects once sealed segments cover them
// (Broker::Impl::DeleteCoveredWal). An agent that dies and never returns
// leaves its objects behind: they cost storage, and every takeover GETs
// every object under "wal/" (takeover_recovery.h). A sweep lists "wal/",
// reads each departed agent's objects it has not read before, and deletes
// those wal::CoveredObjects names: every entry below its partition's sealed
// end, never the agent's highest sequence (sequences are never reused, so
// the agent, were it to come back, learns its next one from that object).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "objstore/object_store.h"
#include "wal/wal_index.h"

namespace sh::broker {

// The next offset of (topic, partition) not yet in a sealed segment;
// INT64_MAX for a partition that no longer exists (its records can never be
// served); an error when the metadata store cannot tell.
using SealedEndLookup = std::function<Result<int64_t>(const std::string& topic, int32_t partition)>;

// What sweeps remember between runs. WAL objects never change once written
// (a key's sequence is never reused), so a summary read once stays true: each
// object is fetched once. Entries of keys no longer listed are dropped.
struct WalSweepCache {
  std::mutex mu;  // held for a whole sweep: one sweep at a time
  std::map<std::string, wal::WalObjectSummary> summaries;  // by key
  std::set<std::string> damaged;                           // torn or corrupt: kept, not re-read
};

struct WalSweepResult {
  std::vector<std::string> deleted;  // keys, in deletion order
  std::set<std::string> agents;      // departed agents with a deleted object
  // The first store or metadata error met (the sweep went on past it; what
  // it concerned was kept).
  Status first_error;
};

// One sweep over the directories of the agents that are neither `self` nor
// in `live`. Damaged objects are kept (WARN naming the key, once); an object
// gone between LIST and GET is skipped; an object whose partition's sealed
// end is unknown is kept. REQUIRES: cache is used with one object store only.
WalSweepResult SweepDepartedWal(ObjectStore& store, const std::string& self,
                                const std::set<std::string>& live,
                                const SealedEndLookup& sealed_end, WalSweepCache& cache);

}  // namespace sh::broker
