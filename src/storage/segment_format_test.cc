// Pins the segment byte layout of docs/formats/segment.md: every field is read
// back at its documented offset, and a small known segment is compared byte for
// byte with a constant, so any change to the format fails here first.
#include "storage/segment_format.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "base/crc32c.h"
#include "storage/segment_builder.h"
#include "storage/segment_reader.h"

namespace sh::storage {
namespace {

uint16_t LoadLE16(const Bytes& b, size_t pos) { return uint16_t(b[pos] | (b[pos + 1] << 8)); }
uint32_t LoadLE32(const Bytes& b, size_t pos) {
  return uint32_t{b[pos]} | (uint32_t{b[pos + 1]} << 8) | (uint32_t{b[pos + 2]} << 16) |
         (uint32_t{b[pos + 3]} << 24);
}
uint64_t LoadLE64(const Bytes& b, size_t pos) {
  return uint64_t{LoadLE32(b, pos)} | (uint64_t{LoadLE32(b, pos + 4)} << 32);
}

std::string Hex(const Bytes& b) {
  std::string s;
  char buf[3];
  for (uint8_t c : b) {
    std::snprintf(buf, sizeof(buf), "%02x", c);
    s += buf;
  }
  return s;
}

// A batch built by hand from the documented header layout (no records module
// involved): base offset 100, two offsets, timestamps 1000 and 1001, and a
// 3-byte records section "abc". The segment code only reads batch headers.
Bytes HandBatch() {
  Bytes b(61, 0);
  StoreBE64(b.data(), 100);              // baseOffset
  StoreBE32(b.data() + 8, 61 - 12 + 3);  // batchLength
  StoreBE32(b.data() + 12, 0);           // partitionLeaderEpoch
  b[16] = 2;                             // magic
  // attributes 0 at 21, lastOffsetDelta at 23
  StoreBE32(b.data() + 23, 1);
  StoreBE64(b.data() + 27, 1000);                       // baseTimestamp
  StoreBE64(b.data() + 35, 1001);                       // maxTimestamp
  StoreBE64(b.data() + 43, static_cast<uint64_t>(-1));  // producerId
  b[51] = 0xff;                                         // producerEpoch -1
  b[52] = 0xff;
  StoreBE32(b.data() + 53, 0xffffffff);  // baseSequence -1
  StoreBE32(b.data() + 57, 2);           // recordCount
  b.push_back('a');
  b.push_back('b');
  b.push_back('c');
  StoreBE32(b.data() + 17, crc32c::Value(b.data() + 21, b.size() - 21));
  return b;
}

Bytes KnownSegment() {
  SegmentBuilder builder(100, BlockCodec::kNone);
  Status st = builder.Add(HandBatch());
  SH_CHECK_MSG(st.ok(), st.ToString());
  return std::move(builder.Finish()).value();
}

TEST(SegmentFormatTest, CodecNames) {
  for (BlockCodec c : {BlockCodec::kNone, BlockCodec::kLz4, BlockCodec::kZstd}) {
    auto parsed = ParseBlockCodec(BlockCodecName(c));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, c);
  }
  EXPECT_STREQ(BlockCodecName(BlockCodec::kLz4), "lz4");
  EXPECT_EQ(ParseBlockCodec("gzip").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(BlockCodecFromWire(3).status().code(), ErrorCode::kCorruption);
}

TEST(SegmentFormatTest, ObjectKey) {
  EXPECT_EQ(SegmentObjectKey("orders", 3, 1000), "topics/orders/3/seg_00000000000000001000.bin");
  EXPECT_EQ(SegmentObjectKey("t", 0, 0), "topics/t/0/seg_00000000000000000000.bin");
  EXPECT_EQ(SegmentObjectKey("a.b", 12, 9223372036854775807),
            "topics/a.b/12/seg_09223372036854775807.bin");
  // Epochs 0 and 1 keep the version-1 name; later epochs carry theirs.
  EXPECT_EQ(SegmentObjectKey("t", 0, 5, 1), "topics/t/0/seg_00000000000000000005.bin");
  EXPECT_EQ(SegmentObjectKey("t", 0, 5, 2), "topics/t/0/seg_00000000000000000005_e2.bin");
  EXPECT_EQ(SegmentObjectKey("a.b", 12, 9223372036854775807, 9223372036854775807),
            "topics/a.b/12/seg_09223372036854775807_e9223372036854775807.bin");
  EXPECT_NE(SegmentObjectKey("t", 0, 5, 2), SegmentObjectKey("t", 0, 5, 3));
}

TEST(SegmentFormatTest, BlockHeaderCarriesCodecInRawLengthTopBits) {
  ByteWriter w;
  EncodeBlockHeader({.stored_length = 7, .raw_length = 300, .codec = BlockCodec::kZstd, .crc = 9},
                    w);
  ASSERT_EQ(w.size(), kBlockHeaderSize);
  EXPECT_EQ(LoadLE32(w.buffer(), 4), 300u | (2u << 28));
  auto h = DecodeBlockHeader(w.buffer());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->stored_length, 7u);
  EXPECT_EQ(h->raw_length, 300u);
  EXPECT_EQ(h->codec, BlockCodec::kZstd);
  EXPECT_EQ(h->crc, 9u);
  w.PatchLE32(4, 300u | (3u << 28));
  EXPECT_EQ(DecodeBlockHeader(w.buffer()).status().code(), ErrorCode::kCorruption);
}

TEST(SegmentFormatTest, HeaderRoundTripAndChecks) {
  ByteWriter w;
  EncodeSegmentHeader({kSegmentFormatVersion, BlockCodec::kLz4, -5}, w);
  ASSERT_EQ(w.size(), kSegmentHeaderSize);
  auto h = DecodeSegmentHeader(w.buffer());
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->codec, BlockCodec::kLz4);
  EXPECT_EQ(h->base_offset, -5);

