#include "wal/takeover_recovery.h"

#include <algorithm>
#include <utility>

#include "wal/wal_reader.h"

namespace sh::wal {
namespace {

// True if a batch of `epoch` ending at `last` is superseded: some epoch e'
// with epoch < e' <= max_epoch has starts[e'] <= last (docs/cluster.md §6
// step 3). Example: starts {6: 110}, max_epoch 7: [110,115)@5 (last 114) is
// superseded, [100,110)@5 (last 109) and [110,112)@6 are not.
bool Superseded(const std::map<int64_t, int64_t>& starts, int64_t epoch, int64_t last,
                int64_t max_epoch) {
  for (auto it = starts.upper_bound(epoch); it != starts.end() && it->first <= max_epoch; ++it) {
    if (it->second <= last) return true;
  }
  return false;
}

std::string Range(int64_t first, int64_t last) {
  return "[" + std::to_string(first) + ", " + std::to_string(last) + "]";
}

// What one pass collects for one requested partition.
struct PartitionState {
  const TakeoverPartition* request = nullptr;
  std::map<int64_t, int64_t> seen_starts;  // epoch -> smallest base offset in the WAL
  std::vector<RecoveredBatch> candidates;  // at or above H, in read order
  size_t superseded = 0;
  std::vector<std::string> object_keys;
};

class Takeover {
 public:
  Status Init(const std::vector<TakeoverPartition>& partitions);
  Status TakeObject(const std::string& agent, const WalObjectInfo& info, const WalObject& obj);
  Result<TakeoverTail> Finish(const TopicPartition& tp, PartitionState& state);
  std::map<TopicPartition, PartitionState>& states() { return states_; }
  std::map<std::string, std::vector<WalObjectSummary>>& objects() { return objects_; }

 private:
  Status TakeEntry(PartitionState& state, const WalEntryView& e, const WalObjectInfo& info);

