#include "broker/broker.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "base/log.h"
#include "broker/partition_leader.h"
#include "broker/takeover.h"
#include "broker/topic_settings.h"
#include "metadata/topic_config.h"
#include "storage/segment_cache.h"
#include "wal/wal_index.h"
#include "wal/wal_reader.h"
#include "wal/wal_recovery.h"
#include "wal/wal_writer.h"

namespace sh::broker {
namespace {

// More partitions than a single agent could sensibly lead; also keeps a
// malformed CreateTopics from asking the metadata store for billions of rows.
constexpr int32_t kMaxPartitions = 10'000;

using PartitionKey = std::pair<std::string, int32_t>;

std::string TP(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

bool Live(const std::shared_ptr<PartitionLeader>& leader) {
  return leader && !leader->fenced() && !leader->retired();
}

void LogIfError(const Status& s, const char* what) {
  if (!s.ok()) {
    SH_LOG(WARN) << what << ": " << s.ToString();
  }
}

}  // namespace

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
      if (!target.leader) return Status::Fenced(TP(topic, partition) + " is not led by this agent");
      SH_RETURN_IF_ERROR(target.leader->CheckLease());
      return target;
    }
    SH_ASSIGN_OR_RETURN(target.leader, LeaderFor(topic, partition, target.settings));
    return target;
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
    return Live(slot->leader) ? slot->leader : nullptr;
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
      if (Live(slot->leader)) return slot->leader;
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
  std::vector<Status> Lead(const std::vector<PartitionKey>& partitions) {
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
        out[i] = c.status().WithContext("lease of " + TP(topic, partition));
        continue;
      }
      candidates.push_back(std::move(*c));
      where.push_back(i);
      settings.push_back(std::move(*st));
    }
    std::vector<wal::WalObjectSummary> own;
    std::vector<Result<wal::TakeoverTail>> tails =
        RecoverTails(store_, candidates, options_.agent_id, &own);
    for (wal::WalObjectSummary& o : own) wal_index_.Add(std::move(o));
    for (size_t k = 0; k < candidates.size(); ++k) {
      const auto& [topic, partition] = candidates[k].request.tp;
      Status st =
          tails[k].ok() ? Install(candidates[k], settings[k], *tails[k]) : tails[k].status();
      out[where[k]] = st.WithContext("takeover of " + TP(topic, partition));
    }
    for (const auto& [i, j] : repeats) out[i] = out[j];
    return out;
  }

  // Opens the leader at the sealed end, appends the recovered tail, records
  // S(E) = R, and only then makes it visible to data calls.
  Status Install(const TakeoverCandidate& c, const TopicSettings& settings,
                 const wal::TakeoverTail& tail) {
    const auto& [topic, partition] = c.request.tp;
    std::shared_ptr<Slot> slot = SlotFor(c.request.tp);
    std::lock_guard lock(slot->mu);
    if (slot->dead) return Status::NotFound("topic " + topic + " was deleted during the takeover");
    if (Live(slot->leader)) return Status::OK();
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
    SH_LOG(INFO) << "took over " << TP(topic, partition) << " at epoch " << c.lease.leader_epoch
                 << ": sealed end " << tail.tail.start_offset << ", recovered up to "
                 << tail.tail.next_offset << " from " << tail.object_keys.size()
                 << " WAL object(s), " << tail.superseded_batches << " superseded batch(es)";
    return Status::OK();
  }

  Status HandOver(const std::string& topic, int32_t partition) {
    std::shared_ptr<PartitionLeader> leader = LedLeader(topic, partition);
    if (!leader) return Status::OK();
    RetryFailedWal();  // failed entries must reach the WAL before the seal
    Status retired = leader->Retire(options_.wal_put_timeout_ms + 1000);
    if (retired.ok()) Forget(leader);
    return retired.WithContext("hand-over of " + TP(topic, partition));
  }

  std::vector<LedPartition> Led() {
    std::vector<LedPartition> out;
    for (const std::shared_ptr<PartitionLeader>& leader : Leaders()) {
      if (!Live(leader)) continue;
      out.push_back({leader->topic(), leader->partition(), leader->leader_epoch(),
                     leader->lease_deadline_ms(), leader->LeaseAllowsWrites()});
    }
    return out;
  }

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
  Status OpenClusterWal() {
    Result<std::vector<wal::WalObjectInfo>> own = wal::ListWal(store_, options_.agent_id);
    if (!own.ok()) return own.status().WithContext("listing the WAL of agent " + options_.agent_id);
    OpenWalWriter(own->empty() ? 0 : own->back().sequence + 1);
    return Status::OK();
  }

  // Start-up (DESIGN §6 "Recovery"): rebuilds the tails from this agent's
  // WAL, then starts the writer after the highest sequence found.
  Status RecoverAndOpenWal() {
    if (options_.cluster_mode) return OpenClusterWal();
    Status lookup_error;
    auto sealed_end = [&](const std::string& topic, int32_t partition) -> int64_t {
      Result<int64_t> end = SealedEnd(topic, partition);
      if (end.ok()) return *end;
      if (lookup_error.ok()) lookup_error = end.status();
      return 0;
    };
    Result<wal::RecoveredLog> log = wal::RecoverWal(store_, options_.agent_id, sealed_end);
    SH_RETURN_IF_ERROR(lookup_error.WithContext("WAL recovery: sealed ends"));
    if (!log.ok()) {
      return log.status().WithContext("WAL recovery of agent " + options_.agent_id +
                                      " (refusing to start: acknowledged records may be in it)");
    }
    if (log->discarded_key) {
      SH_LOG(WARN) << "WAL recovery: discarded the torn final object " << *log->discarded_key
                   << " (its write was never acknowledged)";
    }
    for (const wal::WalObjectSummary& s : log->objects) wal_index_.Add(s);
    OpenWalWriter(log->next_sequence());
    size_t partitions = 0, batches = 0;
    for (const auto& [tp, recovered] : log->partitions) {
      if (recovered.batches.empty()) continue;
      Result<Target> target = Lookup(tp.first, tp.second);
      if (!target.ok()) {
        return target.status().WithContext("WAL recovery of " + tp.first + "/" +
                                           std::to_string(tp.second));
      }
      SH_RETURN_IF_ERROR(target->leader->Recover(recovered));
      ++partitions;
      batches += recovered.batches.size();
    }
    SH_LOG(INFO) << "WAL recovery: " << log->objects.size() << " object(s), " << batches
                 << " batch(es) replayed into " << partitions << " partition(s); next sequence "
                 << log->next_sequence();
    DeleteCoveredWal();
    return Status::OK();
  }

  // Deletes the WAL objects whose every record is in a sealed segment.
  void DeleteCoveredWal() {
    std::map<PartitionKey, int64_t> ends;
    auto sealed_end = [&](const std::string& topic, int32_t partition) -> int64_t {
      auto [it, inserted] = ends.try_emplace(PartitionKey(topic, partition), INT64_MIN);
      if (inserted) {
        Result<int64_t> end = SealedEnd(topic, partition);
        it->second = end.ok() ? *end : INT64_MIN;  // unknown: keep the object
      }
      return it->second;
    };
    for (const std::string& key : wal::CoveredObjects(wal_index_, sealed_end)) {
      Status deleted = store_.Delete(key);
      if (!deleted.ok() && deleted.code() != ErrorCode::kNotFound) {
        SH_LOG(WARN) << "could not delete WAL object " << key << ": " << deleted.ToString();
        continue;
      }
      wal_index_.Remove(key);
    }
  }

  // After a failed WAL object: once every callback of the failure has run
  // (so every affected partition knows), resume the writer and append the
  // failed entries again, partition by partition, in offset order.
  void RetryFailedWal() {
    if (!wal_) return;
    if (wal_->failed()) {
      if (wal_in_flight_.load() != 0) return;  // callbacks of the failure still running
      wal_->Resume();
    }
    for (const std::shared_ptr<PartitionLeader>& leader : Leaders()) {
      if (leader->needs_reappend()) LogIfError(leader->Reappend(), "WAL re-append");
    }
  }

  Status Maintain(bool force_retention) {
    int64_t now = clock_.NowMs();
    bool retention_due = force_retention || last_retention_ms_ < 0 ||
                         now - last_retention_ms_ >= options_.retention_check_interval_ms;
    if (retention_due) last_retention_ms_ = now;
    Status first;
    auto note = [&first](const Status& s, const char* what) {
      LogIfError(s, what);
      if (first.ok() && !s.ok()) first = s;
    };
    for (const std::shared_ptr<PartitionLeader>& leader : Leaders()) {
      if (leader->retired()) continue;
      note(leader->MaybeRenewLease(), "lease renewal");
      if (leader->fenced()) {
        SH_LOG(WARN) << "lost the lease on " << leader->topic() << "/" << leader->partition();
        Forget(leader);
        continue;
      }
      Result<TopicInfo> info = metadata_.GetTopic(leader->topic());
      if (!info.ok()) {
        if (info.status().code() != ErrorCode::kNotFound) note(info.status(), "topic lookup");
        continue;
      }
      Result<TopicSettings> settings = SettingsFor(*info);
      if (!settings.ok()) {
        note(settings.status(), "topic config");
        continue;
      }
      note(leader->Reconfigure(*settings), "applying topic config");
      note(leader->Roll(options_.flush_ms), "roll");
      leader->MaybeSaveProducerState();
      if (retention_due) note(leader->ApplyRetention(*settings), "retention");
    }
    RetryFailedWal();
    DeleteCoveredWal();
    return first;
  }

  void Loop() {
    std::unique_lock lock(bg_mu_);
    while (!stopping_) {
      lock.unlock();
      (void)Maintain(false);  // errors are logged inside
      lock.lock();
      bg_cv_.wait_for(lock, std::chrono::milliseconds(options_.background_interval_ms),
                      [this] { return stopping_; });
    }
  }

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
};

