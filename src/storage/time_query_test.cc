// Timestamp search (time_query.h) over a partition with two sealed segments
// and an in-memory tail, checked against a brute-force scan.
#include "storage/time_query.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "metadata/sqlite_metadata_store.h"
#include "objstore/faulty_object_store.h"
#include "objstore/memory_object_store.h"
#include "storage/partition_reader.h"
#include "storage/partition_writer.h"
#include "storage/segment_index.h"
#include "storage/segment_reader.h"

namespace sh::storage {
namespace {

constexpr int kBatchRecords = 5;

// Record timestamps by offset: rising, with two records far out of order.
int64_t TimestampOf(int64_t offset) {
  if (offset == 5) return 100'000;  // in the first segment
  if (offset == 73) return 50'000;  // in the second segment
  return 1000 + 10 * offset;
}

Bytes MakeBatch(int64_t first, records::TimestampType type = records::TimestampType::kCreateTime) {
  records::BatchOptions options;
  options.timestamp_type = type;
  records::BatchBuilder b(options);
  for (int i = 0; i < kBatchRecords; ++i) {
    b.Add(std::nullopt, std::string(100, 'v'), TimestampOf(first + i), {});
  }
  return b.Build().value();
}

class TimeQueryTest : public testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    metadata_ = std::move(db).value();
    ASSERT_TRUE(metadata_->CreateTopic({"t", 1, "{}", 0}).ok());
    index_ = std::make_unique<SegmentIndex>("t", 0, *metadata_, clock_);
    PartitionWriterOptions options;
    options.block_bytes = 1024;  // a few batches a block: the block index matters
    auto w = PartitionWriter::Open("t", 0, store_, *metadata_, index_.get(), clock_, options);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = std::move(w).value();
    reader_ = std::make_unique<PartitionReader>("t", 0, store_, *index_, cache_);
    // Segments [0, 50) and [50, 100), then the tail [100, 120).
    for (int64_t offset = 0; offset < 120; offset += kBatchRecords) {
      ASSERT_TRUE(writer_->Append(MakeBatch(offset)).ok());
      if (offset + kBatchRecords == 50 || offset + kBatchRecords == 100) {
        ASSERT_TRUE(writer_->Flush().ok());
      }
    }
    ASSERT_EQ(writer_->high_watermark(), 100);
    ASSERT_EQ(writer_->next_offset(), 120);
  }

  // The log as a fetch reads it: sealed segments, then the tail.
  LogSource Source() {
    return [this](int64_t offset, size_t max_bytes) -> Result<Bytes> {
      if (offset >= writer_->next_offset()) return Bytes();
      if (offset >= writer_->tail_start()) return writer_->ReadTail(offset, max_bytes);
      SH_ASSIGN_OR_RETURN(ReadResult sealed, reader_->Read(offset, max_bytes));
      return std::move(sealed.batches);
    };
  }

  std::vector<SegmentInfo> Segments(int64_t log_start) {
    auto segments = metadata_->ListSegments("t", 0, log_start);
    EXPECT_TRUE(segments.ok()) << segments.status().ToString();
    return segments.ok() ? *segments : std::vector<SegmentInfo>{};
  }

  std::optional<TimestampHit> Find(int64_t log_start, int64_t ts) {
    auto found = FindOffsetForTimestamp(*reader_, Segments(log_start), log_start, ts, Source());
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : std::nullopt;
  }

  // The first record at offset >= log_start with timestamp >= ts, by brute force.
  static std::optional<TimestampHit> Expected(int64_t log_start, int64_t ts) {
    for (int64_t offset = log_start; offset < 120; ++offset) {
      if (TimestampOf(offset) >= ts) return TimestampHit{offset, TimestampOf(offset)};
    }
    return std::nullopt;
  }

  ManualClock clock_;
  MemoryObjectStore memory_;
  FaultyObjectStore store_{memory_};
  std::unique_ptr<SqliteMetadataStore> metadata_;
  std::unique_ptr<SegmentIndex> index_;
  SegmentCache cache_{64 << 20};
  std::unique_ptr<PartitionWriter> writer_;
  std::unique_ptr<PartitionReader> reader_;
};

