// CRC-32C throughput: the SSE4.2 path and the portable slicing-by-8 path.
// Every block and every batch is checked with it, so it bounds read speed.
#include <benchmark/benchmark.h>

#include <random>

#include "base/crc32c.h"

namespace sh {
namespace {

Bytes RandomBuffer(size_t n) {
  std::mt19937_64 rng(1);
  Bytes b(n);
  for (auto& c : b) c = static_cast<uint8_t>(rng());
  return b;
}

template <uint32_t (*Extend)(uint32_t, const uint8_t*, size_t)>
void BM_Crc32c(benchmark::State& state) {
  Bytes buf = RandomBuffer(static_cast<size_t>(state.range(0)));
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = Extend(crc, buf.data(), buf.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}

void BM_Crc32cHardware(benchmark::State& state) {
  if (!crc32c::HardwareAvailable()) {
    state.SkipWithError("no SSE4.2 crc32 instruction on this CPU");
    return;
  }
  BM_Crc32c<crc32c::ExtendHardware>(state);
}

BENCHMARK(BM_Crc32cHardware)->Arg(4 << 10)->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_Crc32c, crc32c::ExtendPortable)
    ->Name("BM_Crc32cPortable")
    ->Arg(4 << 10)
    ->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_Crc32c, crc32c::Extend)
    ->Name("BM_Crc32cDispatch")
    ->Arg(4 << 10)
    ->Arg(1 << 20);

}  // namespace
}  // namespace sh

BENCHMARK_MAIN();
