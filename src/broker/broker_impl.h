// Broker::Impl: the broker's state and inner workings, shared by broker.cc
// (start-up, background work, topics, data) and broker_cluster.cc (cluster
// mode: Lead, HandOver, Led). Internal to src/broker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/partition_leader.h"
#include "broker/takeover.h"
#include "broker/topic_settings.h"
#include "storage/segment_cache.h"
#include "wal/wal_index.h"
#include "wal/wal_writer.h"

namespace sh::broker {

using PartitionKey = std::pair<std::string, int32_t>;
struct WalSweepCache;  // broker/wal_sweep.h

inline std::string PartitionLabel(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

// Serving: neither fenced nor retired.
inline bool LiveLeader(const std::shared_ptr<PartitionLeader>& leader) {
  return leader && !leader->fenced() && !leader->retired();
}

inline void LogIfError(const Status& s, const char* what) {
  if (!s.ok()) {
    SH_LOG(WARN) << what << ": " << s.ToString();
  }
}

class Broker::Impl {
 public:
  Impl(BrokerOptions options, MetadataStore& metadata, ObjectStore& store, const Clock& clock)
      : options_(std::move(options)),
        metadata_(metadata),
        store_(store),
        clock_(clock),
        cache_(options_.cache_bytes) {}

  // One leader per partition, opened on first use. The slot's mutex makes
  // sure two threads never open two writers for one partition.
  struct Slot {
    std::mutex mu;
    std::shared_ptr<PartitionLeader> leader;
    bool dead = false;  // the topic was deleted: look the slot up again
  };

  struct Target {
    TopicSettings settings;
    std::shared_ptr<PartitionLeader> leader;
  };

  // The settings of an existing partition's topic; NotFound otherwise.
  Result<TopicSettings> PartitionSettings(const std::string& topic, int32_t partition) {
    SH_ASSIGN_OR_RETURN(TopicInfo info, metadata_.GetTopic(topic));
    if (partition < 0 || partition >= info.partition_count) {
      return Status::NotFound("partition " + std::to_string(partition) + " of topic " + topic +
                              " does not exist (" + std::to_string(info.partition_count) +
                              " partitions)");
    }
    return SettingsFor(info);
  }

  Result<Target> Lookup(const std::string& topic, int32_t partition) {
    Target target;
    SH_ASSIGN_OR_RETURN(target.settings, PartitionSettings(topic, partition));
    if (options_.cluster_mode) {
      // Only what Lead() opened, and only while its lease deadline holds
      // (or a renewal now succeeds).
      target.leader = LedLeader(topic, partition);
      if (!target.leader && AwaitTakeover(PartitionKey(topic, partition))) {
        target.leader = LedLeader(topic, partition);
      }
      if (!target.leader)
        return Status::Fenced(PartitionLabel(topic, partition) + " is not led by this agent");
      SH_RETURN_IF_ERROR(target.leader->CheckLease());
      return target;
    }
    SH_ASSIGN_OR_RETURN(target.leader, LeaderFor(topic, partition, target.settings));
    return target;
  }

  // Requests that reach a partition while this agent takes it over (lease
  // held, tail still being recovered) wait for the takeover instead of being
  // refused: other agents already name this one as leader, and a refusal in
  // the middle of a pipeline of idempotent produce requests would let a later
  // one arrive first. Returns true if a takeover was waited for.
  bool AwaitTakeover(const PartitionKey& key) {
    std::unique_lock lock(takeover_mu_);
    if (taking_over_.count(key) == 0) return false;
    takeover_cv_.wait_for(lock, std::chrono::milliseconds(options_.lease_ms / 2),
                          [&] { return taking_over_.count(key) == 0; });
    return true;
  }
  void TakingOver(const PartitionKey& key, bool on) {
    {
      std::lock_guard lock(takeover_mu_);
      if (on) {
        taking_over_.insert(key);
      } else {
        taking_over_.erase(key);
      }
    }
    if (!on) takeover_cv_.notify_all();
  }

  // The live leader of a partition, or null; never opens one.
  std::shared_ptr<PartitionLeader> LedLeader(const std::string& topic, int32_t partition) {
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard lock(mu_);
      auto it = slots_.find(PartitionKey(topic, partition));
      if (it == slots_.end()) return nullptr;
      slot = it->second;
    }
    std::lock_guard lock(slot->mu);
    return LiveLeader(slot->leader) ? slot->leader : nullptr;
  }

  // Resolving parses the config JSON; this runs on every produce and fetch,
  // so the result is kept per topic for as long as its JSON is unchanged.
  Result<TopicSettings> SettingsFor(const TopicInfo& info) {
    {
      std::lock_guard lock(settings_mu_);
      auto it = settings_.find(info.name);
      if (it != settings_.end() && it->second.first == info.config_json) return it->second.second;
    }
    SH_ASSIGN_OR_RETURN(TopicSettings resolved, ResolveTopicSettings(options_, info));
    std::lock_guard lock(settings_mu_);
    if (settings_.size() > 10'000) settings_.clear();  // bound it; entries are cheap to redo
    settings_[info.name] = {info.config_json, resolved};
    return resolved;
  }

  Result<std::shared_ptr<PartitionLeader>> LeaderFor(const std::string& topic, int32_t partition,
                                                     const TopicSettings& settings) {
    while (true) {
      std::shared_ptr<Slot> slot = SlotFor(PartitionKey(topic, partition));
      std::lock_guard lock(slot->mu);
      if (slot->dead) continue;
      if (LiveLeader(slot->leader)) return slot->leader;
      SH_ASSIGN_OR_RETURN(std::unique_ptr<PartitionLeader> opened,
                          PartitionLeader::Open(topic, partition, options_, settings, metadata_,
                                                store_, cache_, clock_, WalFor()));
      slot->leader = std::move(opened);
      return slot->leader;
    }
  }

  std::shared_ptr<Slot> SlotFor(const PartitionKey& key) {
    std::lock_guard lock(mu_);
    std::shared_ptr<Slot>& s = slots_[key];
    if (!s) s = std::make_shared<Slot>();
    return s;
  }

  // Broker::Lead (broker.h): acquire each, recover all in one WAL pass, install each.
  std::vector<Status> Lead(const std::vector<PartitionKey>& partitions);

  // Opens the leader at the sealed end, appends the recovered tail, records
  // S(E) = R, and only then makes it visible to data calls.
  Status Install(const TakeoverCandidate& c, const TopicSettings& settings,
                 const wal::TakeoverTail& tail);

  Status HandOver(const std::string& topic, int32_t partition);

  std::vector<LedPartition> Led();

  std::vector<std::shared_ptr<PartitionLeader>> Leaders(const std::string* topic = nullptr) {
    std::vector<std::shared_ptr<Slot>> slots;
    {
      std::lock_guard lock(mu_);
      for (auto& [key, slot] : slots_) {
        if (!topic || key.first == *topic) slots.push_back(slot);
      }
    }
    std::vector<std::shared_ptr<PartitionLeader>> out;
    for (auto& slot : slots) {
      std::lock_guard lock(slot->mu);
      if (slot->leader) out.push_back(slot->leader);
    }
    return out;
  }

  // Runs fn(Target&) on the partition's leader. A leader retired by Stop()
  // while fn ran is replaced by a new one and fn runs again.
  template <typename Fn>
  auto WithLeader(const std::string& topic, int32_t partition, Fn fn)
      -> decltype(fn(std::declval<Target&>())) {
    for (int attempt = 0;; ++attempt) {
      SH_ASSIGN_OR_RETURN(Target target, Lookup(topic, partition));
      auto result = fn(target);
      if (result.ok() || !target.leader->retired() || attempt == 2) return result;
    }
  }

  // Drops a leader that lost its lease or was retired, so the next use opens a fresh one.
  void Forget(const std::shared_ptr<PartitionLeader>& leader) {
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard lock(mu_);
      auto it = slots_.find(PartitionKey(leader->topic(), leader->partition()));
      if (it == slots_.end()) return;
      slot = it->second;
    }
    std::lock_guard lock(slot->mu);
    if (slot->leader == leader) slot->leader.reset();
  }

  void CloseTopic(const std::string& topic) {
    std::vector<std::shared_ptr<Slot>> slots;
    {
      std::lock_guard lock(mu_);
      for (auto it = slots_.begin(); it != slots_.end();) {
        if (it->first.first == topic) {
          slots.push_back(it->second);
          it = slots_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& slot : slots) {
      std::lock_guard lock(slot->mu);
      slot->dead = true;
      if (slot->leader) slot->leader->Close();
      slot->leader.reset();
    }
  }

  WalContext WalFor() {
    WalContext c;
    c.wal = wal_.get();
    c.in_flight = &wal_in_flight_;
    c.notify = [this](const std::string& topic, int32_t partition) { Notify(topic, partition); };
    return c;
  }

  // The sealed end of a partition as the metadata store has it; for a
  // partition that no longer exists, everything counts as sealed.
  Result<int64_t> SealedEnd(const std::string& topic, int32_t partition) {
    Result<PartitionInfo> info = metadata_.GetPartition(topic, partition);
    if (!info.ok()) {
      if (info.status().code() == ErrorCode::kNotFound) return INT64_MAX;
      return info.status();
    }
    return info->high_watermark;
  }

  void OpenWalWriter(uint64_t first_sequence) {
    wal::WalWriterOptions wo;
    wo.flush_interval_ms = options_.wal_flush_interval_ms;
    wo.max_bytes = options_.wal_max_bytes;
    wo.put_timeout_ms = options_.wal_put_timeout_ms;
    wo.first_sequence = first_sequence;
    wo.index = &wal_index_;
    wal_ = std::make_unique<wal::WalWriter>(store_, options_.agent_id, clock_, wo);
  }

  // Cluster-mode start-up: nothing is led yet, so nothing is replayed (Lead()
  // recovers each partition from every agent's WAL); the writer starts after
  // this agent's highest sequence, which is never reused.
  void DeleteIfTorn(const std::string& key);
  Status OpenClusterWal();

  // Start-up (docs/design.md §6 "Recovery"): rebuilds the tails from this agent's
  // WAL, then starts the writer after the highest sequence found.
  Status RecoverAndOpenWal();

  // Deletes the WAL objects whose every record is in a sealed segment.
  void DeleteCoveredWal();

  // After a failed WAL object: once every callback of the failure has run
  // (so every affected partition knows), resume the writer and append the
  // failed entries again, partition by partition, in offset order.
  void RetryFailedWal();

  Status Maintain(bool force_retention);
  Status OpenForRetention();

  void Loop();

  void Notify(const std::string& topic, int32_t partition) {
    std::vector<std::shared_ptr<std::function<void()>>> fns;
    {
      std::lock_guard lock(listeners_mu_);
      auto it = by_partition_.find(PartitionKey(topic, partition));
      if (it == by_partition_.end()) return;
      for (auto& [id, fn] : it->second) fns.push_back(fn);
    }
    for (auto& fn : fns) (*fn)();  // outside the lock: a listener may add or remove listeners
  }

  BrokerOptions options_;
  MetadataStore& metadata_;
  ObjectStore& store_;
  const Clock& clock_;
  storage::SegmentCache cache_;

  std::mutex mu_;
  std::map<PartitionKey, std::shared_ptr<Slot>> slots_;

  std::mutex takeover_mu_;
  std::condition_variable takeover_cv_;
  std::set<PartitionKey> taking_over_;  // lease taken, tail not yet served

  std::mutex settings_mu_;
  std::map<std::string, std::pair<std::string, TopicSettings>> settings_;  // by topic

  std::mutex listeners_mu_;
  uint64_t next_listener_id_ = 1;
  std::map<PartitionKey, std::map<uint64_t, std::shared_ptr<std::function<void()>>>> by_partition_;
  std::map<uint64_t, PartitionKey> by_id_;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<int64_t> last_retention_ms_{-1};

  // Last, so that the writer (whose callbacks reach the leaders) stops first.
  std::atomic<int64_t> wal_in_flight_{0};
  wal::WalIndex wal_index_;
  std::unique_ptr<wal::WalWriter> wal_;

  // Broker::SweepDepartedWal's memory across sweeps (wal_sweep.cc); made on
  // first use under mu_.
  std::shared_ptr<WalSweepCache> wal_sweep_cache_;
};

}  // namespace sh::broker
