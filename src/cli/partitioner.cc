#include "cli/partitioner.h"

namespace sh::cli {

int32_t Murmur2(std::string_view data) {
  const uint32_t seed = 0x9747b28c;
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const size_t length = data.size();
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t length4 = length / 4;
  for (size_t i = 0; i < length4; ++i) {
    size_t i4 = i * 4;
    uint32_t k = uint32_t{p[i4]} | (uint32_t{p[i4 + 1]} << 8) | (uint32_t{p[i4 + 2]} << 16) |
                 (uint32_t{p[i4 + 3]} << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  size_t tail = length & ~size_t{3};
  switch (length % 4) {
    case 3: h ^= uint32_t{p[tail + 2]} << 16; [[fallthrough]];
    case 2: h ^= uint32_t{p[tail + 1]} << 8; [[fallthrough]];
    case 1:
      h ^= uint32_t{p[tail]};
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t PartitionForKey(std::string_view key, int32_t partition_count) {
  // Kafka's toPositive: clear the sign bit (not abs, which overflows on INT_MIN).
  int32_t positive = Murmur2(key) & 0x7fffffff;
  return positive % partition_count;
}

}  // namespace sh::cli
