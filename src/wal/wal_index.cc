#include "wal/wal_index.h"

#include <algorithm>

namespace sh::wal {

std::vector<std::string> CoveredObjects(const std::vector<WalObjectSummary>& objects,
                                        const SealedEndFn& sealed_end) {
  uint64_t newest = 0;
  for (const WalObjectSummary& o : objects) newest = std::max(newest, o.sequence);
  return CoveredObjects(objects, sealed_end, newest);
}

std::vector<std::string> CoveredObjects(const std::vector<WalObjectSummary>& objects,
                                        const SealedEndFn& sealed_end, uint64_t newest) {
  std::vector<std::string> keys;
  for (const WalObjectSummary& o : objects) {
    if (o.sequence == newest) continue;
    bool covered = std::all_of(o.max_offset.begin(), o.max_offset.end(), [&](const auto& kv) {
      return kv.second < sealed_end(kv.first.first, kv.first.second);
    });
    if (covered) keys.push_back(o.key);
  }
  return keys;
}

void WalIndex::Add(WalObjectSummary summary) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t seq = summary.sequence;
  by_sequence_[seq] = std::move(summary);
}

void WalIndex::Remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_sequence_.begin(); it != by_sequence_.end(); ++it) {
    if (it->second.key == key) {
      by_sequence_.erase(it);
      return;
    }
  }
}

std::vector<WalObjectSummary> WalIndex::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WalObjectSummary> out;
  out.reserve(by_sequence_.size());
  for (const auto& [seq, s] : by_sequence_) out.push_back(s);
  return out;
}

std::optional<uint64_t> WalIndex::max_sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_sequence_.empty()) return std::nullopt;
  return by_sequence_.rbegin()->first;
}

size_t WalIndex::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_sequence_.size();
}

std::vector<std::string> CoveredObjects(const WalIndex& index, const SealedEndFn& sealed_end) {
  return CoveredObjects(index.Snapshot(), sealed_end);
}

}  // namespace sh::wal
