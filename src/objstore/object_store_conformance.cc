#include "objstore/object_store_conformance.h"

#include <algorithm>
#include <atomic>
#include <ostream>
#include <random>
#include <set>
#include <thread>

namespace sh {

std::string ObjectStoreBackendName(const ::testing::TestParamInfo<ObjectStoreBackend>& info) {
  return info.param.name;
}

void PrintTo(const ObjectStoreBackend& backend, std::ostream* os) { *os << backend.name; }

void ObjectStoreConformanceTest::SetUp() {
  harness_ = GetParam().make();
  ASSERT_NE(harness_, nullptr) << "backend " << GetParam().name << " failed to start";
}

void ObjectStoreConformanceTest::MustPut(std::string_view key, std::string_view data) {
  Status s = store().Put(key, AsBytes(data));
  ASSERT_TRUE(s.ok()) << "put " << key << ": " << s.ToString();
}

namespace {

std::string Str(const Bytes& b) { return std::string(AsString(b)); }

std::vector<std::string> Keys(const std::vector<ObjectInfo>& infos) {
  std::vector<std::string> keys;
  for (const ObjectInfo& i : infos) keys.push_back(i.key);
  return keys;
}

Bytes RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST_P(ObjectStoreConformanceTest, DescribeIsNotEmpty) { EXPECT_FALSE(store().Describe().empty()); }

TEST_P(ObjectStoreConformanceTest, PutGetRoundTrip) {
  const std::string data("seg\0\xff\x01 bytes", 13);
  MustPut("topics/orders/3/seg_00000000000000001000.bin", data);
  auto got = store().Get("topics/orders/3/seg_00000000000000001000.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Str(*got), data);
}

TEST_P(ObjectStoreConformanceTest, OverwriteReplacesWholeObject) {
  MustPut("wal/1/00000000000000000007.wal", "a long first version");
  MustPut("wal/1/00000000000000000007.wal", "short");
  auto got = store().Get("wal/1/00000000000000000007.wal");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Str(*got), "short");
  auto size = store().Size("wal/1/00000000000000000007.wal");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 5u);
}

TEST_P(ObjectStoreConformanceTest, EmptyObject) {
  MustPut("e/empty", "");
  auto got = store().Get("e/empty");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  auto size = store().Size("e/empty");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 0u);
  auto range = store().GetRange("e/empty", 0, 0);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_TRUE(range->empty());
  EXPECT_EQ(store().GetRange("e/empty", 0, 1).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(store().GetRange("e/empty", 0, UINT64_MAX).status().code(), ErrorCode::kOutOfRange);
  auto list = store().List("e/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "e/empty");
  EXPECT_EQ((*list)[0].size, 0u);
}

TEST_P(ObjectStoreConformanceTest, LargeObject) {
  const Bytes data = RandomBytes(8 << 20, 7);
  ASSERT_TRUE(store().Put("big/object", data).ok());
  auto got = store().Get("big/object");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  auto size = store().Size("big/object");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, data.size());
  // A range that straddles the middle, as a segment reader fetches one block.
  const uint64_t off = (4 << 20) - 1000, len = 300'000;
  auto range = store().GetRange("big/object", off, len);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_TRUE(*range == Bytes(data.begin() + off, data.begin() + off + len));
}

TEST_P(ObjectStoreConformanceTest, RangedGets) {
  MustPut("r/obj", "0123456789abcdef");
  auto range = [&](uint64_t off, uint64_t len) -> std::string {
    auto r = store().GetRange("r/obj", off, len);
    if (!r.ok()) return "<" + std::string(ErrorCodeName(r.status().code())) + ">";
    return Str(*r);
  };
  EXPECT_EQ(range(0, 4), "0123");               // start
  EXPECT_EQ(range(6, 4), "6789");               // middle
  EXPECT_EQ(range(12, 4), "cdef");              // exactly to the end
  EXPECT_EQ(range(0, 16), "0123456789abcdef");  // whole
  EXPECT_EQ(range(14, 10), "ef");               // runs past the end: cut
  EXPECT_EQ(range(3, UINT64_MAX), "3456789abcdef");
  EXPECT_EQ(range(5, 0), "");               // zero length
  EXPECT_EQ(range(16, 0), "");              // zero length at the end
  EXPECT_EQ(range(16, 1), "<OutOfRange>");  // starts at the end
  EXPECT_EQ(range(17, 0), "<OutOfRange>");  // starts past the end
  EXPECT_EQ(range(100, 5), "<OutOfRange>");
  EXPECT_EQ(range(UINT64_MAX, UINT64_MAX), "<OutOfRange>");
}

TEST_P(ObjectStoreConformanceTest, MissingKeyIsNotFound) {
  EXPECT_EQ(store().Get("no/such/key").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().Size("no/such/key").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().GetRange("no/such/key", 0, 1).status().code(), ErrorCode::kNotFound);
  // A prefix of an existing key is not an object.
  MustPut("d/e/f", "x");
  EXPECT_EQ(store().Get("d/e").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().Size("d").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store().Get("d/e/f/g").status().code(), ErrorCode::kNotFound);
  Status missing = store().Get("no/such/key").status();
  EXPECT_NE(missing.message().find("no/such/key"), std::string::npos) << missing.message();
}

TEST_P(ObjectStoreConformanceTest, ListByPrefixIsSortedAndExact) {
  // Put out of order; "p/q-r" sorts before "p/q/s" ('-' < '/'), which a
  // directory walk would get wrong without a final sort.
  const std::vector<std::string> keys = {"z",      "a/bc", "p/q/s", "a/b/3",   "ab",   "a/b/2/x",
                                         "a/bd/1", "a/a",  "p/q-r", "b/a/b/1", "a/b/1"};
  for (size_t i = 0; i < keys.size(); ++i) MustPut(keys[i], std::string(i + 1, 'x'));
  auto list = [&](std::string_view prefix) {
    auto r = store().List(prefix);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Keys(*r) : std::vector<std::string>{"<error>"};
  };
  using V = std::vector<std::string>;
  V all = keys;
  std::sort(all.begin(), all.end());
  EXPECT_EQ(list(""), all);
  EXPECT_EQ(list("a/b/"), (V{"a/b/1", "a/b/2/x", "a/b/3"}));  // not "a/bc"
  EXPECT_EQ(list("a/b"), (V{"a/b/1", "a/b/2/x", "a/b/3", "a/bc", "a/bd/1"}));
  EXPECT_EQ(list("a/"), (V{"a/a", "a/b/1", "a/b/2/x", "a/b/3", "a/bc", "a/bd/1"}));  // not "ab"
  EXPECT_EQ(list("a"), (V{"a/a", "a/b/1", "a/b/2/x", "a/b/3", "a/bc", "a/bd/1", "ab"}));
  EXPECT_EQ(list("p/q"), (V{"p/q-r", "p/q/s"}));
  EXPECT_EQ(list("a/b/2/x"), (V{"a/b/2/x"}));
  EXPECT_EQ(list("a/b/2/x/"), V{});
  EXPECT_EQ(list("a/b/3x"), V{});
  EXPECT_EQ(list("nothing/"), V{});
  // Sizes come with the keys.
  auto infos = store().List("z");
  ASSERT_TRUE(infos.ok());
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].size, 1u);
}

