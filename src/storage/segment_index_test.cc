#include "storage/segment_index.h"

#include <gtest/gtest.h>

#include <thread>

#include "metadata/counting_metadata_store.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh::storage {
namespace {

class SegmentIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    sqlite_ = std::move(db).value();
    counting_ = std::make_unique<CountingMetadataStore>(*sqlite_);
    ASSERT_TRUE(sqlite_->CreateTopic({"t", 1, "{}", 0}).ok());
  }

  // Registers [base, end) directly in the store (as another process would).
  SegmentInfo Register(int64_t base, int64_t end) {
    SegmentInfo s;
    s.topic = "t";
    s.partition = 0;
    s.base_offset = base;
    s.end_offset = end;
    s.record_count = end - base;
    s.size_bytes = 100;
    s.object_key = "topics/t/0/seg_" + std::to_string(base);
    EXPECT_TRUE(sqlite_->RegisterSegment(s, 0).ok());
    return s;
  }

  ManualClock clock_;
  std::unique_ptr<SqliteMetadataStore> sqlite_;
  std::unique_ptr<CountingMetadataStore> counting_;
};

TEST_F(SegmentIndexTest, FindsTheSegmentHoldingAnOffset) {
  Register(0, 100);
  Register(100, 250);
  Register(250, 251);
  SegmentIndex index("t", 0, *counting_, clock_);
  EXPECT_EQ((*index.Find(0))->base_offset, 0);
  EXPECT_EQ((*index.Find(99))->base_offset, 0);
  EXPECT_EQ((*index.Find(100))->base_offset, 100);
  EXPECT_EQ((*index.Find(180))->base_offset, 100);
  EXPECT_EQ((*index.Find(250))->base_offset, 250);
  EXPECT_EQ(index.Find(251).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index.Find(-1).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index.known_end(), 251);
}

TEST_F(SegmentIndexTest, WarmLookupsMakeNoMetadataQuery) {
  for (int i = 0; i < 50; ++i) Register(i * 10, i * 10 + 10);
  SegmentIndex index("t", 0, *counting_, clock_);
  ASSERT_TRUE(index.Find(0).ok());
  uint64_t before = static_cast<uint64_t>(counting_->total());
  for (int64_t o = 0; o < 500; ++o) ASSERT_EQ((*index.Find(o))->base_offset, o / 10 * 10);
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before);
}

TEST_F(SegmentIndexTest, RefreshesAfterTtl) {
  Register(0, 10);
  SegmentIndex index("t", 0, *counting_, clock_, {.ttl_ms = 30'000});
  ASSERT_TRUE(index.Find(5).ok());
  // Gap-free growth by another writer, and a retention cut at the start.
  Register(10, 20);
  ASSERT_TRUE(sqlite_->DeleteSegmentsBefore("t", 0, 10).ok());
  uint64_t before = static_cast<uint64_t>(counting_->total());
  EXPECT_TRUE(index.Find(5).ok());  // still cached: the TTL has not passed
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before);
  clock_.AdvanceMs(30'000);
  EXPECT_EQ(index.Find(5).status().code(), ErrorCode::kNotFound);  // the refresh saw the delete
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before + 1);
  EXPECT_EQ((*index.Find(15))->base_offset, 10);
}

TEST_F(SegmentIndexTest, MissPastTheEndRefreshesAtMostOncePerInterval) {
  Register(0, 10);
  SegmentIndex index("t", 0, *counting_, clock_, {.miss_refresh_interval_ms = 1000});
  ASSERT_TRUE(index.Find(0).ok());
  uint64_t before = static_cast<uint64_t>(counting_->total());
  EXPECT_EQ(index.Find(10).status().code(), ErrorCode::kNotFound);  // one refresh
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before + 1);
  Register(10, 20);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(index.Find(12).ok());  // throttled: no queries
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before + 1);
  clock_.AdvanceMs(1000);
  EXPECT_EQ((*index.Find(12))->base_offset, 10);  // the miss refresh finds the new segment
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before + 2);
}

TEST_F(SegmentIndexTest, AddedSegmentsNeedNoQuery) {
  SegmentIndex index("t", 0, *counting_, clock_);
  ASSERT_EQ(index.Find(0).status().code(), ErrorCode::kNotFound);
  uint64_t before = static_cast<uint64_t>(counting_->total());
  index.Add(Register(0, 10));
  EXPECT_EQ((*index.Find(3))->end_offset, 10);
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before);
}

TEST_F(SegmentIndexTest, BoundedWithLeastRecentlyUsedEviction) {
  for (int i = 0; i < 10; ++i) Register(i * 10, i * 10 + 10);
  SegmentIndex index("t", 0, *counting_, clock_, {.max_entries = 3});
  ASSERT_TRUE(index.Find(95).ok());
  EXPECT_EQ(index.size(), 3u);  // the refresh kept the newest three: 70, 80, 90
  uint64_t before = static_cast<uint64_t>(counting_->total());
  // An old offset is found with one targeted query; that evicts the least
  // recently used entry (70 or 80: never looked up), not 90 (just used).
  EXPECT_EQ((*index.Find(5))->base_offset, 0);
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before + 1);
  EXPECT_EQ(index.size(), 3u);
  before = static_cast<uint64_t>(counting_->total());
  EXPECT_EQ((*index.Find(95))->base_offset, 90);
  EXPECT_EQ((*index.Find(5))->base_offset, 0);
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), before);  // both still held
  EXPECT_EQ((*index.Find(75))->base_offset, 70);   // one of 70/80 was evicted; found again anyway
  EXPECT_EQ((*index.Find(85))->base_offset, 80);
  EXPECT_LE(index.size(), 3u);
}

TEST_F(SegmentIndexTest, ConcurrentFindsAndAdds) {
  SegmentIndex index("t", 0, *counting_, clock_, {.max_entries = 64});
  std::vector<SegmentInfo> segments;
  for (int i = 0; i < 200; ++i) segments.push_back(Register(i * 10, i * 10 + 10));
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        int64_t o = (i * 7 + t * 13) % 2000;
        auto s = index.Find(o);
        if (!s.ok() || (*s)->base_offset > o || (*s)->end_offset <= o) failed = true;
      }
    });
  }
  threads.emplace_back([&] {
    for (const SegmentInfo& s : segments) index.Add(s);
  });
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed);
  EXPECT_LE(index.size(), 64u);
}

}  // namespace
}  // namespace sh::storage
