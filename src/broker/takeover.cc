#include "broker/takeover.h"

#include <utility>

#include "base/log.h"
#include "broker/partition_leader.h"

namespace sh::broker {
namespace {

std::string TP(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

void Collect(wal::TakeoverLog& log, const std::string& agent_id,
             std::vector<wal::WalObjectSummary>* own_objects) {
  for (const std::string& key : log.discarded_keys) {
    SH_LOG(WARN) << "takeover: discarded the torn final WAL object " << key
                 << " (its write was never acknowledged)";
  }
  auto it = log.objects.find(agent_id);
  if (own_objects && it != log.objects.end()) {
    for (wal::WalObjectSummary& s : it->second) own_objects->push_back(std::move(s));
  }
}

}  // namespace

Result<TakeoverCandidate> AcquireForTakeover(MetadataStore& metadata, const Clock& clock,
                                             const std::string& agent_id, int64_t lease_ms,
                                             const std::string& topic, int32_t partition) {
  TakeoverCandidate c;
  c.request_start_ms = MonotonicMs(clock);
  SH_ASSIGN_OR_RETURN(c.lease,
                      metadata.AcquireLease(topic, partition, agent_id, clock.NowMs(), lease_ms));
  // Only now, holding the lease: the sealed end and the epoch starts.
  SH_ASSIGN_OR_RETURN(PartitionInfo info, metadata.GetPartition(topic, partition));
  SH_ASSIGN_OR_RETURN(c.request.epoch_starts, metadata.ListEpochStarts(topic, partition));
  c.request.tp = {topic, partition};
  c.request.epoch = c.lease.leader_epoch;
  c.request.sealed_end = info.high_watermark;
  return c;
}

std::vector<Result<wal::TakeoverTail>> RecoverTails(
    ObjectStore& store, const std::vector<TakeoverCandidate>& candidates,
    const std::string& agent_id, std::vector<wal::WalObjectSummary>* own_objects,
    const std::map<std::string, wal::WalObjectSummary>* known) {
  std::vector<Result<wal::TakeoverTail>> out;
  if (candidates.empty()) return out;
  std::vector<wal::TakeoverPartition> requests;
  for (const TakeoverCandidate& c : candidates) requests.push_back(c.request);
  Result<wal::TakeoverLog> log = wal::RecoverForTakeover(store, requests, known);
  if (log.ok()) {
    for (const TakeoverCandidate& c : candidates) {
      auto it = log->partitions.find(c.request.tp);
      if (it == log->partitions.end()) {
        out.push_back(Status::Internal("takeover recovery returned nothing for " +
                                       TP(c.request.tp.first, c.request.tp.second)));
      } else {
        out.push_back(std::move(it->second));
      }
    }
    Collect(*log, agent_id, own_objects);
    return out;
  }
  // A store or argument error affects every partition alike; Corruption and
  // Fenced name one partition, so the others are worth a pass of their own.
  ErrorCode code = log.status().code();
  if (candidates.size() == 1 || (code != ErrorCode::kCorruption && code != ErrorCode::kFenced)) {
    out.assign(candidates.size(), log.status());
    return out;
  }
  SH_LOG(WARN) << "takeover recovery of " << candidates.size() << " partitions failed ("
               << log.status().ToString() << "); recovering them one by one";
  for (const TakeoverCandidate& c : candidates) {
    Result<wal::TakeoverLog> one = wal::RecoverForTakeover(store, {c.request}, known);
    if (!one.ok()) {
      out.push_back(one.status());
      continue;
    }
    out.push_back(std::move(one->partitions[c.request.tp]));
    Collect(*one, agent_id, own_objects);
  }
  return out;
}

}  // namespace sh::broker