Result<std::unique_ptr<Broker>> Broker::Open(BrokerOptions options, MetadataStore& metadata,
                                             ObjectStore& store, const Clock& clock) {
  if (options.default_partitions < 1 || options.default_partitions > kMaxPartitions) {
    return Status::InvalidArgument("default_partitions must be 1.." +
                                   std::to_string(kMaxPartitions));
  }
  if (options.lease_ms < 3 || options.background_interval_ms < 1 || options.flush_ms < 0) {
    return Status::InvalidArgument(
        "broker options: lease_ms >= 3, background_interval_ms >= 1 and flush_ms >= 0 required");
  }
  // The defaults must themselves be valid topic configs.
  SH_RETURN_IF_ERROR(
      ResolveTopicSettings(options, TopicConfig{}).status().WithContext("broker defaults"));
  if (options.cluster_mode) {
    SH_RETURN_IF_ERROR(cluster::ValidateLeaseTimings(EffectiveLeaseTimings(options))
                           .WithContext("broker options (cluster mode)"));
  } else if (options.lease_safety_margin_ms < 0) {
    return Status::InvalidArgument("broker options: lease_safety_margin_ms >= 0 required");
  }
  if (options.wal_flush_interval_ms < 0 || options.wal_max_bytes < 1 ||
      options.wal_put_timeout_ms < 1) {
    return Status::InvalidArgument(
        "broker options: wal_flush_interval_ms >= 0, wal_max_bytes >= 1 and "
        "wal_put_timeout_ms >= 1 required");
  }
  auto impl = std::make_unique<Impl>(options, metadata, store, clock);
  SH_RETURN_IF_ERROR(impl->RecoverAndOpenWal());
  return std::unique_ptr<Broker>(new Broker(std::move(options), std::move(impl)));
}