TEST_P(ObjectStoreConformanceTest, DeleteIsIdempotent) {
  MustPut("del/a/1", "one");
  MustPut("del/a/2", "two");
  ASSERT_TRUE(store().Delete("del/a/1").ok());
  EXPECT_EQ(store().Get("del/a/1").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store().Delete("del/a/1").ok());    // again
  EXPECT_TRUE(store().Delete("never/was").ok());  // never existed
  EXPECT_TRUE(store().Delete("del/a").ok());      // a prefix, not an object
  auto list = store().List("del/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Keys(*list), std::vector<std::string>{"del/a/2"});
  // The last object under a prefix goes, and the prefix can be used again.
  ASSERT_TRUE(store().Delete("del/a/2").ok());
  list = store().List("del/");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  MustPut("del/a/3", "three");
  auto got = store().Get("del/a/3");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Str(*got), "three");
}

TEST_P(ObjectStoreConformanceTest, ConcurrentPutsOfDifferentKeys) {
  constexpr int kThreads = 4, kPerThread = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string v = "value " + std::to_string(t) + "/" + std::to_string(i);
        // One directory per thread and one shared by all.
        if (!store().Put("c/" + std::to_string(t) + "/" + std::to_string(i), AsBytes(v)).ok() ||
            !store()
                 .Put("c/shared/" + std::to_string(t) + "-" + std::to_string(i), AsBytes(v))
                 .ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string v = "value " + std::to_string(t) + "/" + std::to_string(i);
      auto a = store().Get("c/" + std::to_string(t) + "/" + std::to_string(i));
      auto b = store().Get("c/shared/" + std::to_string(t) + "-" + std::to_string(i));
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(Str(*a), v);
      EXPECT_EQ(Str(*b), v);
    }
  }
  auto list = store().List("c/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<size_t>(2 * kThreads * kPerThread));
}

TEST_P(ObjectStoreConformanceTest, ConcurrentPutsAndDeletesInOneDirectory) {
  // Each thread creates and removes its own keys in a directory that keeps
  // becoming empty: a backend that prunes empty directories must not make a
  // concurrent Put fail.
  constexpr int kThreads = 4, kRounds = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        std::string key = "churn/x/y/" + std::to_string(t) + "-" + std::to_string(i);
        if (!store().Put(key, AsBytes(key)).ok()) {
          failures++;
          continue;
        }
        auto got = store().Get(key);
        if (!got.ok() || Str(*got) != key || !store().Delete(key).ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto list = store().List("churn/");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_P(ObjectStoreConformanceTest, ReadersSeeWholeObjectsDuringOverwrites) {
  // Writers replace one key with objects of distinct size and fill; a reader
  // must only ever see one of them whole (Put is atomic).
  constexpr int kWriters = 3, kRounds = 20;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  MustPut("atomic/k", std::string(1000, 'a'));
  std::thread reader([&] {
    while (!done.load()) {
      auto got = store().Get("atomic/k");
      if (!got.ok() || got->empty()) {
        torn++;
        continue;
      }
      const uint8_t fill = (*got)[0];
      const size_t expect = fill == 'a' ? 1000 : 4096 * (fill - '0' + 1);
      if (got->size() != expect ||
          std::count(got->begin(), got->end(), fill) != static_cast<std::ptrdiff_t>(expect)) {
        torn++;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      const std::string v(4096 * (w + 1), static_cast<char>('0' + w));
      for (int i = 0; i < kRounds; ++i) EXPECT_TRUE(store().Put("atomic/k", AsBytes(v)).ok());
    });
  }
  for (auto& th : writers) th.join();
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace sh
