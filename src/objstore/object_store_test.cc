// The conformance suite over every local backend, then what is particular to
// LocalObjectStore and FaultyObjectStore.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <thread>

#include "objstore/faulty_object_store.h"
#include "objstore/local_object_store.h"
#include "objstore/memory_object_store.h"
#include "objstore/object_store_conformance.h"

namespace sh {
namespace {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sh-objstore-test-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class LocalHarness final : public ObjectStoreHarness {
 public:
  LocalHarness() {
    auto store = LocalObjectStore::Open(dir_.path() + "/root");
    if (store.ok()) store_ = std::move(store).value();
  }
  bool ok() const { return !dir_.path().empty() && store_ != nullptr; }
  ObjectStore& store() override { return *store_; }

 private:
  TempDir dir_;
  std::unique_ptr<LocalObjectStore> store_;
};

ObjectStoreBackend MemoryBackend() {
  return {
      "Memory", [] {
        return std::make_unique<SimpleObjectStoreHarness>(std::make_unique<MemoryObjectStore>());
      }};
}

ObjectStoreBackend LocalBackend() {
  return {"Local", []() -> std::unique_ptr<ObjectStoreHarness> {
            auto h = std::make_unique<LocalHarness>();
            if (!h->ok()) return nullptr;
            return h;
          }};
}

INSTANTIATE_TEST_SUITE_P(Memory, ObjectStoreConformanceTest, ::testing::Values(MemoryBackend()),
                         ObjectStoreBackendName);
INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreConformanceTest, ::testing::Values(LocalBackend()),
                         ObjectStoreBackendName);

// ---------------------------------------------------------------- LocalObjectStore

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// Every file name under dir that starts with ".tmp-".
std::vector<std::string> TempFilesUnder(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(".tmp-")) found.push_back(e.path());
  }
  return found;
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    root_ = tmp_.path() + "/data/objects";
    auto s = LocalObjectStore::Open(root_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  TempDir tmp_;
  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalObjectStoreTest, OpenCreatesRootAndDescribesIt) {
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_EQ(store_->Describe(), "file://" + root_);
  WriteFile(tmp_.path() + "/plain", "x");
  EXPECT_FALSE(LocalObjectStore::Open(tmp_.path() + "/plain").ok());
}

TEST_F(LocalObjectStoreTest, KeysAreFilesUnderRoot) {
  ASSERT_TRUE(store_->Put("topics/t/0/seg_1.bin", AsBytes("segment bytes")).ok());
  EXPECT_EQ(ReadFile(root_ + "/topics/t/0/seg_1.bin"), "segment bytes");
  EXPECT_TRUE(TempFilesUnder(root_).empty());
}