Broker::Broker(BrokerOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}

Broker::~Broker() { LogIfError(Stop(), "broker stop"); }

Status Broker::Start() {
  std::lock_guard lock(impl_->bg_mu_);
  if (impl_->thread_.joinable()) return Status::OK();
  impl_->stopping_ = false;
  impl_->thread_ = std::thread([this] { impl_->Loop(); });
  return Status::OK();
}

Status Broker::Stop() {
  {
    std::lock_guard lock(impl_->bg_mu_);
    impl_->stopping_ = true;
  }
  impl_->bg_cv_.notify_all();
  if (impl_->thread_.joinable()) impl_->thread_.join();
  // Each leader seals its tail and releases its lease (so another agent can
  // take over at once); one whose seal fails stays, with its lease.
  // A failed WAL object's entries get one more try, so that they can be sealed.
  impl_->RetryFailedWal();
  Status first;
  for (const auto& leader : impl_->Leaders()) {
    Status s = leader->Retire(options_.wal_put_timeout_ms + 1000);
    LogIfError(s, "seal at stop");
    if (first.ok() && !s.ok()) first = s;
    if (s.ok()) impl_->Forget(leader);
  }
  // The sealed tails cover the WAL: a restart replays nothing it need not.
  impl_->DeleteCoveredWal();
  return first;
}