  ByteWriter v2;
  EncodeSegmentHeader({2, BlockCodec::kNone, 0}, v2);  // a later version, correctly summed
  EXPECT_EQ(DecodeSegmentHeader(v2.buffer()).status().code(), ErrorCode::kUnsupported);
}

TEST(SegmentFormatTest, FieldsAtDocumentedOffsets) {
  Bytes seg = KnownSegment();
  Bytes batch = HandBatch();
  ASSERT_EQ(seg.size(), 32u + 12 + 64 + 40 + 36);

  // Header [0, 32).
  EXPECT_EQ(std::string(seg.begin(), seg.begin() + 4), "STRS");
  EXPECT_EQ(LoadLE32(seg, 0), kSegmentMagic);
  EXPECT_EQ(LoadLE16(seg, 4), 1);     // version
  EXPECT_EQ(LoadLE16(seg, 6), 0);     // codec none
  EXPECT_EQ(LoadLE64(seg, 8), 100u);  // base offset
  EXPECT_EQ(LoadLE32(seg, 16), crc32c::Value(seg.data(), 16));
  for (size_t i = 20; i < 32; ++i) EXPECT_EQ(seg[i], 0) << i;

  // Block 0 header [32, 44), payload [44, 108).
  EXPECT_EQ(LoadLE32(seg, 32), 64u);               // stored length
  EXPECT_EQ(LoadLE32(seg, 36), 64u | (0u << 28));  // raw length, codec none in bits 28-31
  EXPECT_EQ(LoadLE32(seg, 40), crc32c::Value(seg.data() + 44, 64));
  EXPECT_TRUE(std::equal(batch.begin(), batch.end(), seg.begin() + 44));

  // Index [108, 148).
  EXPECT_EQ(LoadLE64(seg, 108), 100u);   // first offset
  EXPECT_EQ(LoadLE64(seg, 116), 101u);   // last offset
  EXPECT_EQ(LoadLE64(seg, 124), 1000u);  // first timestamp
  EXPECT_EQ(LoadLE64(seg, 132), 1001u);  // max timestamp
  EXPECT_EQ(LoadLE64(seg, 140), 32u);    // file position

  // Footer [148, 184).
  EXPECT_EQ(LoadLE64(seg, 148), 108u);  // index position
  EXPECT_EQ(LoadLE32(seg, 156), 1u);    // index count
  EXPECT_EQ(LoadLE64(seg, 160), 102u);  // end offset
  EXPECT_EQ(LoadLE64(seg, 168), 2u);    // record count
  // Checksum: CRC-32C of the index bytes, continued over footer bytes [0, 28).
  uint32_t crc = crc32c::Value(seg.data() + 108, 40);
  crc = crc32c::Extend(crc, seg.data() + 148, 28);
  EXPECT_EQ(LoadLE32(seg, 176), crc);
  EXPECT_EQ(std::string(seg.end() - 4, seg.end()), "STRS");
}

// The whole known segment; the worked example of docs/formats/segment.md.
TEST(SegmentFormatTest, KnownSegmentBytes) {
  const std::string kExpected =
      // [0, 16) header: magic, version, codec, base offset
      "53545253010000006400000000000000"
      // [16, 32) header: checksum, reserved
      "dae2a899000000000000000000000000"
      // [32, 44) block 0 header
      "40000000400000005910f4e9"
      // [44, 105) block 0 payload: batch header
      "0000000000000064000000340000000002b55bab140000000000010000000000"
      "0003e800000000000003e9ffffffffffffffffffffffffffff00000002"
      // [105, 108) records "abc"
      "616263"
      // [108, 148) index entry 0
      "64000000000000006500000000000000e803000000000000e903000000000000"
      "2000000000000000"
      // [148, 184) footer
      "6c0000000000000001000000660000000000000002000000000000005cdb4b76"
      "53545253";
  EXPECT_EQ(Hex(KnownSegment()), kExpected);
}

TEST(SegmentFormatTest, KnownSegmentReadsBack) {
  Bytes seg = KnownSegment();
  auto reader = SegmentReader::OpenBytes("known", seg);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->base_offset(), 100);
  EXPECT_EQ((*reader)->end_offset(), 102);
  EXPECT_EQ((*reader)->record_count(), 2u);
  ASSERT_EQ((*reader)->blocks().size(), 1u);
  EXPECT_EQ((*reader)->BlockRange(0), std::make_pair(uint64_t{32}, uint64_t{76}));
  auto block = (*reader)->DecodeBlock(0, ByteView(seg).subspan(32, 76));
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_EQ(*block, HandBatch());
}

}  // namespace
}  // namespace sh::storage
