#include "wal/wal_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "objstore/faulty_object_store.h"
#include "objstore/memory_object_store.h"
#include "wal/wal_reader.h"
#include "wal/wal_test_util.h"

namespace sh::wal {
namespace {

using testing::MakeEntry;

constexpr int64_t kHour = 3'600'000;

// Collects callback results; Wait blocks until n have arrived.
class Callbacks {
 public:
  WalWriter::Callback Make(int id) {
    return [this, id](Status st) {
      std::lock_guard<std::mutex> lock(mu_);
      results_.emplace_back(id, st);
      cv_.notify_all();
    };
  }
  // Fails the test rather than hang if they never come.
  bool Wait(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return results_.size() >= n; });
  }
  std::vector<std::pair<int, Status>> results() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<int, Status>> results_;
};

std::vector<WalObject> ReadAll(MemoryObjectStore& store, const std::string& agent,
                               std::vector<Bytes>* keep) {
  Result<std::vector<WalObjectInfo>> infos = ListWal(store, agent);
  SH_CHECK(infos.ok());
  std::vector<WalObject> out;
  keep->reserve(infos->size());
  for (const WalObjectInfo& info : *infos) {
    keep->push_back(store.Get(info.key).value());
    Result<WalObject> obj = ParseWalObject(info.key, keep->back());
    EXPECT_TRUE(obj.ok()) << obj.status().ToString();
    if (obj.ok()) out.push_back(std::move(obj).value());
  }
  return out;
}

TEST(WalWriter, GroupCommitsConcurrentAppendersIntoFewObjects) {
  MemoryObjectStore store;
  WalIndex index;
  WalWriter writer(store, "agent", *SystemClock::Get(),
                   {.flush_interval_ms = 5, .first_sequence = 10, .index = &index});
  constexpr int kThreads = 8, kPerThread = 200;
  std::mutex mu;
  std::map<int, std::vector<int64_t>> acked;  // partition -> base offsets, in callback order
  std::atomic<int> calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int64_t base = i * 2;
        Status st = writer.Append(MakeEntry("t", t, base), [&, t, base](Status s) {
          EXPECT_TRUE(s.ok()) << s.ToString();
          std::lock_guard<std::mutex> lock(mu);
          acked[t].push_back(base);
          calls++;
        });
        ASSERT_TRUE(st.ok()) << st.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  writer.Stop();
  ASSERT_EQ(calls.load(), kThreads * kPerThread);  // each exactly once
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(acked[t].size(), size_t{kPerThread});
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ(acked[t][i], i * 2) << "partition " << t;
  }
  std::vector<Bytes> keep;
  std::vector<WalObject> objects = ReadAll(store, "agent", &keep);
  WalWriterStats stats = writer.stats();
  EXPECT_EQ(stats.objects_written, objects.size());
  EXPECT_EQ(stats.entries_written, uint64_t{kThreads * kPerThread});
  EXPECT_LT(objects.size(), size_t{kThreads * kPerThread / 4});  // grouped, not one per entry
  EXPECT_EQ(writer.next_sequence(), 10 + objects.size());
  EXPECT_EQ(index.size(), objects.size());
  EXPECT_EQ(writer.flush_latency().count(), objects.size());
  // Every entry exactly once, in offset order per partition, sequences consecutive.
  std::map<int, int64_t> next;
  uint64_t bytes = 0;
  for (size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(objects[i].header.sequence, 10 + i);
    bytes += objects[i].header.object_size;
    for (const WalEntryView& e : objects[i].entries) {
      EXPECT_EQ(e.base_offset, next[e.partition]);
      next[e.partition] = e.last_offset + 1;
    }
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread * 2);
  EXPECT_EQ(stats.bytes_written, bytes);
}

TEST(WalWriter, FlushesAsSoonAsMaxBytesAreQueued) {
  MemoryObjectStore store;
  // Offsets 100..113: every entry has the same size.
  const size_t entry_size = EncodedEntrySize(MakeEntry("t", 0, 100));
  WalWriter writer(store, "a", *SystemClock::Get(),
                   {.flush_interval_ms = kHour, .max_bytes = 3 * entry_size});
  Callbacks cb;
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 100 + i * 2), cb.Make(i)).ok());
  }
  // Six entries fill two objects without waiting for the hour-long interval.
  ASSERT_TRUE(cb.Wait(6));
  for (auto& [id, st] : cb.results()) EXPECT_TRUE(st.ok());
  EXPECT_EQ(cb.results().size(), 6u);
  writer.Stop();  // the seventh goes out with Stop
  ASSERT_EQ(cb.results().size(), 7u);
  std::vector<Bytes> keep;
  std::vector<WalObject> objects = ReadAll(store, "a", &keep);
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0].entries.size(), 3u);
  EXPECT_EQ(objects[1].entries.size(), 3u);
  EXPECT_EQ(objects[2].entries.size(), 1u);
}