Status Broker::RunMaintenance() { return impl_->Maintain(true); }

// ---- cluster mode ----

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

Status Broker::SealFullTails() {
  Status first;
  for (const auto& leader : impl_->Leaders()) {
    if (leader->retired()) continue;
    // With no flush age limit, Roll only seals by size and segment.ms.
    Status s = leader->Roll(std::numeric_limits<int64_t>::max());
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

// ---- topics ----

Result<TopicInfo> Broker::GetTopic(const std::string& name) {
  return impl_->metadata_.GetTopic(name);
}

Result<TopicInfo> Broker::GetOrCreateTopic(const std::string& name) {
  Result<TopicInfo> found = impl_->metadata_.GetTopic(name);
  if (found.ok() || found.status().code() != ErrorCode::kNotFound) return found;
  if (!IsValidTopicName(name)) {
    return Status::InvalidArgument("invalid topic name \"" + name + "\"");
  }
  if (!options_.auto_create_topics) return found;
  Status created = CreateTopic(name, -1, {}, false);
  if (!created.ok() && created.code() != ErrorCode::kAlreadyExists) return created;
  return impl_->metadata_.GetTopic(name);
}

Result<std::vector<TopicInfo>> Broker::ListTopics() { return impl_->metadata_.ListTopics(); }

Status Broker::CreateTopic(const std::string& name, int32_t partitions,
                           const std::map<std::string, std::string>& configs, bool validate_only) {
  if (!IsValidTopicName(name)) {
    return Status::InvalidArgument("invalid topic name \"" + name + "\"");
  }
  if (partitions < 0) partitions = options_.default_partitions;
  if (partitions < 1 || partitions > kMaxPartitions) {
    return Status::InvalidArgument("topic " + name + ": partition count " +
                                   std::to_string(partitions) + " not in 1.." +
                                   std::to_string(kMaxPartitions));
  }
  SH_RETURN_IF_ERROR(ValidateTopicConfig(configs).WithContext("topic " + name));
  if (validate_only) {
    Result<TopicInfo> existing = impl_->metadata_.GetTopic(name);
    if (existing.ok()) return Status::AlreadyExists("topic " + name + " already exists");
    if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
    return Status::OK();
  }
  TopicInfo info;
  info.name = name;
  info.partition_count = partitions;
  info.config_json = EncodeTopicConfig(configs);
  info.created_at_ms = impl_->clock_.NowMs();
  return impl_->metadata_.CreateTopic(info);
}

Status Broker::DeleteTopic(const std::string& name) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  impl_->CloseTopic(name);
  // The segment list goes with the metadata, so read it first.
  std::vector<std::string> keys;
  for (int32_t p = 0; p < info.partition_count; ++p) {
    Result<std::vector<SegmentInfo>> segments = impl_->metadata_.ListSegments(name, p);
    if (!segments.ok()) {
      LogIfError(segments.status(), "listing segments of a deleted topic");
      continue;
    }
    for (const SegmentInfo& s : *segments) keys.push_back(s.object_key);
  }
  SH_RETURN_IF_ERROR(impl_->metadata_.DeleteTopic(name));
  // Also whatever is under the topic's prefix without a row (a seal that
  // uploaded but never registered).
  Result<std::vector<ObjectInfo>> listed = impl_->store_.List("topics/" + name + "/");
  if (listed.ok()) {
    for (const ObjectInfo& o : *listed) keys.push_back(o.key);
  } else {
    LogIfError(listed.status(), "listing objects of a deleted topic");
  }
  for (const std::string& key : keys) {
    impl_->cache_.Erase(key);
    Status deleted = impl_->store_.Delete(key);
    if (!deleted.ok()) {
      SH_LOG(WARN) << "topic " << name << " deleted but not its object " << key << ": "
                   << deleted.ToString();
    }
  }
  return Status::OK();
}

Status Broker::CreatePartitions(const std::string& name, int32_t count, bool validate_only) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  if (count <= info.partition_count) {
    return Status::InvalidArgument("topic " + name + " has " +
                                   std::to_string(info.partition_count) +
                                   " partitions; cannot change to " + std::to_string(count));
  }
  if (count > kMaxPartitions) {
    return Status::InvalidArgument("topic " + name + ": partition count " + std::to_string(count) +
                                   " over " + std::to_string(kMaxPartitions));
  }
  if (validate_only) return Status::OK();
  return impl_->metadata_.AddPartitions(name, count);
}

