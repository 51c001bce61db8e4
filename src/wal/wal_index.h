// WalIndex: which offsets each WAL object holds, so that objects fully
// covered by sealed segments can be deleted (docs/design.md §6 step 4).
//
// RecoverWal returns the summaries of the objects it read; the WalWriter adds
// one for every object it tries to write (also failed ones: a Put that timed
// out may still land). The broker asks CoveredObjects which keys are safe to
// delete, deletes them, then Removes them here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sh::wal {

using TopicPartition = std::pair<std::string, int32_t>;
// Next offset not yet in a sealed, registered segment, for (topic, partition).
using SealedEndFn = std::function<int64_t(const std::string& topic, int32_t partition)>;

struct WalObjectSummary {
  std::string key;
  uint64_t sequence = 0;
  // Last offset of the last batch the object holds, per partition.
  std::map<TopicPartition, int64_t> max_offset;
};

// Keys of the objects all of whose partitions have max_offset < sealed_end.
// The object with the highest sequence is never included: it stays so that a
// restart learns the next sequence number from the store (a sequence is never
// reused, docs/design.md §6 and docs/formats/wal.md "Sequence numbers"); recovery
// replays none of its records once they are sealed.
std::vector<std::string> CoveredObjects(const std::vector<WalObjectSummary>& objects,
                                        const SealedEndFn& sealed_end);
// The same with the sequence that stays given: when the newest object of an
// agent could not be summarised (a torn last object), it is that object's,
// and every summarised object may go once covered.
std::vector<std::string> CoveredObjects(const std::vector<WalObjectSummary>& objects,
                                        const SealedEndFn& sealed_end, uint64_t newest);

// Thread-safe set of summaries keyed by sequence.
class WalIndex {
 public:
  void Add(WalObjectSummary summary);
  void Remove(const std::string& key);
  std::vector<WalObjectSummary> Snapshot() const;  // sorted by sequence
  std::optional<uint64_t> max_sequence() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<uint64_t, WalObjectSummary> by_sequence_;
};

std::vector<std::string> CoveredObjects(const WalIndex& index, const SealedEndFn& sealed_end);

}  // namespace sh::wal
