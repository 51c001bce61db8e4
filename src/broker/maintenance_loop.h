// MaintenanceLoop: the broker's background thread (docs/broker.md). Every
// interval it runs one maintenance pass (Broker::Impl::Maintain, in
// maintenance_loop.cc: rolls, seals of old tails, topic config changes,
// retention, lease renewal, WAL retry and deletion). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace sh::broker {

class MaintenanceLoop {
 public:
  ~MaintenanceLoop() { Stop(); }

  // Starts the thread, which calls pass() at once and then every
  // interval_ms until Stop(). A no-op while running.
  void Start(std::function<void()> pass, int64_t interval_ms);
  // Wakes the thread and joins it (a pass under way finishes first). Idempotent.
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sh::broker
