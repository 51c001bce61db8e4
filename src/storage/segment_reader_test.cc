#include "storage/segment_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "objstore/memory_object_store.h"
#include "records/record_batch.h"
#include "storage/segment_builder.h"

namespace sh::storage {
namespace {

// Counts ranged GETs and remembers the last range, to pin Open's and
// ReadBlock's read pattern.
class CountingStore final : public ObjectStore {
 public:
  Status Put(std::string_view key, ByteView data) override { return inner_.Put(key, data); }
  Result<Bytes> Get(std::string_view key) override {
    ++gets;
    return inner_.Get(key);
  }
  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    ++range_gets;
    last_range = {offset, length};
    return inner_.GetRange(key, offset, length);
  }
  Result<uint64_t> Size(std::string_view key) override { return inner_.Size(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return inner_.List(prefix);
  }
  Status Delete(std::string_view key) override { return inner_.Delete(key); }
  std::string Describe() const override { return "counting"; }

  int gets = 0;
  int range_gets = 0;
  std::pair<uint64_t, uint64_t> last_range;

 private:
  MemoryObjectStore inner_;
};

struct Built {
  Bytes object;
  std::vector<Bytes> batches;
  std::vector<records::Record> records;
};

// count batches of 1..5 records; offsets may skip (gap) after every 10th
// batch; timestamps wander so max_timestamp is not monotonic across blocks.
Built BuildSegment(BlockCodec codec, int count, size_t block_bytes, int64_t base = 1000,
                   bool gaps = false) {
  Built out;
  SegmentBuilder builder(base, codec, block_bytes);
  int64_t offset = base;
  for (int i = 0; i < count; ++i) {
    int n = 1 + i % 5;
    records::BatchBuilder bb({.base_offset = offset});
    for (int j = 0; j < n; ++j) {
      int64_t ts = 50000 + (i % 13) * 100 + j;
      std::string value = R"({"id":)" + std::to_string(offset + j) + R"(,"name":"item)" +
                          std::to_string((offset + j) * 31 % 97) + R"("})";
      bb.Add("k" + std::to_string(offset + j), value, ts);
      out.records.push_back({offset + j, ts, "k" + std::to_string(offset + j), value, {}});
    }
    Bytes batch = std::move(bb.Build()).value();
    Status st = builder.Add(batch);
    SH_CHECK_MSG(st.ok(), st.ToString());
    out.batches.push_back(std::move(batch));
    offset += n + ((gaps && i % 10 == 9) ? 3 : 0);
  }
  out.object = std::move(builder.Finish()).value();
  return out;
}

Bytes Concat(const std::vector<Bytes>& parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

class SegmentReaderCodecTest : public ::testing::TestWithParam<BlockCodec> {};

TEST_P(SegmentReaderCodecTest, RoundTripThroughStore) {
  Built seg = BuildSegment(GetParam(), 400, 8192);
  CountingStore store;
  const std::string key = SegmentObjectKey("t", 0, 1000);
  ASSERT_TRUE(store.Put(key, seg.object).ok());
  auto r = SegmentReader::Open(store, key, seg.object.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const SegmentReader& reader = **r;
  EXPECT_EQ(reader.key(), key);
  EXPECT_EQ(reader.size(), seg.object.size());
  EXPECT_EQ(reader.codec(), GetParam());
  EXPECT_EQ(reader.base_offset(), 1000);
  EXPECT_EQ(reader.end_offset(), seg.records.back().offset + 1);
  EXPECT_EQ(reader.record_count(), seg.records.size());
  ASSERT_GT(reader.blocks().size(), 5u);

  Bytes read;
  std::vector<records::Record> decoded;
  for (size_t i = 0; i < reader.blocks().size(); ++i) {
    int before = store.range_gets;
    auto block = reader.ReadBlock(store, i);
    ASSERT_TRUE(block.ok()) << block.status().ToString();
    EXPECT_EQ(store.range_gets, before + 1);
    EXPECT_EQ(store.last_range, reader.BlockRange(i));
    auto batches = records::ParseBatches(*block);
    ASSERT_TRUE(batches.ok()) << batches.status().ToString();
    for (const auto& b : *batches) {
      auto recs = b.DecodeRecords();
      ASSERT_TRUE(recs.ok());
      decoded.insert(decoded.end(), recs->begin(), recs->end());
    }
    read.insert(read.end(), block->begin(), block->end());
  }
  EXPECT_EQ(read, Concat(seg.batches));
  EXPECT_EQ(decoded, seg.records);
  EXPECT_EQ(store.gets, 0);  // never a whole-object GET
}

INSTANTIATE_TEST_SUITE_P(Codecs, SegmentReaderCodecTest,
                         ::testing::Values(BlockCodec::kNone, BlockCodec::kLz4, BlockCodec::kZstd),
                         [](const auto& info) { return std::string(BlockCodecName(info.param)); });

TEST(SegmentReaderTest, FindBlockCoversEveryOffset) {
  Built seg = BuildSegment(BlockCodec::kLz4, 200, 2048, 500, /*gaps=*/true);
  auto r = SegmentReader::OpenBytes("find", seg.object);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& blocks = (*r)->blocks();
  for (int64_t o = 0; o < (*r)->end_offset() + 5; ++o) {
    std::optional<size_t> found = (*r)->FindBlock(o);
    if (o >= (*r)->end_offset()) {
      EXPECT_FALSE(found.has_value()) << o;
      continue;
    }
    ASSERT_TRUE(found.has_value()) << o;
    const BlockIndexEntry& e = blocks[*found];
    // Holds o, or is the first block after it (o in a gap or below the base).
    EXPECT_GE(e.last_offset, o);
    if (e.first_offset > o && *found > 0) {
      EXPECT_LT(blocks[*found - 1].last_offset, o);
    }
  }
  EXPECT_EQ((*r)->FindBlock(0), std::optional<size_t>(0));
}

TEST(SegmentReaderTest, FindBlockByTimestamp) {
  Built seg = BuildSegment(BlockCodec::kNone, 200, 1024);
  auto r = SegmentReader::OpenBytes("ts", seg.object);
  ASSERT_TRUE(r.ok());
  const auto& blocks = (*r)->blocks();
  for (int64_t ts = 49990; ts < 51500; ts += 7) {
    std::optional<size_t> want;
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i].max_timestamp >= ts) {
        want = i;
        break;
      }
    }
    EXPECT_EQ((*r)->FindBlockByTimestamp(ts), want) << ts;
  }
}

