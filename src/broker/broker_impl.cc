// Broker::Impl's partition slots: which leader serves a partition, opening
// one on first use (embedded mode) or only what Lead() installed (cluster
// mode), and forgetting it once it lost its lease, retired or its topic went.
#include "broker/broker_impl.h"

#include <chrono>

namespace sh::broker {

Result<TopicSettings> Broker::Impl::PartitionSettings(const std::string& topic, int32_t partition) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, metadata_.GetTopic(topic));
  if (partition < 0 || partition >= info.partition_count) {
    return Status::NotFound("partition " + std::to_string(partition) + " of topic " + topic +
                            " does not exist (" + std::to_string(info.partition_count) +
                            " partitions)");
  }
  return SettingsFor(info);
}

Result<Broker::Impl::Target> Broker::Impl::Lookup(const std::string& topic, int32_t partition) {
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

bool Broker::Impl::AwaitTakeover(const PartitionKey& key) {
  std::unique_lock lock(takeover_mu_);
  if (taking_over_.count(key) == 0) return false;
  if (options_.test_hooks.on_takeover_wait) options_.test_hooks.on_takeover_wait(key.first, key.second);
  takeover_cv_.wait_for(lock, std::chrono::milliseconds(options_.lease_ms / 2),
                        [&] { return taking_over_.count(key) == 0; });
  return true;
}

void Broker::Impl::TakingOver(const PartitionKey& key, bool on) {
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

std::shared_ptr<PartitionLeader> Broker::Impl::LedLeader(const std::string& topic,
                                                         int32_t partition) {
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

Result<TopicSettings> Broker::Impl::SettingsFor(const TopicInfo& info) {
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

Result<std::shared_ptr<PartitionLeader>> Broker::Impl::LeaderFor(const std::string& topic,
                                                                 int32_t partition,
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

std::shared_ptr<Broker::Impl::Slot> Broker::Impl::SlotFor(const PartitionKey& key) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Slot>& s = slots_[key];
  if (!s) s = std::make_shared<Slot>();
  return s;
}

std::vector<std::shared_ptr<PartitionLeader>> Broker::Impl::Leaders(const std::string* topic) {
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

void Broker::Impl::Forget(const std::shared_ptr<PartitionLeader>& leader) {
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

void Broker::Impl::CloseTopic(const std::string& topic) {
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

WalContext Broker::Impl::WalFor() {
  return wal_.Context(
      [this](const std::string& topic, int32_t partition) { listeners_.Notify(topic, partition); });
}

}  // namespace sh::broker
