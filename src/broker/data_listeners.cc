#include "broker/data_listeners.h"

#include <vector>

namespace sh::broker {

uint64_t DataListeners::Add(const std::string& topic, int32_t partition, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  Key key(topic, partition);
  by_partition_[key][id] = std::make_shared<std::function<void()>>(std::move(fn));
  by_id_[id] = key;
  return id;
}

void DataListeners::Remove(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  auto p = by_partition_.find(it->second);
  if (p != by_partition_.end()) {
    p->second.erase(id);
    if (p->second.empty()) by_partition_.erase(p);
  }
  by_id_.erase(it);
}

void DataListeners::Notify(const std::string& topic, int32_t partition) {
  std::vector<std::shared_ptr<std::function<void()>>> fns;
  {
    std::lock_guard lock(mu_);
    auto it = by_partition_.find(Key(topic, partition));
    if (it == by_partition_.end()) return;
    for (auto& [id, fn] : it->second) fns.push_back(fn);
  }
  for (auto& fn : fns) (*fn)();
}

}  // namespace sh::broker
