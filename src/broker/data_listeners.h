// DataListeners: who waits for a partition's high watermark to move (long
// polling: Fetch with max_wait_ms, src/kafka/server). Broker::AddDataListener
// registers, the leaders' WAL callbacks Notify(). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace sh::broker {

class DataListeners {
 public:
  // fn runs on the thread that calls Notify (it must not block). Returns an
  // id for Remove.
  uint64_t Add(const std::string& topic, int32_t partition, std::function<void()> fn);
  // Unknown ids are ignored.
  void Remove(uint64_t id);
  // Calls every listener of the partition, outside the lock (a listener may
  // add or remove listeners).
  void Notify(const std::string& topic, int32_t partition);

 private:
  using Key = std::pair<std::string, int32_t>;
  std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<Key, std::map<uint64_t, std::shared_ptr<std::function<void()>>>> by_partition_;
  std::map<uint64_t, Key> by_id_;
};

}  // namespace sh::broker
