#include "storage/segment_cache.h"

#include <gtest/gtest.h>

namespace sh::storage {
namespace {

std::shared_ptr<const Bytes> Block(size_t size, uint8_t fill) {
  return std::make_shared<const Bytes>(size, fill);
}

TEST(SegmentCacheTest, HitsAndMisses) {
  SegmentCache cache(1 << 20);
  EXPECT_EQ(cache.GetBlock("a", 0), nullptr);
  cache.PutBlock("a", 0, Block(1000, 1));
  auto hit = cache.GetBlock("a", 0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ((*hit)[999], 1);
  EXPECT_EQ(cache.GetBlock("a", 1), nullptr);
  EXPECT_EQ(cache.GetBlock("b", 0), nullptr);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
}

TEST(SegmentCacheTest, NeverHoldsMoreThanItsCapacity) {
  const size_t capacity = 100'000;
  SegmentCache cache(capacity);
  for (size_t i = 0; i < 1000; ++i) {
    cache.PutBlock("seg", i, Block(1000 + i % 7 * 100, 0));
    ASSERT_LE(cache.bytes(), capacity);
  }
  EXPECT_GT(cache.evictions(), 900u);
  EXPECT_GT(cache.bytes(), capacity / 2);  // it does use what it has
}

TEST(SegmentCacheTest, EvictsLeastRecentlyUsedFirst) {
  // Room for three 10 KB blocks (each is charged a little more than its size).
  SegmentCache cache(3 * 10'000 + 3 * 200);
  cache.PutBlock("s", 0, Block(10'000, 0));
  cache.PutBlock("s", 1, Block(10'000, 1));
  cache.PutBlock("s", 2, Block(10'000, 2));
  ASSERT_NE(cache.GetBlock("s", 0), nullptr);  // 0 is now the most recent
  cache.PutBlock("s", 3, Block(10'000, 3));    // evicts 1, the least recent
  EXPECT_NE(cache.GetBlock("s", 0), nullptr);
  EXPECT_EQ(cache.GetBlock("s", 1), nullptr);
  EXPECT_NE(cache.GetBlock("s", 2), nullptr);
  EXPECT_NE(cache.GetBlock("s", 3), nullptr);
}

TEST(SegmentCacheTest, OversizedEntriesAreNotCachedAndEvictNothing) {
  SegmentCache cache(10'000);
  cache.PutBlock("s", 0, Block(5000, 0));
  cache.PutBlock("s", 1, Block(20'000, 1));
  EXPECT_EQ(cache.GetBlock("s", 1), nullptr);
  EXPECT_NE(cache.GetBlock("s", 0), nullptr);
}

TEST(SegmentCacheTest, EvictedBlockStaysValidForItsHolder) {
  SegmentCache cache(2000);
  cache.PutBlock("s", 0, Block(1500, 7));
  auto held = cache.GetBlock("s", 0);
  cache.PutBlock("s", 1, Block(1500, 8));  // evicts block 0
  EXPECT_EQ(cache.GetBlock("s", 0), nullptr);
  EXPECT_EQ((*held)[0], 7);
}

TEST(SegmentCacheTest, EraseDropsAnObjectsEntries) {
  SegmentCache cache(1 << 20);
  cache.PutBlock("x", 0, Block(100, 0));
  cache.PutBlock("x", 1, Block(100, 0));
  cache.PutBlock("y", 0, Block(100, 0));
  cache.Erase("x");
  EXPECT_EQ(cache.GetBlock("x", 0), nullptr);
  EXPECT_EQ(cache.GetBlock("x", 1), nullptr);
  EXPECT_NE(cache.GetBlock("y", 0), nullptr);
  EXPECT_EQ(cache.entries(), 1u);
}

}  // namespace
}  // namespace sh::storage
