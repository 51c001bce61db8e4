// Time, behind an interface so tests can move it by hand.
#pragma once

#include <atomic>
#include <cstdint>

namespace sh {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (record timestamps, leases).
  virtual int64_t NowMs() const = 0;
  // Monotonic microseconds from an arbitrary origin (TTLs, latencies).
  virtual int64_t MonotonicMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t MonotonicMicros() const override;
  // The process-wide instance; never destroyed.
  static SystemClock* Get();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : micros_(now_ms * 1000) {}
  int64_t NowMs() const override { return micros_.load() / 1000; }
  int64_t MonotonicMicros() const override { return micros_.load(); }
  void AdvanceMs(int64_t ms) { micros_ += ms * 1000; }
  void AdvanceMicros(int64_t us) { micros_ += us; }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace sh
