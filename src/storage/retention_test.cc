// ComputeRetention: which of the oldest segments retention.ms / retention.bytes remove.
#include "storage/retention.h"

#include <gtest/gtest.h>

namespace sh::storage {
namespace {

constexpr int64_t kNow = 1'000'000;

// Ten-offset segments from base, of `bytes` bytes, newest record at max_ts.
SegmentInfo Segment(int64_t base, int64_t bytes, int64_t max_ts) {
  SegmentInfo s;
  s.topic = "t";
  s.base_offset = base;
  s.end_offset = base + 10;
  s.record_count = 10;
  s.size_bytes = bytes;
  s.max_timestamp_ms = max_ts;
  return s;
}

TEST(RetentionTest, NoLimitsKeepEverything) {
  std::vector<SegmentInfo> segments = {Segment(0, 100, 0), Segment(10, 100, 0)};
  RetentionCut cut = ComputeRetention(segments, 0, kNow, {});
  EXPECT_EQ(cut.segments, 0u);
  EXPECT_EQ(cut.log_start, 0);
}

TEST(RetentionTest, RetentionMsRemovesTheOldestWhilePastIt) {
  // Ages 1001, 1000 and 10 ms against retention.ms 1000: only strictly older goes.
  std::vector<SegmentInfo> segments = {Segment(0, 100, kNow - 1001), Segment(10, 100, kNow - 1000),
                                       Segment(20, 100, kNow - 10)};
  RetentionCut cut = ComputeRetention(segments, 0, kNow, {.retention_ms = 1000});
  EXPECT_EQ(cut.segments, 1u);
  EXPECT_EQ(cut.log_start, 10);
  // Oldest first: a recent segment stops the cut even if an older-timestamped one follows.
  segments = {Segment(0, 100, kNow), Segment(10, 100, 0)};
  cut = ComputeRetention(segments, 0, kNow, {.retention_ms = 1000});
  EXPECT_EQ(cut.segments, 0u);
  EXPECT_EQ(cut.log_start, 0);
  EXPECT_EQ(ComputeRetention({}, 7, kNow, {.retention_ms = 0}).log_start, 7);
}

TEST(RetentionTest, RetentionBytesKeepsAtLeastTheLimit) {
  std::vector<SegmentInfo> segments = {Segment(0, 100, kNow), Segment(10, 100, kNow),
                                       Segment(20, 100, kNow)};
  // 300 bytes, limit 150: the first goes (200 stay), the second would leave 100.
  RetentionCut cut = ComputeRetention(segments, 0, kNow, {.retention_bytes = 150});
  EXPECT_EQ(cut.segments, 1u);
  EXPECT_EQ(cut.log_start, 10);
  // Exactly the limit left is allowed.
  cut = ComputeRetention(segments, 0, kNow, {.retention_bytes = 100});
  EXPECT_EQ(cut.segments, 2u);
  EXPECT_EQ(cut.log_start, 20);
  // retention.bytes 0 removes every segment.
  cut = ComputeRetention(segments, 0, kNow, {.retention_bytes = 0});
  EXPECT_EQ(cut.segments, 3u);
  EXPECT_EQ(cut.log_start, 30);
  cut = ComputeRetention(segments, 0, kNow, {.retention_bytes = 300});
  EXPECT_EQ(cut.segments, 0u);
}

TEST(RetentionTest, TimeThenSizeOnWhatTimeLeft) {
  std::vector<SegmentInfo> segments = {Segment(0, 500, 0), Segment(10, 100, kNow),
                                       Segment(20, 100, kNow), Segment(30, 100, kNow)};
  // Time removes the first; of the 300 bytes left, limit 200 removes one more.
  RetentionCut cut =
      ComputeRetention(segments, 0, kNow, {.retention_ms = 1000, .retention_bytes = 200});
  EXPECT_EQ(cut.segments, 2u);
  EXPECT_EQ(cut.log_start, 20);
}

TEST(RetentionTest, NeverLowersTheLogStart) {
  // The log start is inside the first segment listed (it straddles it).
  std::vector<SegmentInfo> segments = {Segment(0, 100, kNow), Segment(10, 100, kNow)};
  RetentionCut cut = ComputeRetention(segments, 5, kNow, {.retention_ms = 1000});
  EXPECT_EQ(cut.segments, 0u);
  EXPECT_EQ(cut.log_start, 5);
  cut = ComputeRetention(segments, 5, kNow, {.retention_bytes = 100});
  EXPECT_EQ(cut.segments, 1u);
  EXPECT_EQ(cut.log_start, 10);
}

}  // namespace
}  // namespace sh::storage
