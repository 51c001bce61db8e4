#include "storage/segment_builder.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "records/record_batch.h"
#include "storage/segment_reader.h"

namespace sh::storage {
namespace {

using records::Compression;

// A real v2 batch of n records at base_offset with timestamps ts, ts+1, ...;
// values are JSON-ish text so that lz4/zstd have something to compress.
Bytes MakeBatch(int64_t base_offset, int n, int64_t ts,
                Compression compression = Compression::kNone) {
  records::BatchBuilder b({.compression = compression, .base_offset = base_offset});
  for (int i = 0; i < n; ++i) {
    b.Add("key-" + std::to_string(base_offset + i),
          R"({"user":)" + std::to_string((base_offset + i) * 7919 % 1000) +
              R"(,"event":"click","page":"/home"})",
          ts + i);
  }
  auto built = b.Build();
  SH_CHECK_MSG(built.ok(), built.status().ToString());
  return std::move(built).value();
}

BlockHeader StoredBlockHeader(const Bytes& object, const BlockIndexEntry& e) {
  auto h = DecodeBlockHeader(ByteView(object).subspan(e.file_position, kBlockHeaderSize));
  SH_CHECK_MSG(h.ok(), h.status().ToString());
  return *h;
}

TEST(SegmentBuilderTest, EmptySegmentIsHeaderAndFooter) {
  SegmentBuilder b(42, BlockCodec::kLz4);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.next_offset(), 42);
  EXPECT_EQ(b.min_timestamp(), -1);
  auto object = b.Finish();
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->size(), kSegmentHeaderSize + kSegmentFooterSize);
  auto r = SegmentReader::OpenBytes("empty", *object);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->base_offset(), 42);
  EXPECT_EQ((*r)->end_offset(), 42);
  EXPECT_EQ((*r)->record_count(), 0u);
  EXPECT_EQ((*r)->codec(), BlockCodec::kLz4);
  EXPECT_TRUE((*r)->blocks().empty());
  EXPECT_FALSE((*r)->FindBlock(0).has_value());
  EXPECT_FALSE((*r)->FindBlockByTimestamp(0).has_value());
}

TEST(SegmentBuilderTest, TracksOffsetsCountsAndTimestamps) {
  SegmentBuilder b(10, BlockCodec::kNone);
  Bytes b1 = MakeBatch(10, 3, 5000);
  Bytes b2 = MakeBatch(13, 2, 4000);  // earlier timestamps than b1
  ASSERT_TRUE(b.Add(b1).ok());
  EXPECT_EQ(b.next_offset(), 13);
  ASSERT_TRUE(b.Add(b2).ok());
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(b.base_offset(), 10);
  EXPECT_EQ(b.next_offset(), 15);
  EXPECT_EQ(b.record_count(), 5u);
  EXPECT_EQ(b.raw_bytes(), b1.size() + b2.size());
  EXPECT_EQ(b.min_timestamp(), 4000);
  EXPECT_EQ(b.max_timestamp(), 5002);
}

