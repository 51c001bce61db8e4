#include "objstore/faulty_object_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "objstore/local_object_store.h"
#include "objstore/memory_object_store.h"
#include "objstore/test_temp_dir.h"

namespace sh {
namespace {

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
