// WalLifecycle: this agent's write-ahead log as the broker keeps it
// (DESIGN §6 "Recovery", docs/durability.md, docs/cluster.md §6): recovery at
// start-up, the writer the leaders append to, the index of the objects
// written or read, and the deletion of objects every record of which is in a
// sealed segment. The replay into the leaders and the retry of a failed
// object's entries are Broker::Impl's (wal_lifecycle.cc), which knows the
// leaders. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "broker/broker_types.h"
#include "broker/partition_leader.h"
#include "metadata/metadata_store.h"
#include "objstore/object_store.h"
#include "wal/wal_index.h"
#include "wal/wal_recovery.h"
#include "wal/wal_writer.h"

namespace sh::broker {

class WalLifecycle {
 public:
  // The references outlive this object.
  WalLifecycle(const BrokerOptions& options, MetadataStore& metadata, ObjectStore& store,
               const Clock& clock)
      : options_(options), metadata_(metadata), store_(store), clock_(clock) {}

  // Embedded start-up: reads this agent's WAL above each partition's sealed
  // end, deletes a torn final object, indexes the objects and opens the
  // writer after the highest sequence found. The caller replays the result.
  Result<wal::RecoveredLog> RecoverOwn();
  // Cluster-mode start-up: nothing is led yet, so nothing is replayed (Lead()
  // recovers each partition from every agent's WAL); the writer starts after
  // this agent's highest sequence, which is never reused.
  Status OpenCluster();

  // The sealed end of a partition as the metadata store has it; for a
  // partition that no longer exists, everything counts as sealed.
  Result<int64_t> SealedEnd(const std::string& topic, int32_t partition);

  // Deletes the WAL objects whose every record is in a sealed segment.
  void DeleteCovered();

  // After a failed WAL object: resumes the writer once every callback of the
  // failure has run (so every affected partition knows). Returns false while
  // such callbacks still run (the failed entries must wait), true otherwise.
  // REQUIRES: the writer was opened (or none: then false).
  bool ResumeIfFailed();

  // What a leader needs for its produce path; notify is called after a
  // partition's high watermark moved.
  WalContext Context(std::function<void(const std::string&, int32_t)> notify);

  wal::WalIndex& index() { return index_; }

 private:
  void OpenWriter(uint64_t first_sequence);
  void DeleteIfTorn(const std::string& key);

  const BrokerOptions& options_;
  MetadataStore& metadata_;
  ObjectStore& store_;
  const Clock& clock_;

  // Last, so that the writer (whose callbacks reach the leaders) stops first.
  std::atomic<int64_t> in_flight_{0};
  wal::WalIndex index_;
  std::unique_ptr<wal::WalWriter> writer_;
};

}  // namespace sh::broker