Result<std::vector<ConfigEntry>> Broker::DescribeTopicConfig(const std::string& name) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  SH_ASSIGN_OR_RETURN(TopicConfig config, ParseTopicConfig(info.config_json));
  return DescribeTopicSettings(options_, config);
}

Status Broker::AlterTopicConfig(const std::string& name,
                                const std::map<std::string, std::string>& set,
                                const std::vector<std::string>& remove, bool incremental,
                                bool validate_only) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  TopicConfig next;
  if (incremental) {
    SH_ASSIGN_OR_RETURN(next, ParseTopicConfig(info.config_json));
    const std::vector<std::string>& known = SupportedTopicConfigNames();
    for (const std::string& r : remove) {
      if (std::find(known.begin(), known.end(), r) == known.end()) {
        return Status::InvalidArgument("topic " + name + ": unknown topic config " + r);
      }
      next.erase(r);
    }
    for (const auto& [k, v] : set) next[k] = v;
  } else {
    next = set;
  }
  // What the caller sends is checked strictly; names already stored by
  // another tool that this broker does not know are left alone.
  SH_RETURN_IF_ERROR(ValidateTopicConfig(set).WithContext("topic " + name));
  SH_RETURN_IF_ERROR(
      ResolveTopicSettings(options_, next, true).status().WithContext("topic " + name));
  if (validate_only) return Status::OK();
  SH_RETURN_IF_ERROR(impl_->metadata_.UpdateTopicConfig(name, EncodeTopicConfig(next)));
  // New segment settings take effect now where the tail can be sealed; the
  // background pass retries the others.
  Result<TopicSettings> settings = ResolveTopicSettings(options_, next, true);
  if (settings.ok()) {
    for (const auto& leader : impl_->Leaders(&name)) {
      LogIfError(leader->Reconfigure(*settings), "applying topic config");
    }
  }
  return Status::OK();
}