TEST(SegmentReaderTest, SmallObjectOpensWithOneGet) {
  Built seg = BuildSegment(BlockCodec::kLz4, 20, 1024);
  ASSERT_LE(seg.object.size(), kSegmentTailReadBytes);
  CountingStore store;
  ASSERT_TRUE(store.Put("s", seg.object).ok());
  ASSERT_TRUE(SegmentReader::Open(store, "s", seg.object.size()).ok());
  EXPECT_EQ(store.range_gets, 1);
  EXPECT_EQ(store.last_range, std::make_pair(uint64_t{0}, uint64_t{seg.object.size()}));
}

TEST(SegmentReaderTest, LargeObjectReadsTailThenHeader) {
  Built seg = BuildSegment(BlockCodec::kNone, 600, 8192);
  ASSERT_GT(seg.object.size(), kSegmentTailReadBytes);
  CountingStore store;
  ASSERT_TRUE(store.Put("l", seg.object).ok());
  auto r = SegmentReader::Open(store, "l", seg.object.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store.range_gets, 2);  // tail (footer + index), then the 32-byte header
  EXPECT_EQ(store.last_range, std::make_pair(uint64_t{0}, uint64_t{kSegmentHeaderSize}));
  EXPECT_EQ((*r)->record_count(), seg.records.size());
}

TEST(SegmentReaderTest, IndexLargerThanTailTakesOneMoreGet) {
  // One batch per block: 2,000 index entries = 80,000 bytes > 64 KiB.
  Built seg = BuildSegment(BlockCodec::kNone, 2000, 1);
  CountingStore store;
  ASSERT_TRUE(store.Put("big-index", seg.object).ok());
  auto r = SegmentReader::Open(store, "big-index", seg.object.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)->blocks().size(), 2000u);
  EXPECT_EQ(store.range_gets, 3);
  auto block = (*r)->ReadBlock(store, 1234);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, seg.batches[1234]);
}

TEST(SegmentReaderTest, StoreErrorsAndBadArguments) {
  Built seg = BuildSegment(BlockCodec::kNone, 10, 1024);
  CountingStore store;
  auto missing = SegmentReader::Open(store, "nope", 1000);
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);

  ASSERT_TRUE(store.Put("k", seg.object).ok());
  // A size that is not the object's: the "footer" is read from the wrong place.
  auto wrong = SegmentReader::Open(store, "k", seg.object.size() - 1);
  EXPECT_EQ(wrong.status().code(), ErrorCode::kCorruption);
  auto tiny = SegmentReader::Open(store, "k", 10);
  EXPECT_EQ(tiny.status().code(), ErrorCode::kCorruption);

  auto r = SegmentReader::Open(store, "k", seg.object.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->ReadBlock(store, (*r)->blocks().size()).status().code(), ErrorCode::kOutOfRange);
  ASSERT_TRUE(store.Delete("k").ok());
  EXPECT_EQ((*r)->ReadBlock(store, 0).status().code(), ErrorCode::kNotFound);
  // Bytes of the wrong length for the block.
  EXPECT_EQ((*r)->DecodeBlock(0, ByteView(seg.object).subspan(32, 20)).status().code(),
            ErrorCode::kCorruption);
}

// Two blocks of identical length swapped in place: every CRC still matches,
// but the batches no longer match their index entries.
TEST(SegmentReaderTest, SwappedBlocksAreDetected) {
  SegmentBuilder builder(0, BlockCodec::kNone, 1);
  for (int i = 0; i < 3; ++i) {
    records::BatchBuilder bb({.base_offset = i});
    bb.Add("k", "same-size-value", 1000);
    ASSERT_TRUE(builder.Add(std::move(bb.Build()).value()).ok());
  }
  Bytes object = std::move(builder.Finish()).value();
  auto r = SegmentReader::OpenBytes("swap", object);
  ASSERT_TRUE(r.ok());
  auto [p1, len1] = (*r)->BlockRange(1);
  auto [p2, len2] = (*r)->BlockRange(2);
  ASSERT_EQ(len1, len2);
  std::swap_ranges(object.begin() + p1, object.begin() + p1 + len1, object.begin() + p2);
  auto block = (*r)->DecodeBlock(1, ByteView(object).subspan(p1, len1));
  EXPECT_EQ(block.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(block.status().message().find("swap: block 1 payload"), std::string::npos)
      << block.status().message();
}

}  // namespace
}  // namespace sh::storage