  std::map<TopicPartition, PartitionState> states_;
  std::map<std::string, std::vector<WalObjectSummary>> objects_;
};

Status Takeover::Init(const std::vector<TakeoverPartition>& partitions) {
  for (const TakeoverPartition& p : partitions) {
    std::string name = PartitionName(p.tp);
    if (p.tp.first.empty() || p.tp.second < 0 || p.sealed_end < 0 || p.epoch < 1) {
      return Status::InvalidArgument("takeover of " + name + ": needs a topic, partition >= 0, " +
                                     "sealed end >= 0 and epoch >= 1 (sealed end " +
                                     std::to_string(p.sealed_end) + ", epoch " +
                                     std::to_string(p.epoch) + ")");
    }
    if (!states_.try_emplace(p.tp).second) {
      return Status::InvalidArgument("takeover of " + name + ": partition given twice");
    }
    states_[p.tp].request = &p;
  }
  return Status::OK();
}

Status Takeover::TakeObject(const std::string& agent, const WalObjectInfo& info,
                            const WalObject& obj) {
  for (const WalEntryView& e : obj.entries) {
    auto it = states_.find(TopicPartition{std::string(e.topic), e.partition});
    if (it != states_.end()) SH_RETURN_IF_ERROR(TakeEntry(it->second, e, info));
  }
  objects_[agent].push_back(SummarizeObject(info, obj));
  return Status::OK();
}

Status Takeover::TakeEntry(PartitionState& state, const WalEntryView& e,
                           const WalObjectInfo& info) {
  const TakeoverPartition& req = *state.request;
  if (e.leader_epoch > req.epoch) {
    return Status::Fenced("wal object " + info.key + ": " + PartitionName(req.tp) + " offsets " +
                          Range(e.base_offset, e.last_offset) + " carry leader epoch " +
                          std::to_string(e.leader_epoch) + ", above this takeover's epoch " +
                          std::to_string(req.epoch) + ": a newer leader exists");
  }
  if (state.object_keys.empty() || state.object_keys.back() != info.key) {
    state.object_keys.push_back(info.key);
  }
  auto [start, inserted] = state.seen_starts.try_emplace(e.leader_epoch, e.base_offset);
  if (!inserted) start->second = std::min(start->second, e.base_offset);
  if (e.last_offset < req.sealed_end) return Status::OK();  // all sealed already
  for (const BatchRef& ref : SplitBatches(e.batches)) {
    if (ref.last_offset < req.sealed_end) continue;
    // Recorded starts only grow the set of starts, so what they supersede
    // stays superseded: no need to copy it.
    if (Superseded(req.epoch_starts, e.leader_epoch, ref.last_offset, req.epoch)) {
      ++state.superseded;
      continue;
    }
    state.candidates.push_back(CopyBatch(ref, e, info));
  }
  return Status::OK();
}

Result<TakeoverTail> Takeover::Finish(const TopicPartition& tp, PartitionState& state) {
  const TakeoverPartition& req = *state.request;
  TakeoverTail out;
  out.object_keys = std::move(state.object_keys);
  // Recorded starts win; the WAL fills in epochs that recorded none.
  for (const auto& [epoch, start] : req.epoch_starts) {
    if (epoch <= req.epoch) out.epoch_starts.emplace(epoch, start);
  }
  for (const auto& [epoch, start] : state.seen_starts) out.epoch_starts.try_emplace(epoch, start);
  out.superseded_batches = state.superseded;
  PartitionTail tail(tp, req.sealed_end);
  for (RecoveredBatch& b : state.candidates) {
    if (Superseded(out.epoch_starts, b.leader_epoch, b.last_offset, req.epoch)) {
      ++out.superseded_batches;
      continue;
    }
    SH_RETURN_IF_ERROR(tail.Add(std::move(b)));
  }
  state.candidates.clear();
  SH_ASSIGN_OR_RETURN(out.tail, std::move(tail).Finish());
  return out;
}

Status RunTakeover(ObjectStore& store, Takeover& takeover,
                   const std::map<std::string, WalObjectSummary>* known, TakeoverLog* log) {
  SH_ASSIGN_OR_RETURN(auto agents, ListAllWal(store));
  auto skip = [&](const WalObjectInfo& info) {
    if (known == nullptr) return false;
    auto it = known->find(info.key);
    if (it == known->end()) return false;
    for (const auto& [tp, state] : takeover.states()) {
      if (it->second.max_offset.count(tp) > 0) return false;
    }
    return true;
  };
  for (const auto& [agent, infos] : agents) {
    std::optional<std::string> discarded;
    SH_RETURN_IF_ERROR(ReplayAgentWal(
        store, agent, infos,
        [&, &agent = agent](const WalObjectInfo& info, const WalObject& obj) {
          return takeover.TakeObject(agent, info, obj);
        },
        &discarded, skip));
    if (discarded.has_value()) log->discarded_keys.push_back(std::move(*discarded));
  }
  for (auto& [tp, state] : takeover.states()) {
    Result<TakeoverTail> tail = takeover.Finish(tp, state);
    if (!tail.ok()) {
      return tail.status().WithContext("takeover of " + PartitionName(tp) + " at epoch " +
                                       std::to_string(state.request->epoch));
    }
    log->partitions.emplace(tp, std::move(tail).value());
  }
  log->objects = std::move(takeover.objects());
  return Status::OK();
}

}  // namespace

Result<TakeoverLog> RecoverForTakeover(ObjectStore& store,
                                       const std::vector<TakeoverPartition>& partitions,
                                       const std::map<std::string, WalObjectSummary>* known) {
  TakeoverLog log;
  if (partitions.empty()) return log;
  Takeover takeover;
  SH_RETURN_IF_ERROR(takeover.Init(partitions));
  SH_RETURN_IF_ERROR(RunTakeover(store, takeover, known, &log).WithContext("takeover recovery"));
  return log;
}

}  // namespace sh::wal
