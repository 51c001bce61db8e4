// Flips every byte of small segments (header, block headers, payloads, index,
// footer) and checks that the reader reports Corruption naming the region the
// byte belongs to, and never hands back bytes that differ from what was written.
#include <gtest/gtest.h>

#include <string>

#include "objstore/memory_object_store.h"
#include "records/record_batch.h"
#include "storage/segment_builder.h"
#include "storage/segment_reader.h"

namespace sh::storage {
namespace {

using records::Compression;

constexpr char kKey[] = "topics/t/0/seg_00000000000000000100.bin";

Bytes MakeBatch(int64_t base_offset, int n, Compression compression = Compression::kNone) {
  records::BatchBuilder b({.compression = compression, .base_offset = base_offset});
  for (int i = 0; i < n; ++i) {
    b.Add("k" + std::to_string(i),
          R"({"n":)" + std::to_string(base_offset + i) + R"(,"s":"abcabc"})",
          1000 + base_offset + i);
  }
  return std::move(b.Build()).value();
}

// Three blocks; with mixed_producer_codecs the middle one holds a
// producer-compressed batch, so an lz4/zstd segment has a codec-none block.
Bytes SmallSegment(BlockCodec codec, bool mixed_producer_codecs) {
  SegmentBuilder b(100, codec, 200);
  int64_t offset = 100;
  for (int i = 0; i < 3; ++i) {
    Compression c = (mixed_producer_codecs && i == 1) ? Compression::kSnappy : Compression::kNone;
    Bytes batch = MakeBatch(offset, 6, c);
    SH_CHECK(b.Add(batch).ok());
    offset += 6;
  }
  return std::move(b.Finish()).value();
}

// Where byte pos lies, as the prefix(es) an error message about it may start with.
std::vector<std::string> RegionPrefixes(const SegmentReader& r, uint64_t pos) {
  const std::string k = std::string("segment ") + kKey + ": ";
  if (pos < kSegmentHeaderSize) return {k + "header"};
  for (size_t i = 0; i < r.blocks().size(); ++i) {
    auto [start, len] = r.BlockRange(i);
    if (pos >= start && pos < start + len) {
      std::string b = k + "block " + std::to_string(i);
      return {b + ":", b + " header:", b + " payload:"};
    }
  }
  uint64_t footer_start = r.size() - kSegmentFooterSize;
  if (pos < footer_start) return {k + "index"};
  return {k + "footer", k + "index and footer"};
}

bool StartsWithAny(const std::string& s, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes) {
    if (s.rfind(p, 0) == 0) return true;
  }
  return false;
}

// Applies every single-bit flip and an all-bits flip to every byte; each mutated object must fail
// in Open or in DecodeBlock with a Corruption about the flipped region.
void FlipEveryByte(const Bytes& object, bool through_store) {
  auto clean = SegmentReader::OpenBytes(kKey, object);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  std::vector<Bytes> blocks;
  for (size_t i = 0; i < (*clean)->blocks().size(); ++i) {
    auto [pos, len] = (*clean)->BlockRange(i);
    blocks.push_back(
        std::move((*clean)->DecodeBlock(i, ByteView(object).subspan(pos, len))).value());
  }
  MemoryObjectStore store;
  for (size_t pos = 0; pos < object.size(); ++pos) {
    for (int mask : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}) {
      Bytes bad = object;
      bad[pos] ^= mask;
      SCOPED_TRACE("byte " + std::to_string(pos) + " ^ " + std::to_string(mask));
      std::vector<std::string> want = RegionPrefixes(**clean, pos);
      Result<std::shared_ptr<const SegmentReader>> r =
          through_store ? (store.Put(kKey, bad).ok() ? SegmentReader::Open(store, kKey, bad.size())
                                                     : Status::Internal("put"))
                        : SegmentReader::OpenBytes(kKey, bad);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), ErrorCode::kCorruption) << r.status().ToString();
        EXPECT_TRUE(StartsWithAny(r.status().message(), want)) << r.status().message();
        continue;
      }
      bool failed = false;
      for (size_t i = 0; i < (*r)->blocks().size(); ++i) {
        Result<Bytes> block = through_store ? (*r)->ReadBlock(store, i) : (*r)->DecodeBlock(i, [&] {
          auto [p, l] = (*r)->BlockRange(i);
          return ByteView(bad).subspan(p, l);
        }());
        if (block.ok()) {
          EXPECT_EQ(*block, blocks[i]) << "block " << i << " returned changed bytes";
          continue;
        }
        failed = true;
        EXPECT_EQ(block.status().code(), ErrorCode::kCorruption) << block.status().ToString();
        EXPECT_TRUE(StartsWithAny(block.status().message(), want)) << block.status().message();
      }
      EXPECT_TRUE(failed) << "flip went unnoticed";
    }
  }
}

TEST(SegmentCorruptionTest, EveryByteFlipNone) {
  FlipEveryByte(SmallSegment(BlockCodec::kNone, false), false);
}
TEST(SegmentCorruptionTest, EveryByteFlipLz4WithUncompressedBlock) {
  FlipEveryByte(SmallSegment(BlockCodec::kLz4, true), false);
}
TEST(SegmentCorruptionTest, EveryByteFlipZstdWithUncompressedBlock) {
  FlipEveryByte(SmallSegment(BlockCodec::kZstd, true), false);
}
TEST(SegmentCorruptionTest, EveryByteFlipThroughStore) {
  FlipEveryByte(SmallSegment(BlockCodec::kLz4, false), true);
}
TEST(SegmentCorruptionTest, EveryByteFlipEmptySegment) {
  SegmentBuilder b(100, BlockCodec::kNone);
  FlipEveryByte(std::move(b.Finish()).value(), false);
}

// Objects over the tail read: the header comes from its own GET, and must be
// checked just the same.
TEST(SegmentCorruptionTest, LargeObjectHeaderFlips) {
  SegmentBuilder b(100, BlockCodec::kNone);
  int64_t offset = 100;
  while (b.raw_bytes() < 2 * kSegmentTailReadBytes) {
    SH_CHECK(b.Add(MakeBatch(offset, 50)).ok());
    offset += 50;
  }
  Bytes object = std::move(b.Finish()).value();
  MemoryObjectStore store;
  for (size_t pos = 0; pos < kSegmentHeaderSize; ++pos) {
    Bytes bad = object;
    bad[pos] ^= 0x01;
    ASSERT_TRUE(store.Put(kKey, bad).ok());
    auto r = SegmentReader::Open(store, kKey, bad.size());
    ASSERT_FALSE(r.ok()) << "byte " << pos;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    EXPECT_EQ(r.status().message().rfind(std::string("segment ") + kKey + ": header", 0), 0u)
        << r.status().message();
  }
}

// Truncations of any length are caught (the footer moves).
TEST(SegmentCorruptionTest, TruncatedObjects) {
  Bytes object = SmallSegment(BlockCodec::kLz4, false);
  for (size_t n = 0; n < object.size(); ++n) {
    auto r = SegmentReader::OpenBytes(kKey, ByteView(object).first(n));
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption) << n;
  }
}

}  // namespace
}  // namespace sh::storage
