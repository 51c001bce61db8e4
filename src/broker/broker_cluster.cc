// Cluster mode (docs/cluster.md §5, §6; docs/broker.md "Cluster mode"):
// taking partitions over, handing them back, and what is led.
#include <map>
#include <utility>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/broker_impl.h"
#include "broker/takeover.h"

namespace sh::broker {

std::vector<Status> Broker::Impl::Lead(const std::vector<PartitionKey>& partitions) {
  std::vector<Status> out(partitions.size());
  std::vector<TakeoverCandidate> candidates;
  std::vector<size_t> where;  // index in partitions of each candidate
  std::vector<TopicSettings> settings;
  std::map<PartitionKey, size_t> first;  // a partition named twice gets the first one's answer
  std::vector<std::pair<size_t, size_t>> repeats;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const auto& [topic, partition] = partitions[i];
    auto [it, fresh] = first.try_emplace(partitions[i], i);
    if (!fresh) {
      repeats.emplace_back(i, it->second);
      continue;
    }
    if (LedLeader(topic, partition)) continue;  // renewal is the background's
    Result<TopicSettings> st = PartitionSettings(topic, partition);
    if (!st.ok()) {
      out[i] = st.status();
      continue;
    }
    Result<TakeoverCandidate> c = AcquireForTakeover(metadata_, clock_, options_.agent_id,
                                                     options_.lease_ms, topic, partition);
    if (!c.ok()) {
      out[i] = c.status().WithContext("lease of " + PartitionLabel(topic, partition));
      continue;
    }
    TakingOver(partitions[i], true);
    candidates.push_back(std::move(*c));
    where.push_back(i);
    settings.push_back(std::move(*st));
  }
  std::vector<wal::WalObjectSummary> own;
  std::map<std::string, wal::WalObjectSummary> known;  // what this process wrote or read
  if (!candidates.empty()) {
    for (wal::WalObjectSummary& s : wal_.index().Snapshot()) known[s.key] = std::move(s);
  }
  std::vector<Result<wal::TakeoverTail>> tails =
      RecoverTails(store_, candidates, options_.agent_id, &own, &known);
  for (wal::WalObjectSummary& o : own) wal_.index().Add(std::move(o));
  for (size_t k = 0; k < candidates.size(); ++k) {
    const auto& [topic, partition] = candidates[k].request.tp;
    Status st = tails[k].ok() ? Install(candidates[k], settings[k], *tails[k]) : tails[k].status();
    out[where[k]] = st.WithContext("takeover of " + PartitionLabel(topic, partition));
    TakingOver(candidates[k].request.tp, false);
  }
  for (const auto& [i, j] : repeats) out[i] = out[j];
  return out;
}

Status Broker::Impl::Install(const TakeoverCandidate& c, const TopicSettings& settings,
                             const wal::TakeoverTail& tail) {
  const auto& [topic, partition] = c.request.tp;
  std::shared_ptr<Slot> slot = SlotFor(c.request.tp);
  std::lock_guard lock(slot->mu);
  if (slot->dead) return Status::NotFound("topic " + topic + " was deleted during the takeover");
  if (LiveLeader(slot->leader)) return Status::OK();
  SH_ASSIGN_OR_RETURN(
      std::unique_ptr<PartitionLeader> opened,
      PartitionLeader::OpenLeased(topic, partition, options_, settings, metadata_, store_, cache_,
                                  clock_, WalFor(), c.lease, c.request_start_ms));
  std::shared_ptr<PartitionLeader> leader = std::move(opened);
  SH_RETURN_IF_ERROR(leader->Recover(tail.tail));
  // Before the first produce: this epoch assigns offsets from R upward.
  SH_RETURN_IF_ERROR(
      metadata_.RecordEpochStart(topic, partition, c.lease.leader_epoch, tail.tail.next_offset));
  slot->leader = std::move(leader);
  SH_LOG(INFO) << "took over " << PartitionLabel(topic, partition) << " at epoch "
               << c.lease.leader_epoch << ": sealed end " << tail.tail.start_offset
               << ", recovered up to " << tail.tail.next_offset << " from "
               << tail.object_keys.size() << " WAL object(s), " << tail.superseded_batches
               << " superseded batch(es)";
  return Status::OK();
}

Status Broker::Impl::HandOver(const std::string& topic, int32_t partition) {
  std::shared_ptr<PartitionLeader> leader = LedLeader(topic, partition);
  if (!leader) return Status::OK();
  RetryFailedWal();  // failed entries must reach the WAL before the seal
  Status retired = leader->Retire(options_.wal_put_timeout_ms + 1000);
  if (retired.ok()) Forget(leader);
  return retired.WithContext("hand-over of " + PartitionLabel(topic, partition));
}

std::vector<LedPartition> Broker::Impl::Led() {
  std::vector<LedPartition> out;
  for (const std::shared_ptr<PartitionLeader>& leader : Leaders()) {
    if (!LiveLeader(leader)) continue;
    out.push_back({leader->topic(), leader->partition(), leader->leader_epoch(),
                   leader->lease_deadline_ms(), leader->LeaseAllowsWrites()});
  }
  return out;
}

std::vector<Status> Broker::Lead(const std::vector<std::pair<std::string, int32_t>>& partitions) {
  if (!options_.cluster_mode) {
    return std::vector<Status>(partitions.size(),
                               Status::InvalidArgument("Lead() needs cluster mode"));
  }
  return impl_->Lead(partitions);
}

Status Broker::HandOver(const std::string& topic, int32_t partition) {
  if (!options_.cluster_mode) return Status::InvalidArgument("HandOver() needs cluster mode");
  return impl_->HandOver(topic, partition);
}

std::vector<LedPartition> Broker::Led() const { return impl_->Led(); }

}  // namespace sh::broker