TEST_F(LocalObjectStoreTest, BadKeysAreRejected) {
  const std::vector<std::string> bad = {"",
                                        "/abs",
                                        "a//b",
                                        "a/",
                                        "..",
                                        "../x",
                                        "a/../b",
                                        ".",
                                        "a/./b",
                                        ".tmp-x",
                                        "a/.tmp-y",
                                        std::string("a\0b", 3),
                                        "../../escape"};
  for (const std::string& key : bad) {
    SCOPED_TRACE("key '" + key + "'");
    EXPECT_EQ(store_->Put(key, AsBytes("x")).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->Get(key).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->GetRange(key, 0, 1).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->Size(key).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->Delete(key).code(), ErrorCode::kInvalidArgument);
  }
  // Nothing was written inside or outside the root.
  EXPECT_TRUE(fs::is_empty(root_));
  EXPECT_FALSE(fs::exists(tmp_.path() + "/data/x"));
  EXPECT_FALSE(fs::exists(tmp_.path() + "/escape"));
  // Dots inside a segment are fine.
  EXPECT_TRUE(store_->Put("a..b/.hidden/x.tmp-", AsBytes("ok")).ok());
  EXPECT_TRUE(store_->Get("a..b/.hidden/x.tmp-").ok());
  // A traversal prefix lists nothing rather than another directory.
  auto list = store_->List("../");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(LocalObjectStoreTest, CrashLeftTempFileIsNotListed) {
  ASSERT_TRUE(store_->Put("t/0/a", AsBytes("real")).ok());
  // What a Put that crashed before its rename leaves behind.
  WriteFile(root_ + "/t/0/.tmp-0123456789abcdef-7", "half a segm");
  WriteFile(root_ + "/.tmp-top-level", "junk");
  auto list = store_->List("");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "t/0/a");
  list = store_->List("t/0/.tmp");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  // The store keeps working around it.
  ASSERT_TRUE(store_->Put("t/0/b", AsBytes("b")).ok());
  ASSERT_TRUE(store_->Delete("t/0/a").ok());
  list = store_->List("t/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "t/0/b");
}

TEST_F(LocalObjectStoreTest, DataSurvivesReopen) {
  const Bytes big(100'000, 0x5a);
  ASSERT_TRUE(store_->Put("topics/t/0/seg_0.bin", big).ok());
  ASSERT_TRUE(store_->Put("wal/1/0001.wal", AsBytes("wal")).ok());
  ASSERT_TRUE(store_->Put("wal/1/0002.wal", AsBytes("gone")).ok());
  ASSERT_TRUE(store_->Delete("wal/1/0002.wal").ok());
  store_.reset();

  LocalObjectStore reopened(root_ + "/");  // a trailing slash names the same root
  auto got = reopened.Get("topics/t/0/seg_0.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == big);
  auto list = reopened.List("");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "topics/t/0/seg_0.bin");
  EXPECT_EQ((*list)[0].size, big.size());
  EXPECT_EQ((*list)[1].key, "wal/1/0001.wal");
}

TEST_F(LocalObjectStoreTest, ObjectAndDirectoryAtOnePathConflict) {
  ASSERT_TRUE(store_->Put("a", AsBytes("file")).ok());
  Status s = store_->Put("a/b", AsBytes("under a file"));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  // The message names the key and the system's reason.
  EXPECT_NE(s.message().find("'a/b'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(std::generic_category().message(ENOTDIR)), std::string::npos)
      << s.message();

  ASSERT_TRUE(store_->Put("x/y", AsBytes("1")).ok());
  s = store_->Put("x", AsBytes("over a directory"));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("'x'"), std::string::npos) << s.message();
  // Failed Puts leave neither temp files nor damage.
  EXPECT_TRUE(TempFilesUnder(root_).empty());
  auto got = store_->Get("x/y");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsString(*got), "1");
}

TEST_F(LocalObjectStoreTest, DeleteRemovesEmptyDirectoriesOnly) {
  ASSERT_TRUE(store_->Put("p/q/r/s", AsBytes("1")).ok());
  ASSERT_TRUE(store_->Put("p/keep", AsBytes("2")).ok());
  ASSERT_TRUE(store_->Delete("p/q/r/s").ok());
  EXPECT_FALSE(fs::exists(root_ + "/p/q"));
  EXPECT_TRUE(fs::exists(root_ + "/p/keep"));
  ASSERT_TRUE(store_->Delete("p/keep").ok());
  EXPECT_FALSE(fs::exists(root_ + "/p"));
  EXPECT_TRUE(fs::is_directory(root_));  // never the root itself
}

TEST_F(LocalObjectStoreTest, ManyPutsLeaveNoTempFiles) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store_->Put("w/" + std::to_string(i % 5), AsBytes(std::to_string(i))).ok());
  }
  EXPECT_TRUE(TempFilesUnder(root_).empty());
  auto list = store_->List("w/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 5u);
}

