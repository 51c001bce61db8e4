// LatencyHistogram: microsecond latencies in log-linear buckets (8 per power
// of two, so a percentile is within 12.5% of the truth). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>

namespace sh::wal {

class LatencyHistogram {
 public:
  void Record(int64_t micros);
  // The upper bound of the bucket holding the p-th percentile (0 < p <= 100);
  // 0 if nothing was recorded.
  int64_t Percentile(double p) const;
  int64_t p50() const { return Percentile(50); }
  int64_t p99() const { return Percentile(99); }
  uint64_t count() const;
  int64_t max() const;

 private:
  static constexpr int kSubBuckets = 8;
  static constexpr int kBuckets = 64 * kSubBuckets;
  static int BucketOf(uint64_t v);
  static int64_t UpperBound(int bucket);

  mutable std::mutex mu_;
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  int64_t max_ = 0;
};

}  // namespace sh::wal
