// Broker::Impl: the broker's state and inner workings. Internal to
// src/broker. Its parts, one file each:
//   broker_impl.cc       the partition slots: lookup, opening, forgetting leaders
//   broker.cc            start-up, stop, the data calls
//   topic_admin.cc       the topic calls
//   maintenance_loop.cc  the background pass (MaintenanceLoop)
//   wal_lifecycle.cc     this agent's WAL: recovery, retry, deletion (WalLifecycle)
//   data_listeners.cc    long-polling listeners (DataListeners)
//   broker_cluster.cc    cluster mode: Lead, HandOver, Led
//   wal_sweep.cc         departed agents' WAL objects
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/data_listeners.h"
#include "broker/maintenance_loop.h"
#include "broker/partition_leader.h"
#include "broker/takeover.h"
#include "broker/topic_settings.h"
#include "broker/wal_lifecycle.h"
#include "storage/segment_cache.h"

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
        cache_(options_.cache_bytes),
        wal_(options_, metadata, store, clock) {}

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

  // ---- partition slots (broker_impl.cc) ----

  // The settings of an existing partition's topic; NotFound otherwise.
  Result<TopicSettings> PartitionSettings(const std::string& topic, int32_t partition);
  Result<Target> Lookup(const std::string& topic, int32_t partition);

  // Requests that reach a partition while this agent takes it over (lease
  // held, tail still being recovered) wait for the takeover instead of being
  // refused: other agents already name this one as leader, and a refusal in
  // the middle of a pipeline of idempotent produce requests would let a later
  // one arrive first. Returns true if a takeover was waited for.
  bool AwaitTakeover(const PartitionKey& key);
  void TakingOver(const PartitionKey& key, bool on);

  // The live leader of a partition, or null; never opens one.
  std::shared_ptr<PartitionLeader> LedLeader(const std::string& topic, int32_t partition);

  // Resolving parses the config JSON; this runs on every produce and fetch,
  // so the result is kept per topic for as long as its JSON is unchanged.
  Result<TopicSettings> SettingsFor(const TopicInfo& info);

  Result<std::shared_ptr<PartitionLeader>> LeaderFor(const std::string& topic, int32_t partition,
                                                     const TopicSettings& settings);
  std::shared_ptr<Slot> SlotFor(const PartitionKey& key);
  std::vector<std::shared_ptr<PartitionLeader>> Leaders(const std::string* topic = nullptr);

  // Runs fn(Target&) on the partition's leader. A leader retired by Stop()
  // while fn ran is replaced by a new one and fn runs again. (broker.cc)
  template <typename Fn>
  auto WithLeader(const std::string& topic, int32_t partition, Fn fn)
      -> decltype(fn(std::declval<Target&>()));

  // Drops a leader that lost its lease or was retired, so the next use opens a fresh one.
  void Forget(const std::shared_ptr<PartitionLeader>& leader);
  void CloseTopic(const std::string& topic);

  WalContext WalFor();

  // ---- cluster mode (broker_cluster.cc) ----

  // Broker::Lead (broker.h): acquire each, recover all in one WAL pass, install each.
  std::vector<Status> Lead(const std::vector<PartitionKey>& partitions);

  // Opens the leader at the sealed end, appends the recovered tail, records
  // S(E) = R, and only then makes it visible to data calls.
  Status Install(const TakeoverCandidate& c, const TopicSettings& settings,
                 const wal::TakeoverTail& tail);

  Status HandOver(const std::string& topic, int32_t partition);

  std::vector<LedPartition> Led();

  // ---- the WAL (wal_lifecycle.cc) ----

  // Start-up (docs/design.md §6 "Recovery"): rebuilds the tails from this agent's
  // WAL, then starts the writer after the highest sequence found.
  Status RecoverAndOpenWal();

  // After a failed WAL object: once every callback of the failure has run
  // (so every affected partition knows), resume the writer and append the
  // failed entries again, partition by partition, in offset order.
  void RetryFailedWal();

  // ---- background work (maintenance_loop.cc) ----

  Status Maintain(bool force_retention);
  Status OpenForRetention();

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

  DataListeners listeners_;

  MaintenanceLoop loop_;
  std::atomic<int64_t> last_retention_ms_{-1};

  // Broker::SweepDepartedWal's memory across sweeps (wal_sweep.cc); made on
  // first use under mu_.
  std::shared_ptr<WalSweepCache> wal_sweep_cache_;

  // Last, so that the writer (whose callbacks reach the leaders) stops first.
  WalLifecycle wal_;
};

}  // namespace sh::broker