TEST(SegmentBuilderTest, RejectsOffsetsBelowNextOffset) {
  SegmentBuilder b(100, BlockCodec::kNone);
  EXPECT_EQ(b.Add(MakeBatch(99, 1, 0)).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(b.Add(MakeBatch(100, 5, 0)).ok());
  Status overlap = b.Add(MakeBatch(104, 1, 0));
  EXPECT_EQ(overlap.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(overlap.message().find("104"), std::string::npos) << overlap.message();
  EXPECT_TRUE(b.Add(MakeBatch(107, 1, 0)).ok());  // gaps are allowed
  EXPECT_EQ(b.next_offset(), 108);
}

TEST(SegmentBuilderTest, RejectsBytesThatAreNotOneBatch) {
  SegmentBuilder b(0, BlockCodec::kNone);
  Bytes batch = MakeBatch(0, 2, 0);
  EXPECT_EQ(b.Add(ByteView(batch).first(30)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(b.Add(ByteView(batch).first(batch.size() - 1)).code(), ErrorCode::kInvalidArgument);
  Bytes two = batch;
  Bytes next = MakeBatch(2, 1, 0);
  two.insert(two.end(), next.begin(), next.end());
  EXPECT_EQ(b.Add(two).code(), ErrorCode::kInvalidArgument);
  Bytes bad_magic = batch;
  bad_magic[records::kMagicOffset] = 1;
  EXPECT_EQ(b.Add(bad_magic).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.Add(batch).ok());
}

TEST(SegmentBuilderTest, SpentAfterFinish) {
  SegmentBuilder b(0, BlockCodec::kNone);
  ASSERT_TRUE(b.Add(MakeBatch(0, 1, 0)).ok());
  ASSERT_TRUE(b.Finish().ok());
  EXPECT_EQ(b.Add(MakeBatch(1, 1, 0)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(b.Finish().status().code(), ErrorCode::kInvalidArgument);
}

TEST(SegmentBuilderTest, GapBeforeFirstBatchBelongsToBlockZero) {
  SegmentBuilder b(50, BlockCodec::kNone);
  ASSERT_TRUE(b.Add(MakeBatch(60, 2, 0)).ok());
  auto object = b.Finish();
  ASSERT_TRUE(object.ok());
  auto r = SegmentReader::OpenBytes("gap", *object);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->base_offset(), 50);
  EXPECT_EQ((*r)->blocks()[0].first_offset, 50);
  EXPECT_EQ((*r)->end_offset(), 62);
  EXPECT_EQ((*r)->FindBlock(55), std::optional<size_t>(0));
  auto block = (*r)->DecodeBlock(
      0, ByteView(*object).subspan((*r)->BlockRange(0).first, (*r)->BlockRange(0).second));
  EXPECT_TRUE(block.ok()) << block.status().ToString();
}

TEST(SegmentBuilderTest, ReserveChangesNoByte) {
  // Reserve only allocates: the object is the same, compressed or not, with
  // a guess too small, right, or far too large.
  std::vector<Bytes> batches;
  size_t raw = 0;
  for (int64_t offset = 0; offset < 300; offset += 5) {
    batches.push_back(MakeBatch(offset, 5, 1000 + offset));
    raw += batches.back().size();
  }
  for (BlockCodec codec : {BlockCodec::kNone, BlockCodec::kLz4, BlockCodec::kZstd}) {
    auto build = [&](std::optional<size_t> reserve) {
      SegmentBuilder b(0, codec, 4096);
      if (reserve) b.Reserve(*reserve);
      for (const Bytes& batch : batches) EXPECT_TRUE(b.Add(batch).ok());
      return b.Finish().value();
    };
    Bytes plain = build(std::nullopt);
    EXPECT_EQ(build(raw), plain);
    EXPECT_EQ(build(raw / 10), plain);
    EXPECT_EQ(build(raw * 10), plain);
    Bytes reserved = build(raw * 10);
    // What compression saved is not kept allocated with the object.
    EXPECT_LE(reserved.capacity() - reserved.size(), reserved.size() / 4);
  }
}

TEST(SegmentBuilderTest, SplitsBlocksAtBlockBytes) {
  const size_t kBlockBytes = 4096;
  SegmentBuilder b(0, BlockCodec::kLz4, kBlockBytes);
  int64_t offset = 0;
  Bytes all;
  for (int i = 0; i < 40; ++i) {
    Bytes batch = MakeBatch(offset, 1 + i % 7, 1000 + offset);
    offset += 1 + i % 7;
    all.insert(all.end(), batch.begin(), batch.end());
    ASSERT_TRUE(b.Add(batch).ok());
  }
  Bytes big = MakeBatch(offset, 200, 0);  // larger than a block: a block of its own
  ASSERT_GT(big.size(), kBlockBytes);
  ASSERT_TRUE(b.Add(big).ok());
  auto object = b.Finish();
  ASSERT_TRUE(object.ok());
  auto r = SegmentReader::OpenBytes("split", *object);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& blocks = (*r)->blocks();
  ASSERT_GT(blocks.size(), 3u);
  for (size_t i = 0; i + 1 < blocks.size(); ++i) {
    BlockHeader h = StoredBlockHeader(*object, blocks[i]);
    EXPECT_LE(h.raw_length, kBlockBytes) << "block " << i;
    EXPECT_EQ(h.codec, BlockCodec::kLz4) << "block " << i;
    EXPECT_LT(h.stored_length, h.raw_length) << "block " << i;
    EXPECT_EQ(blocks[i + 1].first_offset, blocks[i].last_offset + 1);
  }
  EXPECT_EQ(StoredBlockHeader(*object, blocks.back()).raw_length, big.size());
  Bytes read;
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto [pos, len] = (*r)->BlockRange(i);
    auto block = (*r)->DecodeBlock(i, ByteView(*object).subspan(pos, len));
    ASSERT_TRUE(block.ok()) << block.status().ToString();
    read.insert(read.end(), block->begin(), block->end());
  }
  all.insert(all.end(), big.begin(), big.end());
  EXPECT_EQ(read, all);
}

TEST(SegmentBuilderTest, ProducerCompressedBlocksAreStoredUncompressed) {
  SegmentBuilder b(0, BlockCodec::kZstd, 1);  // block_bytes 1: one batch per block
  ASSERT_TRUE(b.Add(MakeBatch(0, 20, 0, Compression::kLz4)).ok());
  ASSERT_TRUE(b.Add(MakeBatch(20, 20, 0, Compression::kGzip)).ok());
  ASSERT_TRUE(b.Add(MakeBatch(40, 20, 0)).ok());
  auto object = b.Finish();
  ASSERT_TRUE(object.ok());
  auto r = SegmentReader::OpenBytes("producer-compressed", *object);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)->blocks().size(), 3u);
  EXPECT_EQ((*r)->codec(), BlockCodec::kZstd);
  EXPECT_EQ(StoredBlockHeader(*object, (*r)->blocks()[0]).codec, BlockCodec::kNone);
  EXPECT_EQ(StoredBlockHeader(*object, (*r)->blocks()[1]).codec, BlockCodec::kNone);
  EXPECT_EQ(StoredBlockHeader(*object, (*r)->blocks()[2]).codec, BlockCodec::kZstd);
}

TEST(SegmentBuilderTest, MixedBlockIsCompressed) {
  SegmentBuilder b(0, BlockCodec::kLz4);
  ASSERT_TRUE(b.Add(MakeBatch(0, 20, 0, Compression::kZstd)).ok());
  ASSERT_TRUE(b.Add(MakeBatch(20, 20, 0)).ok());
  auto object = b.Finish();
  ASSERT_TRUE(object.ok());
  auto r = SegmentReader::OpenBytes("mixed", *object);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->blocks().size(), 1u);
  EXPECT_EQ(StoredBlockHeader(*object, (*r)->blocks()[0]).codec, BlockCodec::kLz4);
}

TEST(SegmentBuilderTest, IncompressibleBlockIsStoredUncompressed) {
  std::mt19937_64 rng(7);
  records::BatchBuilder bb({.base_offset = 0});
  for (int i = 0; i < 8; ++i) {
    std::string value(512, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    bb.Add(std::nullopt, value, i);
  }
  Bytes batch = std::move(bb.Build()).value();
  for (BlockCodec codec : {BlockCodec::kLz4, BlockCodec::kZstd}) {
    SegmentBuilder b(0, codec);
    ASSERT_TRUE(b.Add(batch).ok());
    auto object = b.Finish();
    ASSERT_TRUE(object.ok());
    auto r = SegmentReader::OpenBytes("random", *object);
    ASSERT_TRUE(r.ok());
    BlockHeader h = StoredBlockHeader(*object, (*r)->blocks()[0]);
    EXPECT_EQ(h.codec, BlockCodec::kNone) << BlockCodecName(codec);
    EXPECT_EQ(h.raw_length, batch.size());
  }
}

}  // namespace
}  // namespace sh::storage
