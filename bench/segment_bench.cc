// Segment write and read throughput, next to raw LZ4 over the same bytes.
//
//   segment_bench [--benchmark_filter=...]
//
// Arguments of each benchmark: {record size in bytes, codec (0 none, 1 lz4,
// 2 zstd)}. Bytes/s counts raw batch bytes (before block compression);
// "records/s" counts records; "ratio" is raw bytes / object bytes.
#include <benchmark/benchmark.h>
#include <lz4.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "records/record_batch.h"
#include "storage/segment_builder.h"
#include "storage/segment_reader.h"

namespace sh::storage {
namespace {

constexpr size_t kSegmentRawBytes = 8 << 20;  // per iteration
constexpr size_t kBatchBytes = 16 << 10;      // producer batch size

struct Workload {
  std::vector<Bytes> batches;
  Bytes concatenated;
  uint64_t records = 0;
};

// JSON-ish text with random numbers and ids: compresses roughly 2-4x, like
// typical event payloads. Fixed seed, so every run sees the same bytes.
std::string MakeValue(std::mt19937_64& rng, size_t size) {
  static const char* kEvents[] = {"click", "view", "purchase", "signup", "logout"};
  std::string v = R"({"user_id":)" + std::to_string(rng() % 1000000) + R"(,"event":")" +
                  kEvents[rng() % 5] + R"(","amount":)" + std::to_string(rng() % 100000 / 100.0) +
                  R"(,"session":")" + std::to_string(rng()) + R"(","tags":[)";
  while (v.size() + 16 < size) {
    v += R"("t)" + std::to_string(rng() % 500) + R"(",)";
  }
  v += R"("end"]})";
  v.resize(size, ' ');
  return v;
}

const Workload& GetWorkload(size_t record_size) {
  static std::map<size_t, Workload> cache;
  auto it = cache.find(record_size);
  if (it != cache.end()) return it->second;
  Workload w;
  std::mt19937_64 rng(42);
  int64_t offset = 0;
  int64_t ts = 1700000000000;
  size_t per_batch = std::max<size_t>(1, kBatchBytes / record_size);
  while (w.concatenated.size() < kSegmentRawBytes) {
    records::BatchBuilder b({.base_offset = offset});
    for (size_t i = 0; i < per_batch; ++i) {
      b.Add("key-" + std::to_string(rng() % 10000), MakeValue(rng, record_size), ts++);
    }
    Bytes batch = std::move(b.Build()).value();
    offset += static_cast<int64_t>(per_batch);
    w.records += per_batch;
    w.concatenated.insert(w.concatenated.end(), batch.begin(), batch.end());
    w.batches.push_back(std::move(batch));
  }
  return cache.emplace(record_size, std::move(w)).first->second;
}

Bytes BuildObject(const Workload& w, BlockCodec codec) {
  SegmentBuilder builder(0, codec);
  builder.Reserve(w.concatenated.size());  // as the seal path does
  for (const Bytes& b : w.batches) {
    if (!builder.Add(b).ok()) std::abort();
  }
  return std::move(builder.Finish()).value();
}

void SetCounters(benchmark::State& state, const Workload& w) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.concatenated.size()));
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * w.records), benchmark::Counter::kIsRate);
}

void BM_SegmentWrite(benchmark::State& state) {
  const Workload& w = GetWorkload(static_cast<size_t>(state.range(0)));
  auto codec = static_cast<BlockCodec>(state.range(1));
  size_t object_size = 0;
  for (auto _ : state) {
    Bytes object = BuildObject(w, codec);
    object_size = object.size();
    benchmark::DoNotOptimize(object.data());
  }
  SetCounters(state, w);
  state.counters["ratio"] = static_cast<double>(w.concatenated.size()) / object_size;
  state.SetLabel(BlockCodecName(codec));
}

void BM_SegmentRead(benchmark::State& state) {
  const Workload& w = GetWorkload(static_cast<size_t>(state.range(0)));
  auto codec = static_cast<BlockCodec>(state.range(1));
  Bytes object = BuildObject(w, codec);
  for (auto _ : state) {
    auto reader = SegmentReader::OpenBytes("bench", object);
    if (!reader.ok()) std::abort();
    for (size_t i = 0; i < (*reader)->blocks().size(); ++i) {
      auto [pos, len] = (*reader)->BlockRange(i);
      auto block = (*reader)->DecodeBlock(i, ByteView(object).subspan(pos, len));
      if (!block.ok()) std::abort();
      benchmark::DoNotOptimize(block->data());
    }
  }
  SetCounters(state, w);
  state.SetLabel(BlockCodecName(codec));
}

// Raw LZ4 over the same bytes in the same 1 MiB chunks: the floor under the
// segment's lz4 numbers (the rest is CRC, copies and header checks).
void BM_Lz4Compress(benchmark::State& state) {
  const Workload& w = GetWorkload(static_cast<size_t>(state.range(0)));
  const Bytes& in = w.concatenated;
  std::vector<char> out(LZ4_compressBound(static_cast<int>(kDefaultBlockBytes)));
  for (auto _ : state) {
    for (size_t pos = 0; pos < in.size(); pos += kDefaultBlockBytes) {
      int n = static_cast<int>(std::min(kDefaultBlockBytes, in.size() - pos));
      int c = LZ4_compress_default(reinterpret_cast<const char*>(in.data() + pos), out.data(), n,
                                   static_cast<int>(out.size()));
      benchmark::DoNotOptimize(c);
    }
  }
  SetCounters(state, w);
}

void BM_Lz4Decompress(benchmark::State& state) {
  const Workload& w = GetWorkload(static_cast<size_t>(state.range(0)));
  const Bytes& in = w.concatenated;
  std::vector<std::vector<char>> chunks;
  std::vector<int> raw_sizes;
  for (size_t pos = 0; pos < in.size(); pos += kDefaultBlockBytes) {
    int n = static_cast<int>(std::min(kDefaultBlockBytes, in.size() - pos));
    std::vector<char> c(LZ4_compressBound(n));
    int len = LZ4_compress_default(reinterpret_cast<const char*>(in.data() + pos), c.data(), n,
                                   static_cast<int>(c.size()));
    c.resize(static_cast<size_t>(len));
    chunks.push_back(std::move(c));
    raw_sizes.push_back(n);
  }
  std::vector<char> out(kDefaultBlockBytes);
  for (auto _ : state) {
    for (size_t i = 0; i < chunks.size(); ++i) {
      int n = LZ4_decompress_safe(chunks[i].data(), out.data(), static_cast<int>(chunks[i].size()),
                                  raw_sizes[i]);
      if (n != raw_sizes[i]) std::abort();
    }
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, w);
}

void CodecArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"record_bytes", "codec"});
  for (int64_t size : {1024, 100}) {
    for (int64_t codec : {0, 1, 2}) b->Args({size, codec});
  }
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_SegmentWrite)->Apply(CodecArgs);
BENCHMARK(BM_SegmentRead)->Apply(CodecArgs);
BENCHMARK(BM_Lz4Compress)
    ->ArgName("record_bytes")
    ->Arg(1024)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Lz4Decompress)
    ->ArgName("record_bytes")
    ->Arg(1024)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sh::storage

BENCHMARK_MAIN();
