#include "broker/wal_sweep.h"

#include <sstream>
#include <utility>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/broker_impl.h"
#include "wal/wal_reader.h"
#include "wal/wal_replay.h"

namespace sh::broker {

namespace {

void KeepFirst(Status* first, const Status& st) {
  if (first->ok() && !st.ok()) *first = st;
}

// Reads the objects of one departed agent that the cache does not know yet.
// Returns the summaries of the agent's objects that parsed, by sequence.
std::vector<wal::WalObjectSummary> Summaries(ObjectStore& store, const std::string& agent,
                                             const std::vector<wal::WalObjectInfo>& objects,
                                             WalSweepCache& cache, Status* first_error) {
  std::vector<wal::WalObjectSummary> out;
  for (const wal::WalObjectInfo& info : objects) {
    if (cache.damaged.count(info.key)) continue;
    auto known = cache.summaries.find(info.key);
    if (known != cache.summaries.end()) {
      out.push_back(known->second);
      continue;
    }
    Result<Bytes> bytes = store.Get(info.key);
    if (!bytes.ok()) {
      // Gone since the listing: someone else deleted it; nothing to do.
      if (bytes.status().code() != ErrorCode::kNotFound) {
        KeepFirst(first_error, bytes.status().WithContext("WAL sweep: get " + info.key));
      }
      continue;
    }
    wal::WalDamage damage = wal::WalDamage::kNone;
    Result<wal::WalObject> parsed = wal::ParseWalObject(info.key, *bytes, &damage);
    if (!parsed.ok()) {
      // Never a reason to stop: the object stays, and so does the evidence.
      SH_LOG(WARN) << "WAL sweep: keeping " << wal::WalDamageName(damage) << " WAL object "
                   << info.key << " of departed agent " << agent << ": "
                   << parsed.status().ToString();
      cache.damaged.insert(info.key);
      continue;
    }
    wal::WalObjectSummary summary = wal::SummarizeObject(info, *parsed);
    cache.summaries[info.key] = summary;
    out.push_back(std::move(summary));
  }
  return out;
}

// Drops what the cache holds about keys no longer listed.
void Prune(WalSweepCache& cache,
           const std::map<std::string, std::vector<wal::WalObjectInfo>>& listed) {
  std::set<std::string> keys;
  for (const auto& [agent, objects] : listed) {
    for (const wal::WalObjectInfo& info : objects) keys.insert(info.key);
  }
  std::erase_if(cache.summaries, [&](const auto& entry) { return !keys.count(entry.first); });
  std::erase_if(cache.damaged, [&](const std::string& key) { return !keys.count(key); });
}

}  // namespace

WalSweepResult SweepDepartedWal(ObjectStore& store, const std::string& self,
                                const std::set<std::string>& live,
                                const SealedEndLookup& sealed_end, WalSweepCache& cache) {
  std::lock_guard lock(cache.mu);
  WalSweepResult result;
  Result<std::map<std::string, std::vector<wal::WalObjectInfo>>> listed = wal::ListAllWal(store);
  if (!listed.ok()) {
    result.first_error = listed.status().WithContext("WAL sweep: list wal/");
    return result;
  }
  Prune(cache, *listed);
  // Sealed ends asked once per sweep; unknown (error) keeps the object.
  std::map<wal::TopicPartition, int64_t> ends;
  auto end_of = [&](const std::string& topic, int32_t partition) -> int64_t {
    auto [it, inserted] = ends.try_emplace(wal::TopicPartition(topic, partition), INT64_MIN);
    if (inserted) {
      Result<int64_t> end = sealed_end(topic, partition);
      if (end.ok()) {
        it->second = *end;
      } else {
        KeepFirst(&result.first_error,
                  end.status().WithContext("WAL sweep: sealed end of " + topic + "/" +
                                           std::to_string(partition)));
      }
    }
    return it->second;
  };
  for (const auto& [agent, objects] : *listed) {
    if (agent == self || live.count(agent)) continue;
    std::vector<wal::WalObjectSummary> summaries =
        Summaries(store, agent, objects, cache, &result.first_error);
    // Objects left out (damaged, unreadable) are kept. The newest listed
    // object stays as the agent's sequence marker, also when it is one of
    // those (typically the torn last object of an agent killed mid-write):
    // then every readable object before it may go once covered.
    const uint64_t newest = objects.empty() ? 0 : objects.back().sequence;
    for (const std::string& key : wal::CoveredObjects(summaries, end_of, newest)) {
      Status deleted = store.Delete(key);
      if (!deleted.ok() && deleted.code() != ErrorCode::kNotFound) {
        KeepFirst(&result.first_error, deleted.WithContext("WAL sweep: delete " + key));
        continue;
      }
      cache.summaries.erase(key);
      result.deleted.push_back(key);
      result.agents.insert(agent);
    }
  }
  return result;
}

// Several sweepers at once (a stale view of who sorts first) are harmless:
// deleting a covered object twice is fine (NotFound counts as deleted).
Status Broker::SweepDepartedWal(const std::set<std::string>& live_agents) {
  std::shared_ptr<WalSweepCache> cache;
  {
    std::lock_guard lock(impl_->mu_);
    if (!impl_->wal_sweep_cache_) impl_->wal_sweep_cache_ = std::make_shared<WalSweepCache>();
    cache = impl_->wal_sweep_cache_;
  }
  Impl* impl = impl_.get();
  SealedEndLookup sealed_end = [impl](const std::string& topic, int32_t partition) {
    return impl->wal_.SealedEnd(topic, partition);
  };
  WalSweepResult r =
      broker::SweepDepartedWal(impl_->store_, options_.agent_id, live_agents, sealed_end, *cache);
  if (!r.deleted.empty()) {
    std::ostringstream agents;
    for (const std::string& a : r.agents) agents << (agents.tellp() > 0 ? ", " : "") << a;
    SH_LOG(INFO) << "WAL sweep: deleted " << r.deleted.size() << " object(s) of departed agent(s) "
                 << agents.str();
  }
  return r.first_error;
}

}  // namespace sh::broker
