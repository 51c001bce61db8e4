// WAL group-commit latency and throughput on a LocalObjectStore (write,
// fsync, rename, fsync of the directory for every object) in a temp dir.
//
//   wal_bench [--benchmark_filter=...]
//
// Argument: the number of concurrent appenders. Each appender owns one
// partition and appends 1 KiB batches in a closed loop (the next append
// after the previous one is durable), as an acks=all producer with one
// request in flight would. Counters: append latency p50/p99 (from Append to
// its callback, microseconds), entries per WAL object, appends/s and bytes/s.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "objstore/local_object_store.h"
#include "records/record_batch.h"
#include "wal/latency_histogram.h"
#include "wal/wal_writer.h"

namespace sh::wal {
namespace {

constexpr int kAppendsPerAppender = 40;  // per iteration
constexpr size_t kBatchBytes = 1024;

Bytes OneKiBBatch() {
  records::BatchBuilder b;
  b.Add(std::nullopt, std::string(kBatchBytes - 61 - 10, 'x'), 1'700'000'000'000);
  return b.Build().value();
}

// Waits for one callback.
struct Done {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status status;
  void Set(Status st) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(st);
    done = true;
    cv.notify_all();
  }
  Status Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    done = false;
    return status;
  }
};

void AppendLoop(WalWriter& writer, int partition, int64_t* next_offset, const Bytes& batch,
                LatencyHistogram& latency, std::atomic<bool>& failed) {
  Done done;
  for (int i = 0; i < kAppendsPerAppender; ++i) {
    Bytes b = batch;
    records::SetBaseOffset(b.data(), *next_offset);
    Result<WalEntry> e = MakeWalEntry("bench", partition, 1, std::move(b));
    if (!e.ok()) {
      failed = true;
      return;
    }
    int64_t start = SystemClock::Get()->MonotonicMicros();
    if (!writer.Append(std::move(e).value(), [&](Status st) { done.Set(std::move(st)); }).ok() ||
        !done.Wait().ok()) {
      failed = true;
      return;
    }
    latency.Record(SystemClock::Get()->MonotonicMicros() - start);
    ++*next_offset;
  }
}

void BM_WalGroupCommit(benchmark::State& state) {
  const int appenders = static_cast<int>(state.range(0));
  char tmpl[] = "/tmp/sh-wal-bench-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  if (dir == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    LocalObjectStore store(dir);
    WalWriter writer(store, "bench-agent", *SystemClock::Get());
    const Bytes batch = OneKiBBatch();
    LatencyHistogram latency;
    std::vector<int64_t> next_offset(appenders, 0);
    std::atomic<bool> failed{false};
    for (auto _ : state) {
      std::vector<std::thread> threads;
      for (int p = 0; p < appenders; ++p) {
        threads.emplace_back(
            [&, p] { AppendLoop(writer, p, &next_offset[p], batch, latency, failed); });
      }
      for (auto& t : threads) t.join();
      if (failed) {
        state.SkipWithError("append failed");
        break;
      }
    }
    writer.Stop();
    WalWriterStats stats = writer.stats();
    const int64_t appends =
        static_cast<int64_t>(state.iterations()) * appenders * kAppendsPerAppender;
    state.SetItemsProcessed(appends);
    state.SetBytesProcessed(appends * static_cast<int64_t>(batch.size()));
    state.counters["p50_us"] = static_cast<double>(latency.p50());
    state.counters["p99_us"] = static_cast<double>(latency.p99());
    state.counters["flush_p50_us"] = static_cast<double>(stats.flush_p50_us);
    state.counters["flush_p99_us"] = static_cast<double>(stats.flush_p99_us);
    state.counters["entries_per_object"] = stats.objects_written == 0
                                               ? 0.0
                                               : static_cast<double>(stats.entries_written) /
                                                     static_cast<double>(stats.objects_written);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

BENCHMARK(BM_WalGroupCommit)
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sh::wal

BENCHMARK_MAIN();
