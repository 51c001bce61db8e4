#include "wal/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sh::wal {

// Values below 8 get a bucket each; above, bucket = 8 * (log2 - 2) + the next
// three bits below the leading one.
int LatencyHistogram::BucketOf(uint64_t v) {
  if (v < kSubBuckets) return static_cast<int>(v);
  int log2 = 63 - std::countl_zero(v);
  int sub = static_cast<int>((v >> (log2 - 3)) & (kSubBuckets - 1));
  return std::min(kBuckets - 1, (log2 - 2) * kSubBuckets + sub);
}

int64_t LatencyHistogram::UpperBound(int bucket) {
  if (bucket < kSubBuckets) return bucket;
  int log2 = bucket / kSubBuckets + 2;
  int sub = bucket % kSubBuckets;
  if (log2 >= 62) return INT64_MAX;
  uint64_t low = (uint64_t{1} << log2) + (static_cast<uint64_t>(sub) << (log2 - 3));
  return static_cast<int64_t>(low + (uint64_t{1} << (log2 - 3)) - 1);
}

void LatencyHistogram::Record(int64_t micros) {
  uint64_t v = micros < 0 ? 0 : static_cast<uint64_t>(micros);
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[BucketOf(v)];
  ++total_;
  max_ = std::max(max_, static_cast<int64_t>(v));
}

int64_t LatencyHistogram::Percentile(double p) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
  rank = std::clamp<uint64_t>(rank, 1, total_);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) return std::min(UpperBound(b), max_);
  }
  return max_;
}

uint64_t LatencyHistogram::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

int64_t LatencyHistogram::max() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_;
}

}  // namespace sh::wal
