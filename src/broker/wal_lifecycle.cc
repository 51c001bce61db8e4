#include "broker/wal_lifecycle.h"

#include <map>
#include <utility>
#include <vector>

#include "base/log.h"
#include "broker/broker_impl.h"
#include "wal/wal_reader.h"

namespace sh::broker {

Result<int64_t> WalLifecycle::SealedEnd(const std::string& topic, int32_t partition) {
  Result<PartitionInfo> info = metadata_.GetPartition(topic, partition);
  if (!info.ok()) {
    if (info.status().code() == ErrorCode::kNotFound) return INT64_MAX;
    return info.status();
  }
  return info->high_watermark;
}

void WalLifecycle::OpenWriter(uint64_t first_sequence) {
  wal::WalWriterOptions wo;
  wo.flush_interval_ms = options_.wal_flush_interval_ms;
  wo.max_bytes = options_.wal_max_bytes;
  wo.put_timeout_ms = options_.wal_put_timeout_ms;
  wo.first_sequence = first_sequence;
  wo.index = &index_;
  writer_ = std::make_unique<wal::WalWriter>(store_, options_.agent_id, clock_, wo);
}

WalContext WalLifecycle::Context(std::function<void(const std::string&, int32_t)> notify) {
  WalContext c;
  c.wal = writer_.get();
  c.in_flight = &in_flight_;
  c.notify = std::move(notify);
  return c;
}

Result<wal::RecoveredLog> WalLifecycle::RecoverOwn() {
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
  for (const wal::WalObjectSummary& s : log->objects) index_.Add(s);
  OpenWriter(log->next_sequence());
  return log;
}

// The last object of this agent's previous run, if its Put was cut off by a
// crash (a store whose writes are not atomic keeps such a prefix): nothing in
// it was acknowledged, and once newer objects follow it, every takeover would
// have to refuse it as a torn object in the middle.
void WalLifecycle::DeleteIfTorn(const std::string& key) {
  Result<Bytes> bytes = store_.Get(key);
  if (!bytes.ok()) return;  // gone already, or unreadable: takeover will say
  wal::WalDamage damage = wal::WalDamage::kNone;
  if (wal::ParseWalObject(key, *bytes, &damage).ok() || damage != wal::WalDamage::kTorn) return;
  SH_LOG(WARN) << "deleting this agent's torn final WAL object " << key
               << " (its write was never acknowledged)";
  LogIfError(store_.Delete(key), "deleting the torn WAL object");
}

Status WalLifecycle::OpenCluster() {
  Result<std::vector<wal::WalObjectInfo>> own = wal::ListWal(store_, options_.agent_id);
  if (!own.ok()) return own.status().WithContext("listing the WAL of agent " + options_.agent_id);
  if (!own->empty()) DeleteIfTorn(own->back().key);
  OpenWriter(own->empty() ? 0 : own->back().sequence + 1);
  return Status::OK();
}

void WalLifecycle::DeleteCovered() {
  std::map<PartitionKey, int64_t> ends;
  auto sealed_end = [&](const std::string& topic, int32_t partition) -> int64_t {
    auto [it, inserted] = ends.try_emplace(PartitionKey(topic, partition), INT64_MIN);
    if (inserted) {
      Result<int64_t> end = SealedEnd(topic, partition);
      it->second = end.ok() ? *end : INT64_MIN;  // unknown: keep the object
    }
    return it->second;
  };
  for (const std::string& key : wal::CoveredObjects(index_, sealed_end)) {
    Status deleted = store_.Delete(key);
    if (!deleted.ok() && deleted.code() != ErrorCode::kNotFound) {
      SH_LOG(WARN) << "could not delete WAL object " << key << ": " << deleted.ToString();
      continue;
    }
    index_.Remove(key);
  }
}

bool WalLifecycle::ResumeIfFailed() {
  if (!writer_) return false;
  if (writer_->failed()) {
    if (in_flight_.load() != 0) return false;  // callbacks of the failure still running
    writer_->Resume();
  }
  return true;
}

// ---- Broker::Impl: the WAL and the leaders ----

Status Broker::Impl::RecoverAndOpenWal() {
  if (options_.cluster_mode) return wal_.OpenCluster();
  SH_ASSIGN_OR_RETURN(wal::RecoveredLog log, wal_.RecoverOwn());
  size_t partitions = 0, batches = 0;
  for (const auto& [tp, recovered] : log.partitions) {
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
  SH_LOG(INFO) << "WAL recovery: " << log.objects.size() << " object(s), " << batches
               << " batch(es) replayed into " << partitions << " partition(s); next sequence "
               << log.next_sequence();
  wal_.DeleteCovered();
  return Status::OK();
}

void Broker::Impl::RetryFailedWal() {
  if (!wal_.ResumeIfFailed()) return;
  for (const std::shared_ptr<PartitionLeader>& leader : Leaders()) {
    if (leader->needs_reappend()) LogIfError(leader->Reappend(), "WAL re-append");
  }
}

}  // namespace sh::broker
