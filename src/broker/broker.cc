#include "broker/broker.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "base/log.h"
#include "broker/broker_impl.h"
#include "broker/partition_leader.h"
#include "broker/topic_settings.h"
#include "metadata/topic_config.h"
#include "storage/segment_cache.h"
#include "wal/wal_index.h"
#include "wal/wal_recovery.h"
#include "wal/wal_writer.h"

namespace sh::broker {
namespace {

// More partitions than a single agent could sensibly lead; also keeps a
// malformed CreateTopics from asking the metadata store for billions of rows.
constexpr int32_t kMaxPartitions = 10'000;

}  // namespace

Status Broker::Impl::RecoverAndOpenWal() {
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
    // Gone before new objects follow it: after another crash it would be a
    // torn object in the middle, which recovery must refuse. (Only a store
    // whose writes are not atomic leaves one: a process killed mid-Put.)
    LogIfError(store_.Delete(*log->discarded_key), "deleting the torn WAL object");
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

void Broker::Impl::DeleteCoveredWal() {
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

void Broker::Impl::RetryFailedWal() {
  if (!wal_) return;
  if (wal_->failed()) {
    if (wal_in_flight_.load() != 0) return;  // callbacks of the failure still running
    wal_->Resume();
  }
  for (const std::shared_ptr<PartitionLeader>& leader : Leaders()) {
    if (leader->needs_reappend()) LogIfError(leader->Reappend(), "WAL re-append");
  }
}

Status Broker::Impl::Maintain(bool force_retention) {
  int64_t now = clock_.NowMs();
  bool retention_due = force_retention || last_retention_ms_ < 0 ||
                       now - last_retention_ms_ >= options_.retention_check_interval_ms;
  if (retention_due) last_retention_ms_ = now;
  Status first;
  auto note = [&first](const Status& s, const char* what) {
    LogIfError(s, what);
    if (first.ok() && !s.ok()) first = s;
  };
  if (retention_due && !options_.cluster_mode) note(OpenForRetention(), "retention");
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

// Retention applies to every partition of the log, not only to those read or
// written since the agent started: in embedded mode this agent owns them all,
// so each partition of a topic with a time or size limit is opened (once;
// it stays open) when it has segments. In cluster mode the leases decide and
// every partition is open on the agent that leads it.
Status Broker::Impl::OpenForRetention() {
  SH_ASSIGN_OR_RETURN(std::vector<TopicInfo> topics, metadata_.ListTopics());
  Status first;
  for (const TopicInfo& info : topics) {
    Result<TopicSettings> settings = SettingsFor(info);
    if (!settings.ok()) continue;  // the loop in Maintain reports bad configs of open ones
    if (!settings->retention_enabled ||
        (settings->retention_ms < 0 && settings->retention_bytes < 0)) {
      continue;
    }
    for (int32_t p = 0; p < info.partition_count; ++p) {
      {
        std::shared_ptr<Slot> slot = SlotFor(PartitionKey(info.name, p));
        std::lock_guard lock(slot->mu);
        if (LiveLeader(slot->leader)) continue;
      }
      Result<std::vector<SegmentInfo>> segments = metadata_.ListSegments(info.name, p);
      Status opened = !segments.ok()      ? segments.status()
                      : segments->empty() ? Status::OK()
                                          : LeaderFor(info.name, p, *settings).status();
      // A topic deleted meanwhile has nothing left to trim.
      if (!opened.ok() && opened.code() != ErrorCode::kNotFound && first.ok()) first = opened;
    }
  }
  return first;
}

void Broker::Impl::Loop() {
  std::unique_lock lock(bg_mu_);
  while (!stopping_) {
    lock.unlock();
    (void)Maintain(false);  // errors are logged inside
    lock.lock();
    bg_cv_.wait_for(lock, std::chrono::milliseconds(options_.background_interval_ms),
                    [this] { return stopping_; });
  }
}

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
