// SegmentIndex::Find over 10,000 segments, warm (no metadata query).
//   build/bin/segment_index_bench
#include <benchmark/benchmark.h>

#include <random>

#include "base/clock.h"
#include "metadata/sqlite_metadata_store.h"
#include "storage/segment_index.h"

namespace sh::storage {
namespace {

constexpr int kSegments = 10'000;
constexpr int64_t kRecordsPerSegment = 1000;

struct Fixture {
  Fixture() {
    store = SqliteMetadataStore::Open(":memory:").value();
    SH_CHECK(store->CreateTopic({"bench", 1, "{}", 0}).ok());
    for (int i = 0; i < kSegments; ++i) {
      SegmentInfo s;
      s.topic = "bench";
      s.base_offset = i * kRecordsPerSegment;
      s.end_offset = s.base_offset + kRecordsPerSegment;
      s.record_count = kRecordsPerSegment;
      s.object_key = "k" + std::to_string(i);
      SH_CHECK(store->RegisterSegment(s, 0).ok());
    }
    index = std::make_unique<SegmentIndex>("bench", 0, *store, *SystemClock::Get());
    SH_CHECK(index->Find(0).ok());
  }
  std::unique_ptr<SqliteMetadataStore> store;
  std::unique_ptr<SegmentIndex> index;
};

Fixture& GetFixture() {
  static Fixture fixture;
  return fixture;
}

void BM_SegmentIndexFindRandom(benchmark::State& state) {
  SegmentIndex& index = *GetFixture().index;
  std::mt19937_64 rng(42);
  std::vector<int64_t> offsets(4096);
  for (int64_t& o : offsets) o = static_cast<int64_t>(rng() % (kSegments * kRecordsPerSegment));
  size_t i = 0;
  for (auto _ : state) {
    auto s = index.Find(offsets[i++ & 4095]);
    benchmark::DoNotOptimize(s);
  }
  state.counters["segments"] = kSegments;
  state.counters["metadata_queries"] = static_cast<double>(index.metadata_queries());
}
BENCHMARK(BM_SegmentIndexFindRandom);

void BM_SegmentIndexFindTail(benchmark::State& state) {
  // Consumers near the end of the log: always the newest segment.
  SegmentIndex& index = *GetFixture().index;
  int64_t offset = kSegments * kRecordsPerSegment - 10;
  for (auto _ : state) {
    auto s = index.Find(offset);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_SegmentIndexFindTail);

}  // namespace
}  // namespace sh::storage

BENCHMARK_MAIN();