TEST(WalWriter, AnEntryLargerThanMaxBytesIsWrittenAlone) {
  MemoryObjectStore store;
  WalWriter writer(store, "a", *SystemClock::Get(), {.flush_interval_ms = kHour, .max_bytes = 10});
  Callbacks cb;
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(0)).ok());
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 2), cb.Make(1)).ok());
  ASSERT_TRUE(cb.Wait(2));
  writer.Stop();
  std::vector<Bytes> keep;
  EXPECT_EQ(ReadAll(store, "a", &keep).size(), 2u);
}

TEST(WalWriter, StopWritesWhatIsQueuedAndLaterAppendsAreRefused) {
  MemoryObjectStore store;
  WalWriter writer(store, "a", *SystemClock::Get(), {.flush_interval_ms = kHour});
  Callbacks cb;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer.Append(MakeEntry("t", i, 0), cb.Make(i)).ok());
  writer.Stop();
  auto results = cb.results();
  ASSERT_EQ(results.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(results[i].first, i);  // append order
    EXPECT_TRUE(results[i].second.ok());
  }
  EXPECT_EQ(store.List("wal/a/").value().size(), 1u);
  bool called = false;
  Status st = writer.Append(MakeEntry("t", 0, 2), [&](Status) { called = true; });
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(called);
  writer.Stop();  // idempotent
}

TEST(WalWriter, RejectsEntriesTheReaderWouldRejectWithoutCallingBack) {
  MemoryObjectStore store;
  WalWriter writer(store, "a", *SystemClock::Get());
  WalEntry e = MakeEntry("t", 0, 0);
  e.last_offset = 5;  // disagrees with the batch
  bool called = false;
  EXPECT_FALSE(writer.Append(std::move(e), [&](Status) { called = true; }).ok());
  WalEntry no_topic = MakeEntry("t", 0, 0);
  no_topic.topic.clear();
  EXPECT_EQ(writer.Append(std::move(no_topic), [&](Status) { called = true; }).code(),
            ErrorCode::kInvalidArgument);
  writer.Stop();
  EXPECT_FALSE(called);
  EXPECT_TRUE(store.List("wal/").value().empty());
}

TEST(WalWriter, FailedPutFailsItsEntriesAndTheNextObjectTakesTheNextSequence) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  const size_t entry_size = EncodedEntrySize(MakeEntry("t", 0, 0));
  WalWriter writer(faulty, "a", *SystemClock::Get(),
                   {.flush_interval_ms = kHour, .max_bytes = 3 * entry_size, .first_sequence = 4});
  faulty.FailNext(ObjectOp::kPut, 1);
  Callbacks cb;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer.Append(MakeEntry("t", i, 0), cb.Make(i)).ok());
  ASSERT_TRUE(cb.Wait(3));
  auto results = cb.results();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(results[i].first, i);
    EXPECT_EQ(results[i].second.code(), ErrorCode::kIOError);
    EXPECT_TRUE(results[i].second.retriable());
  }
  EXPECT_TRUE(writer.failed());
  EXPECT_EQ(writer.Append(MakeEntry("t", 0, 0), cb.Make(9)).code(), ErrorCode::kUnavailable);
  writer.Resume();
  EXPECT_FALSE(writer.failed());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writer.Append(MakeEntry("t", i, 0), cb.Make(10 + i)).ok());
  }
  ASSERT_TRUE(cb.Wait(6));
  for (size_t i = 3; i < 6; ++i) EXPECT_TRUE(cb.results()[i].second.ok());
  writer.Stop();
  EXPECT_EQ(writer.next_sequence(), 6u);
  auto listed = mem.List("wal/a/").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, WalObjectKey("a", 5));  // 4 failed and is never reused
  EXPECT_EQ(writer.stats().objects_failed, 1u);
}

TEST(WalWriter, EntriesQueuedBehindAFailedObjectFailToo) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  const size_t entry_size = EncodedEntrySize(MakeEntry("t", 0, 0));
  WalWriter writer(faulty, "a", *SystemClock::Get(),
                   {.flush_interval_ms = kHour, .max_bytes = entry_size});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  faulty.SetDelay(ObjectOp::kPut, std::chrono::nanoseconds(1));
  faulty.SetSleepFunction([released](std::chrono::nanoseconds) { released.wait(); });
  faulty.FailNext(ObjectOp::kPut, 1);
  Callbacks cb;
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(0)).ok());
  while (faulty.calls(ObjectOp::kPut) == 0) std::this_thread::yield();
  // The first Put is in flight: these queue behind it.
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 2), cb.Make(1)).ok());
  ASSERT_TRUE(writer.Append(MakeEntry("t", 1, 0), cb.Make(2)).ok());
  release.set_value();
  ASSERT_TRUE(cb.Wait(3));
  auto results = cb.results();
  EXPECT_EQ(results[0].second.code(), ErrorCode::kIOError);
  EXPECT_EQ(results[1].second.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(results[2].second.code(), ErrorCode::kUnavailable);
  writer.Stop();
  EXPECT_TRUE(mem.List("wal/").value().empty());
  EXPECT_EQ(faulty.calls(ObjectOp::kPut), 1u);
}

