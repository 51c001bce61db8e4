#include "broker/broker.h"

#include <future>
#include <memory>
#include <utility>

#include "base/log.h"
#include "broker/broker_impl.h"
#include "broker/topic_settings.h"
#include "metadata/topic_config.h"

namespace sh::broker {

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
  impl_->loop_.Start([impl = impl_.get()] { (void)impl->Maintain(false); },  // errors are logged
                     options_.background_interval_ms);
  return Status::OK();
}

Status Broker::Stop() {
  impl_->loop_.Stop();
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
  impl_->wal_.DeleteCovered();
  return first;
}

template <typename Fn>
auto Broker::Impl::WithLeader(const std::string& topic, int32_t partition, Fn fn)
    -> decltype(fn(std::declval<Target&>())) {
  for (int attempt = 0;; ++attempt) {
    SH_ASSIGN_OR_RETURN(Target target, Lookup(topic, partition));
    auto result = fn(target);
    if (result.ok() || !target.leader->retired() || attempt == 2) return result;
  }
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
        result.status().subcode() != SubCode::kLeadershipHandedBack) {
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
  return impl_->listeners_.Add(topic, partition, std::move(fn));
}

void Broker::RemoveDataListener(uint64_t id) { impl_->listeners_.Remove(id); }

}  // namespace sh::broker