// ---- data ----

void Broker::ProduceAsync(const std::string& topic, int32_t partition, ByteView records,
                          ProduceCallback done) {
  Result<Impl::Target> target = impl_->Lookup(topic, partition);
  if (!target.ok()) return done(target.status());
  target->leader->ProduceAsync(records, target->settings, std::move(done));
}

Result<ProduceResult> Broker::Produce(const std::string& topic, int32_t partition,
                                      ByteView records) {
  for (int attempt = 0;; ++attempt) {
    auto promise = std::make_shared<std::promise<Result<ProduceResult>>>();
    std::future<Result<ProduceResult>> future = promise->get_future();
    ProduceAsync(topic, partition, records,
                 [promise](Result<ProduceResult> r) { promise->set_value(std::move(r)); });
    Result<ProduceResult> result = future.get();
    // A leader retired by Stop() meanwhile is replaced by a new one.
    if (result.ok() || result.status().code() != ErrorCode::kUnavailable || attempt == 2 ||
        result.status().message().find("handed back") == std::string::npos) {
      return result;
    }
  }
}

Result<int64_t> Broker::AllocateProducerId() { return impl_->metadata_.AllocateProducerId(); }

Result<FetchResult> Broker::Fetch(const std::string& topic, int32_t partition, int64_t offset,
                                  size_t max_bytes) {
  return impl_->WithLeader(topic, partition,
                           [&](Impl::Target& t) { return t.leader->Fetch(offset, max_bytes); });
}

Result<PartitionOffsets> Broker::Offsets(const std::string& topic, int32_t partition) {
  return impl_->WithLeader(topic, partition, [](Impl::Target& t) { return t.leader->Offsets(); });
}

Result<std::optional<std::pair<int64_t, int64_t>>> Broker::OffsetForTimestamp(
    const std::string& topic, int32_t partition, int64_t timestamp_ms) {
  return impl_->WithLeader(topic, partition, [&](Impl::Target& t) {
    return t.leader->OffsetForTimestamp(timestamp_ms);
  });
}

Result<std::optional<std::pair<int64_t, int64_t>>> Broker::OffsetOfMaxTimestamp(
    const std::string& topic, int32_t partition) {
  return impl_->WithLeader(topic, partition,
                           [](Impl::Target& t) { return t.leader->OffsetOfMaxTimestamp(); });
}

Result<int64_t> Broker::DeleteRecords(const std::string& topic, int32_t partition, int64_t offset) {
  return impl_->WithLeader(topic, partition,
                           [&](Impl::Target& t) { return t.leader->DeleteRecords(offset); });
}

Result<int32_t> Broker::LeaderEpoch(const std::string& topic, int32_t partition) {
  SH_ASSIGN_OR_RETURN(Impl::Target target, impl_->Lookup(topic, partition));
  return static_cast<int32_t>(target.leader->leader_epoch());
}

// ---- long polling ----

uint64_t Broker::AddDataListener(const std::string& topic, int32_t partition,
                                 std::function<void()> fn) {
  std::lock_guard lock(impl_->listeners_mu_);
  uint64_t id = impl_->next_listener_id_++;
  PartitionKey key(topic, partition);
  impl_->by_partition_[key][id] = std::make_shared<std::function<void()>>(std::move(fn));
  impl_->by_id_[id] = key;
  return id;
}

void Broker::RemoveDataListener(uint64_t id) {
  std::lock_guard lock(impl_->listeners_mu_);
  auto it = impl_->by_id_.find(id);
  if (it == impl_->by_id_.end()) return;
  auto p = impl_->by_partition_.find(it->second);
  if (p != impl_->by_partition_.end()) {
    p->second.erase(id);
    if (p->second.empty()) impl_->by_partition_.erase(p);
  }
  impl_->by_id_.erase(it);
}

}  // namespace sh::broker