TEST(WalWriter, TornFailedPutIsRemovedSoNoTornObjectStaysBehind) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  WalWriter writer(faulty, "a", *SystemClock::Get(), {.flush_interval_ms = 1});
  faulty.TruncateNextPuts(1, 50, TornPut::kReportFailure);
  Callbacks cb;
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(0)).ok());
  ASSERT_TRUE(cb.Wait(1));
  EXPECT_FALSE(cb.results()[0].second.ok());
  writer.Stop();
  EXPECT_EQ(faulty.torn_puts(), 1u);
  EXPECT_TRUE(mem.List("wal/").value().empty());
}

TEST(WalWriter, PutSlowerThanTheTimeoutReportsTimeoutAndTheSequenceIsNotReused) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  WalWriter writer(faulty, "a", *SystemClock::Get(),
                   {.flush_interval_ms = 1, .first_sequence = 7, .put_timeout_ms = 20});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  faulty.SetDelay(ObjectOp::kPut, std::chrono::nanoseconds(1));
  faulty.SetSleepFunction([released](std::chrono::nanoseconds) { released.wait(); });
  Callbacks cb;
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(0)).ok());
  ASSERT_TRUE(cb.Wait(1));  // comes while the Put is still blocked
  EXPECT_EQ(cb.results()[0].second.code(), ErrorCode::kTimeout);
  EXPECT_TRUE(writer.failed());
  faulty.Reset();
  release.set_value();  // the late Put now lands
  writer.Resume();
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(1)).ok());
  ASSERT_TRUE(cb.Wait(2));
  EXPECT_TRUE(cb.results()[1].second.ok());
  writer.Stop();  // joins the abandoned Put
  auto listed = mem.List("wal/a/").value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, WalObjectKey("a", 7));  // landed after its timeout
  EXPECT_EQ(listed[1].key, WalObjectKey("a", 8));
  EXPECT_EQ(writer.stats().objects_failed, 1u);
}

TEST(WalWriter, ZeroPutTimeoutWaitsForTheStore) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  WalWriter writer(faulty, "a", *SystemClock::Get(), {.flush_interval_ms = 1, .put_timeout_ms = 0});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  faulty.SetDelay(ObjectOp::kPut, std::chrono::nanoseconds(1));
  faulty.SetSleepFunction([released](std::chrono::nanoseconds) { released.wait(); });
  Callbacks cb;
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(0)).ok());
  while (faulty.calls(ObjectOp::kPut) == 0) std::this_thread::yield();
  EXPECT_TRUE(cb.results().empty());
  release.set_value();
  ASSERT_TRUE(cb.Wait(1));
  EXPECT_TRUE(cb.results()[0].second.ok());
  writer.Stop();
}

TEST(WalWriter, RecordsCreatedAtFromTheClock) {
  MemoryObjectStore store;
  ManualClock clock(42'000);
  WalWriter writer(store, "a", clock, {.flush_interval_ms = 1});
  Callbacks cb;
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(0)).ok());
  writer.Stop();
  std::vector<Bytes> keep;
  auto objects = ReadAll(store, "a", &keep);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].header.created_at_ms, 42'000);
}

// The names of this process's threads, as top -H and gdb show them.
std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.push_back(name);
  }
  return names;
}

TEST(WalWriter, FlusherThreadIsNamed) {
  MemoryObjectStore store;
  WalWriter writer(store, "a", *SystemClock::Get(), {.flush_interval_ms = 1});
  Callbacks cb;
  // Once an entry is flushed the flusher has certainly started (and named itself).
  ASSERT_TRUE(writer.Append(MakeEntry("t", 0, 0), cb.Make(0)).ok());
  ASSERT_TRUE(cb.Wait(1));
  std::vector<std::string> names = ThreadNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "sh-wal-flush"), names.end());
  writer.Stop();
}

TEST(LatencyHistogram, PercentilesWithinABucket) {
  LatencyHistogram h;
  EXPECT_EQ(h.p50(), 0);
  for (int i = 1; i <= 1000; ++i) h.Record(i);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_GE(h.p50(), 500);
  EXPECT_LE(h.p50(), 500 * 9 / 8 + 1);
  EXPECT_GE(h.p99(), 990);
  EXPECT_LE(h.p99(), 1000);
  EXPECT_EQ(h.max(), 1000);
}

}  // namespace
}  // namespace sh::wal