TEST_F(TimeQueryTest, FindsTheFirstRecordAtOrAfterTheTimestamp) {
  // In a sealed segment: exactly a record's timestamp, and just after it
  // (from 74 on, past the out-of-order records).
  EXPECT_EQ(Find(74, TimestampOf(80)), (TimestampHit{80, TimestampOf(80)}));
  EXPECT_EQ(Find(74, TimestampOf(80) + 1), (TimestampHit{81, TimestampOf(81)}));
  EXPECT_EQ(Find(6, TimestampOf(20)), (TimestampHit{20, TimestampOf(20)}));
  // In the in-memory tail (offsets 100..119 are not sealed).
  EXPECT_EQ(Find(74, TimestampOf(110)), (TimestampHit{110, TimestampOf(110)}));
  EXPECT_EQ(Find(100, TimestampOf(110) - 3), (TimestampHit{110, TimestampOf(110)}));
  // Segments whose max timestamp is too early are passed by their metadata.
  EXPECT_EQ(Find(6, 60'000), std::nullopt);
  // Before every record: the first record at the log start.
  EXPECT_EQ(Find(0, 0), (TimestampHit{0, TimestampOf(0)}));
  EXPECT_EQ(Find(22, 0), (TimestampHit{22, TimestampOf(22)}));
  // A timestamp whose record is below the log start: the first one after it.
  EXPECT_EQ(Find(22, TimestampOf(10)), (TimestampHit{22, TimestampOf(22)}));
  // Offset order, not timestamp order: 5 is the first record at or after 2000.
  EXPECT_EQ(Find(0, 2000), (TimestampHit{5, 100'000}));
  EXPECT_EQ(Find(6, 2000), (TimestampHit{73, 50'000}));
  // After the end: nothing.
  EXPECT_EQ(Find(0, 100'001), std::nullopt);
  EXPECT_EQ(Find(74, TimestampOf(119) + 1), std::nullopt);
  EXPECT_EQ(Find(120, 0), std::nullopt);
}

TEST_F(TimeQueryTest, MatchesABruteForceScan) {
  std::vector<int64_t> timestamps = {0, 999, 50'000, 50'001, 100'000, 100'001};
  for (int64_t offset = 0; offset < 120; ++offset) {
    timestamps.push_back(TimestampOf(offset));
    timestamps.push_back(TimestampOf(offset) + 1);
  }
  for (int64_t log_start : {0, 3, 22, 49, 50, 51, 99, 100, 101, 119, 120}) {
    for (int64_t ts : timestamps) {
      ASSERT_EQ(Find(log_start, ts), Expected(log_start, ts))
          << "log start " << log_start << ", timestamp " << ts;
    }
  }
}

TEST_F(TimeQueryTest, SealedSearchUsesTheReadersBlockCache) {
  ASSERT_EQ(Find(74, TimestampOf(80)), (TimestampHit{80, TimestampOf(80)}));
  const uint64_t ranges = store_.calls(ObjectOp::kGetRange);
  ASSERT_GT(ranges, 0u);
  ASSERT_EQ(Find(74, TimestampOf(80)), (TimestampHit{80, TimestampOf(80)}));
  EXPECT_EQ(store_.calls(ObjectOp::kGetRange), ranges);
  // The segment's reader and the block holding 80 are in the cache fetches use.
  std::vector<SegmentInfo> segments = Segments(74);
  ASSERT_FALSE(segments.empty());
  std::shared_ptr<const SegmentReader> segment = cache_.GetReader(segments[0].object_key);
  ASSERT_NE(segment, nullptr);
  std::optional<size_t> block = segment->FindBlock(80);
  ASSERT_TRUE(block.has_value());
  EXPECT_NE(cache_.GetBlock(segments[0].object_key, *block), nullptr);
}

TEST_F(TimeQueryTest, FindMaxTimestampCountsOnlyRecordsFromTheLogStart) {
  auto max = [&](int64_t log_start) {
    auto found = FindMaxTimestamp(Segments(log_start), log_start, Source());
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : std::nullopt;
  };
  EXPECT_EQ(max(0), 100'000);  // offset 5, from the first segment's metadata
  EXPECT_EQ(max(6), 50'000);   // the first segment straddles 6: read from there
  EXPECT_EQ(max(74), TimestampOf(119));
  EXPECT_EQ(max(100), TimestampOf(119));  // the tail alone
  EXPECT_EQ(max(120), std::nullopt);
}

TEST(FindInBatchTest, LogAppendTimeRecordsCarryTheBatchTimestamp) {
  Bytes batch = MakeBatch(10);
  records::SetLogAppendTime(batch.data(), batch.size(), 7000);
  auto view = records::RecordBatchView::Parse(batch);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  // Every record has timestamp 7000: the first at or after `from` matches.
  EXPECT_EQ(*FindInBatch(*view, 0, 7000), (TimestampHit{0, 7000}));
  EXPECT_EQ(*FindInBatch(*view, 3, 1), (TimestampHit{3, 7000}));
  EXPECT_EQ(*FindInBatch(*view, 0, 7001), std::nullopt);
  EXPECT_EQ(*FindInBatch(*view, 5, 0), std::nullopt);  // past the batch
}

}  // namespace
}  // namespace sh::storage