TEST_F(LocalObjectStoreTest, MissingRootIsAnErrorNotACrash) {
  LocalObjectStore gone(tmp_.path() + "/does/not/exist");
  Status s = gone.Put("k", AsBytes("v"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'k'"), std::string::npos) << s.message();
  EXPECT_EQ(gone.Get("k").status().code(), ErrorCode::kNotFound);
  auto list = gone.List("");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

// ---------------------------------------------------------------- FaultyObjectStore

class FaultyObjectStoreTest : public ::testing::Test {
 protected:
  MemoryObjectStore inner_;
  FaultyObjectStore faulty_{inner_, 1234};
};

TEST_F(FaultyObjectStoreTest, PassesThroughAndCountsCalls) {
  ASSERT_TRUE(faulty_.Put("k1", AsBytes("v1")).ok());
  ASSERT_TRUE(faulty_.Put("k2", AsBytes("v2")).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(faulty_.Get("k1").ok());
  ASSERT_TRUE(faulty_.GetRange("k1", 0, 1).ok());
  EXPECT_EQ(faulty_.Size("missing").status().code(), ErrorCode::kNotFound);  // counted too
  ASSERT_TRUE(faulty_.List("").ok());
  ASSERT_TRUE(faulty_.Delete("k2").ok());
  EXPECT_EQ(faulty_.calls(ObjectOp::kPut), 2u);
  EXPECT_EQ(faulty_.calls(ObjectOp::kGet), 3u);
  EXPECT_EQ(faulty_.calls(ObjectOp::kGetRange), 1u);
  EXPECT_EQ(faulty_.calls(ObjectOp::kSize), 1u);
  EXPECT_EQ(faulty_.calls(ObjectOp::kList), 1u);
  EXPECT_EQ(faulty_.calls(ObjectOp::kDelete), 1u);
  EXPECT_EQ(faulty_.total_calls(), 9u);
  EXPECT_EQ(faulty_.injected(ObjectOp::kPut), 0u);
  EXPECT_EQ(inner_.object_count(), 1u);
  EXPECT_EQ(faulty_.Describe(), "faulty(memory)");
  faulty_.ResetCounters();
  EXPECT_EQ(faulty_.total_calls(), 0u);
}

TEST_F(FaultyObjectStoreTest, FailNextFailsExactlyN) {
  faulty_.FailNext(ObjectOp::kPut, 2);
  for (int i = 0; i < 2; ++i) {
    Status s = faulty_.Put("wal/1", AsBytes("x"));
    EXPECT_EQ(s.code(), ErrorCode::kIOError);
    EXPECT_NE(s.message().find("injected fault"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("wal/1"), std::string::npos) << s.message();
  }
  EXPECT_EQ(inner_.object_count(), 0u);  // failed calls never reach the store
  EXPECT_TRUE(faulty_.Get("wal/1").status().code() == ErrorCode::kNotFound);  // other ops fine
  EXPECT_TRUE(faulty_.Put("wal/1", AsBytes("x")).ok());
  EXPECT_EQ(faulty_.calls(ObjectOp::kPut), 3u);
  EXPECT_EQ(faulty_.injected(ObjectOp::kPut), 2u);
  EXPECT_EQ(faulty_.injected(ObjectOp::kGet), 0u);
}

TEST_F(FaultyObjectStoreTest, FailsWithTheGivenStatus) {
  ASSERT_TRUE(inner_.Put("k", AsBytes("v")).ok());
  faulty_.FailNext(ObjectOp::kGetRange, 1, Status::Unavailable("s3 down"));
  auto r = faulty_.GetRange("k", 0, 1);
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("s3 down"), std::string::npos);
  EXPECT_TRUE(faulty_.GetRange("k", 0, 1).ok());
}

TEST_F(FaultyObjectStoreTest, FailAlwaysUntilCleared) {
  ASSERT_TRUE(inner_.Put("k", AsBytes("v")).ok());
  faulty_.FailAlways(ObjectOp::kGet);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(faulty_.Get("k").ok());
  EXPECT_TRUE(faulty_.Size("k").ok());
  faulty_.ClearFailures(ObjectOp::kGet);
  EXPECT_TRUE(faulty_.Get("k").ok());
  EXPECT_EQ(faulty_.injected(ObjectOp::kGet), 20u);

  faulty_.FailAlways(ObjectOp::kList);
  faulty_.FailAlways(ObjectOp::kDelete);
  EXPECT_FALSE(faulty_.List("").ok());
  EXPECT_FALSE(faulty_.Delete("k").ok());
  faulty_.Reset();
  EXPECT_TRUE(faulty_.List("").ok());
  EXPECT_TRUE(faulty_.Delete("k").ok());
}

// The calls of op that fail among n, as a bit pattern.
std::vector<bool> FailurePattern(uint64_t seed, double p, int n) {
  MemoryObjectStore inner;
  FaultyObjectStore faulty(inner, seed);
  faulty.FailWithProbability(ObjectOp::kSize, p);
  std::vector<bool> failed;
  for (int i = 0; i < n; ++i) {
    failed.push_back(faulty.Size("k").status().code() == ErrorCode::kIOError);
  }
  return failed;
}

TEST_F(FaultyObjectStoreTest, ProbabilisticFailuresAreSeeded) {
  auto a = FailurePattern(99, 0.5, 1000);
  const auto failures = std::count(a.begin(), a.end(), true);
  EXPECT_GT(failures, 350);
  EXPECT_LT(failures, 650);
  EXPECT_EQ(a, FailurePattern(99, 0.5, 1000));  // same seed, same run
  EXPECT_NE(a, FailurePattern(100, 0.5, 1000));
  auto never = FailurePattern(1, 0.0, 200);
  EXPECT_EQ(std::count(never.begin(), never.end(), true), 0);
  auto always = FailurePattern(1, 1.0, 200);
  EXPECT_EQ(std::count(always.begin(), always.end(), true), 200);
}

TEST_F(FaultyObjectStoreTest, DelaysAreAppliedPerOperation) {
  std::mutex mu;
  std::vector<std::chrono::nanoseconds> slept;
  faulty_.SetSleepFunction([&](std::chrono::nanoseconds d) {
    std::lock_guard lock(mu);
    slept.push_back(d);
  });
  faulty_.SetDelay(ObjectOp::kGet, std::chrono::milliseconds(5));
  ASSERT_TRUE(faulty_.Put("k", AsBytes("v")).ok());
  EXPECT_TRUE(slept.empty());
  ASSERT_TRUE(faulty_.Get("k").ok());
  ASSERT_EQ(slept.size(), 1u);
  EXPECT_EQ(slept[0], std::chrono::milliseconds(5));

  slept.clear();
  faulty_.SetDelayAll(std::chrono::microseconds(7));
  ASSERT_TRUE(faulty_.Put("k", AsBytes("v")).ok());
  ASSERT_TRUE(faulty_.List("").ok());
  EXPECT_EQ(slept, (std::vector<std::chrono::nanoseconds>{std::chrono::microseconds(7),
                                                          std::chrono::microseconds(7)}));
  slept.clear();
  faulty_.SetDelayAll(std::chrono::nanoseconds::zero());
  ASSERT_TRUE(faulty_.Get("k").ok());
  EXPECT_TRUE(slept.empty());
}

TEST_F(FaultyObjectStoreTest, RealDelayStillCompletesTheCall) {
  faulty_.SetDelay(ObjectOp::kPut, std::chrono::milliseconds(1));
  ASSERT_TRUE(faulty_.Put("k", AsBytes("v")).ok());
  EXPECT_EQ(AsString(*inner_.Get("k")), "v");
}

TEST_F(FaultyObjectStoreTest, TornPutReportingFailureStoresAPrefix) {
  const std::string data(100, 'd');
  faulty_.TruncateNextPuts(1, 10, TornPut::kReportFailure);
  Status s = faulty_.Put("seg", AsBytes(data));
  EXPECT_EQ(s.code(), ErrorCode::kIOError);
  EXPECT_NE(s.message().find("seg"), std::string::npos);
  auto stored = inner_.Get("seg");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(AsString(*stored), data.substr(0, 10));
  EXPECT_EQ(faulty_.torn_puts(), 1u);
  EXPECT_EQ(faulty_.injected(ObjectOp::kPut), 1u);
  // Only the next one was torn.
  ASSERT_TRUE(faulty_.Put("seg", AsBytes(data)).ok());
  EXPECT_EQ(inner_.Get("seg")->size(), 100u);
}

TEST_F(FaultyObjectStoreTest, TornPutReportingSuccessLies) {
  faulty_.TruncateNextPutsFraction(2, 0.5, TornPut::kReportSuccess);
  ASSERT_TRUE(faulty_.Put("a", AsBytes(std::string(100, 'a'))).ok());
  ASSERT_TRUE(faulty_.Put("b", AsBytes(std::string(7, 'b'))).ok());
  ASSERT_TRUE(faulty_.Put("c", AsBytes(std::string(10, 'c'))).ok());
  EXPECT_EQ(inner_.Get("a")->size(), 50u);
  EXPECT_EQ(inner_.Get("b")->size(), 3u);  // rounded down
  EXPECT_EQ(inner_.Get("c")->size(), 10u);
  EXPECT_EQ(faulty_.torn_puts(), 2u);
}

TEST_F(FaultyObjectStoreTest, FailureComesBeforeTruncation) {
  faulty_.FailNext(ObjectOp::kPut, 1);
  faulty_.TruncateNextPuts(FaultyObjectStore::kForever, 1, TornPut::kReportSuccess);
  EXPECT_FALSE(faulty_.Put("k", AsBytes("abc")).ok());
  EXPECT_EQ(inner_.object_count(), 0u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(faulty_.Put("k", AsBytes("abc")).ok());
  EXPECT_EQ(AsString(*inner_.Get("k")), "a");
  EXPECT_EQ(faulty_.torn_puts(), 3u);
  faulty_.ClearTruncation();
  ASSERT_TRUE(faulty_.Put("k", AsBytes("abc")).ok());
  EXPECT_EQ(AsString(*inner_.Get("k")), "abc");
}

TEST_F(FaultyObjectStoreTest, CountsAreExactUnderConcurrency) {
  faulty_.FailWithProbability(ObjectOp::kPut, 0.3);
  constexpr int kThreads = 4, kCalls = 200;
  std::atomic<uint64_t> ok_calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        if (faulty_.Put("k" + std::to_string(t), AsBytes("v")).ok()) ok_calls++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(faulty_.calls(ObjectOp::kPut), uint64_t{kThreads * kCalls});
  EXPECT_EQ(faulty_.injected(ObjectOp::kPut) + ok_calls.load(), uint64_t{kThreads * kCalls});
  EXPECT_GT(faulty_.injected(ObjectOp::kPut), 0u);
  EXPECT_GT(ok_calls.load(), 0u);
}

TEST_F(FaultyObjectStoreTest, WrapsALocalStore) {
  TempDir tmp;
  auto local = LocalObjectStore::Open(tmp.path() + "/root");
  ASSERT_TRUE(local.ok());
  FaultyObjectStore faulty(**local);
  faulty.TruncateNextPuts(1, 3, TornPut::kReportSuccess);
  ASSERT_TRUE(faulty.Put("t/seg", AsBytes("abcdef")).ok());
  auto got = (*local)->Get("t/seg");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsString(*got), "abc");
  EXPECT_EQ(faulty.Describe(), "faulty(file://" + tmp.path() + "/root)");
}

}  // namespace
}  // namespace sh
