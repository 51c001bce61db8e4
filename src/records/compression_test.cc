#include "records/compression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sh::records {
namespace {

Bytes FromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string AsStr(const Bytes& b) { return std::string(AsString(b)); }

// Text with some repetition and some noise, so every codec has work to do.
Bytes SampleData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = (i % 7 == 0) ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>('a' + i % 13);
  }
  return out;
}

constexpr Compression kCodecs[] = {Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                                   Compression::kZstd};

class CodecTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CodecTest, RoundTripsManySizes) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{32 << 10}, size_t{200 << 10}}) {
    Bytes input = SampleData(n, static_cast<uint32_t>(n));
    auto compressed = Compress(GetParam(), input);
    ASSERT_TRUE(compressed.ok()) << compressed.status().ToString();
    auto back = Decompress(GetParam(), *compressed);
    ASSERT_TRUE(back.ok()) << CompressionName(GetParam()) << " n=" << n << " "
                           << back.status().ToString();
    EXPECT_EQ(*back, input) << CompressionName(GetParam()) << " n=" << n;
  }
}

TEST_P(CodecTest, CompressesRepetitiveData) {
  Bytes input(1 << 20, 'x');
  auto compressed = Compress(GetParam(), input);
  ASSERT_TRUE(compressed.ok());
  EXPECT_LT(compressed->size(), input.size() / 10);
}

TEST_P(CodecTest, GarbageIsCorruptionNamingTheCodec) {
  std::mt19937 rng(42);
  const char* name = CompressionName(GetParam());
  for (int trial = 0; trial < 200; ++trial) {
    Bytes garbage(1 + rng() % 300);
    for (auto& b : garbage) b = static_cast<uint8_t>(rng());
    auto r = Decompress(GetParam(), garbage, 1 << 20);
    // Random bytes are occasionally a valid raw snappy stream; never a crash.
    if (r.ok()) continue;
    EXPECT_TRUE(r.status().code() == ErrorCode::kCorruption ||
                r.status().code() == ErrorCode::kTooLarge)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find(name), std::string::npos) << r.status().ToString();
  }
}

TEST_P(CodecTest, EmptyInputIsCorruption) {
  // For snappy, an empty buffer is not even a raw length preamble.
  auto r = Decompress(GetParam(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption) << r.status().ToString();
}

TEST_P(CodecTest, EveryTruncationFailsCleanly) {
  Bytes input = SampleData(5000, 7);
  auto compressed = Compress(GetParam(), input);
  ASSERT_TRUE(compressed.ok());
  for (size_t n = 0; n < compressed->size(); ++n) {
    ByteView prefix(compressed->data(), n);
    auto r = Decompress(GetParam(), prefix);
    // A prefix may end on a xerial block boundary and decode to less data;
    // otherwise it must be rejected as corrupt.
    if (r.ok()) {
      EXPECT_LT(r->size(), input.size()) << CompressionName(GetParam()) << " prefix " << n;
    } else {
      EXPECT_EQ(r.status().code(), ErrorCode::kCorruption)
          << CompressionName(GetParam()) << " prefix " << n << " " << r.status().ToString();
    }
  }
}

TEST_P(CodecTest, DecompressionBombIsTooLarge) {
  Bytes zeros(4 << 20, 0);
  auto bomb = Compress(GetParam(), zeros);
  ASSERT_TRUE(bomb.ok());
  auto r = Decompress(GetParam(), *bomb, 64 << 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kTooLarge) << r.status().ToString();
  // The limit is inclusive: exactly max_output bytes decode.
  auto exact = Decompress(GetParam(), *bomb, zeros.size());
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->size(), zeros.size());
  auto one_less = Decompress(GetParam(), *bomb, zeros.size() - 1);
  ASSERT_FALSE(one_less.ok());
  EXPECT_EQ(one_less.status().code(), ErrorCode::kTooLarge);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, CodecTest, ::testing::ValuesIn(kCodecs),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST(CompressionTest, NamesRoundTrip) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                        Compression::kLz4, Compression::kZstd}) {
    auto parsed = ParseCompression(CompressionName(c));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, c);
  }
  auto bad = ParseCompression("brotli");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("brotli"), std::string::npos);
}

TEST(CompressionTest, NoneCopiesAndHonoursLimit) {
  Bytes input = ToBytes("plain");
  auto c = Compress(Compression::kNone, input);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, input);
  auto d = Decompress(Compression::kNone, input, 4);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kTooLarge);
}

// --- Streams made by other implementations ---

TEST(GzipTest, DecodesPythonGzipStream) {
  // gzip.compress(b'StreamHouse gzip test vector\n' * 3, mtime=0), Python 3.11.
  Bytes stream = FromHex(
      "1f8b08000000000002030b2e294a4dccf5c82f2d4e5548afca2c5028492d2e51284b4d2ec92fe20a265b1200"
      "21ce67f657000000");
  std::string line = "StreamHouse gzip test vector\n";
  auto out = Decompress(Compression::kGzip, stream);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(AsStr(*out), line + line + line);
  // The gzip trailer's CRC-32 is checked: break it and decoding fails.
  stream[stream.size() - 6] ^= 0x01;
  auto bad = Decompress(Compression::kGzip, stream);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kCorruption);
}

TEST(GzipTest, WritesGzipHeader) {
  auto c = Compress(Compression::kGzip, ToBytes("x"));
  ASSERT_TRUE(c.ok());
  ASSERT_GE(c->size(), 10u);
  EXPECT_EQ((*c)[0], 0x1f);  // RFC 1952 ID1, ID2, CM=deflate
  EXPECT_EQ((*c)[1], 0x8b);
  EXPECT_EQ((*c)[2], 0x08);
}

// Xerial-framed streams from github.com/eapache/go-xerial-snappy, snappy_test.go
// (snappyStreamTestCases), which sarama uses to talk to Kafka.
TEST(SnappyTest, DecodesXerialStreamsFromGoXerialSnappy) {
  const uint8_t plain[] = {130, 83, 78, 65, 80, 80, 89, 0,  0,  0,  0,  1,  0,  0,  0, 1,
                           0,   0,  0,  11, 9,  32, 80, 76, 65, 73, 78, 68, 65, 84, 65};
  const uint8_t a[] = {0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x0, 0x0, 0x0, 0x0, 0x1,
                       0x0,  0x0,  0x0,  0x1,  0x0,  0x0,  0x0,  0x3, 0x1, 0x0, 0x41};
  const uint8_t empty[] = {0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x0,
                           0x0,  0x0,  0x0,  0x1,  0x0,  0x0,  0x0,  0x1};
  auto r1 = Decompress(Compression::kSnappy, ByteView(plain, sizeof(plain)));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(AsStr(*r1), "PLAINDATA");
  auto r2 = Decompress(Compression::kSnappy, ByteView(a, sizeof(a)));
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(AsStr(*r2), "A");
  auto r3 = Decompress(Compression::kSnappy, ByteView(empty, sizeof(empty)));
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_TRUE(r3->empty());
}

// Raw (unframed) snappy from the same file (snappyTestCases), as librdkafka may send.
TEST(SnappyTest, DecodesRawSnappy) {
  const uint8_t repeat[] = {36, 20, 82, 69, 80, 69, 65, 84, 118, 6, 0};
  auto r = Decompress(Compression::kSnappy, ByteView(repeat, sizeof(repeat)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsStr(*r), "REPEATREPEATREPEATREPEATREPEATREPEAT");
}

TEST(SnappyTest, CompressWritesXerialFramingIn32KiBBlocks) {
  Bytes input = SampleData(100 << 10, 3);
  auto c = Compress(Compression::kSnappy, input);
  ASSERT_TRUE(c.ok());
  const uint8_t magic[] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  ASSERT_GE(c->size(), 16u);
  EXPECT_TRUE(std::equal(magic, magic + 8, c->begin()));
  ByteReader r(*c);
  r.Skip(8);
  EXPECT_EQ(r.ReadBE32(), 1u);  // version
  EXPECT_EQ(r.ReadBE32(), 1u);  // minimum compatible version
  int blocks = 0;
  while (!r.empty()) {
    uint32_t n = r.ReadBE32();
    r.Skip(n);
    ASSERT_TRUE(r.ok());
    ++blocks;
  }
  EXPECT_EQ(blocks, 4);  // 100 KiB in 32 KiB blocks
}

TEST(SnappyTest, XerialBlockLengthPastEndIsCorruption) {
  const uint8_t bad[] = {0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x0,  0x0, 0x0, 0x0, 0x1,
                         0x0,  0x0,  0x0,  0x1,  0x7f, 0xff, 0xff, 0xff, 0x1, 0x0, 0x41};
  auto r = Decompress(Compression::kSnappy, ByteView(bad, sizeof(bad)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("snappy"), std::string::npos);
}

TEST(SnappyTest, HugeLengthPreambleIsRejectedWithoutAllocating) {
  // Raw snappy claiming ~4 GiB of output from 6 bytes.
  const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
  auto r = Decompress(Compression::kSnappy, ByteView(bad, sizeof(bad)), SIZE_MAX);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
}

TEST(Lz4Test, DecodesFrameFromLz4Cli) {
  // printf 'hello lz4 frame from the lz4 command-line tool\n' | lz4 -c  (lz4 v1.9.4).
  // FLG 0x64: independent blocks and a content checksum.
  Bytes frame = FromHex(
      "04224d186440a72f00008068656c6c6f206c7a34206672616d652066726f6d20746865206c7a3420636f6d"
      "6d616e642d6c696e6520746f6f6c0a000000007b273f5e");
  auto r = Decompress(Compression::kLz4, frame);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsStr(*r), "hello lz4 frame from the lz4 command-line tool\n");
  // The content checksum is verified.
  frame[frame.size() - 1] ^= 0x80;
  auto bad = Decompress(Compression::kLz4, frame);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(bad.status().message().find("lz4"), std::string::npos);
}

TEST(Lz4Test, DecodesFrameWithBlockChecksumsAndContentSize) {
  // lz4 -BX --content-size of a file holding the expected text (lz4 v1.9.4).
  // FLG 0x7c: block checksums, content size and content checksum all present.
  Bytes frame = FromHex(
      "04224d187c403000000000000000cf300000806c7a34206672616d65207769746820626c6f636b2063686563"
      "6b73756d7320616e6420636f6e74656e742073697a650a68e09bd00000000068e09bd0");
  auto r = Decompress(Compression::kLz4, frame);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsStr(*r), "lz4 frame with block checksums and content size\n");
  frame[60] ^= 0x01;  // inside the block's data: the block checksum catches it
  EXPECT_FALSE(Decompress(Compression::kLz4, frame).ok());
}

TEST(Lz4Test, CompressWritesIndependent64KiBBlocks) {
  auto c = Compress(Compression::kLz4, SampleData(1000, 1));
  ASSERT_TRUE(c.ok());
  ASSERT_GE(c->size(), 7u);
  EXPECT_EQ(LoadBE32(c->data()), 0x04224d18u);  // frame magic 0x184D2204, little-endian
  uint8_t flg = (*c)[4];
  EXPECT_EQ(flg >> 6, 1);           // version 01
  EXPECT_NE(flg & 0x20, 0);         // block independence
  EXPECT_EQ((*c)[5] & 0x70, 0x40);  // BD: 64 KiB maximum block size
}

TEST(ZstdTest, DecodesFrameWithoutContentSizeFromZstdCli) {
  // printf 'hello zstd frame from the zstd command-line tool\n' | zstd -c  (zstd v1.5.4).
  // Written from a pipe, the frame header carries no content size.
  Bytes frame = FromHex(
      "28b52ffd045889010068656c6c6f207a737464206672616d652066726f6d20746865207a73746420636f6d"
      "6d616e642d6c696e6520746f6f6c0a9e326ad1");
  ASSERT_EQ(frame[4] & 0xc0, 0);  // Frame_Content_Size_flag = 0
  auto r = Decompress(Compression::kZstd, frame);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsStr(*r), "hello zstd frame from the zstd command-line tool\n");
  frame[frame.size() - 1] ^= 0x01;  // break the xxhash checksum
  auto bad = Decompress(Compression::kZstd, frame);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(bad.status().message().find("zstd"), std::string::npos);
}

TEST(ZstdTest, DecodesFrameWithContentSizeFromZstdCli) {
  // zstd -c of a file holding the expected text (zstd v1.5.4): a single-segment
  // frame whose header carries the content size.
  Bytes frame = FromHex(
      "28b52ffd241de900007a737464206672616d65207769746820636f6e74656e742073697a650af46c24f5");
  auto r = Decompress(Compression::kZstd, frame);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsStr(*r), "zstd frame with content size\n");
  // A content size over the limit is refused.
  auto small = Decompress(Compression::kZstd, frame, 10);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().code(), ErrorCode::kTooLarge);
}

TEST(GzipTest, ConcatenatedMembersDecodeAsOneStream) {
  auto a = Compress(Compression::kGzip, ToBytes("first member, "));
  auto b = Compress(Compression::kGzip, ToBytes("second member"));
  ASSERT_TRUE(a.ok() && b.ok());
  Bytes both = *a;
  both.insert(both.end(), b->begin(), b->end());
  auto r = Decompress(Compression::kGzip, both);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsStr(*r), "first member, second member");
  // But trailing bytes that are no gzip member are rejected.
  Bytes junk = *a;
  junk.push_back('x');
  EXPECT_FALSE(Decompress(Compression::kGzip, junk).ok());
}

TEST(Lz4Test, ConcatenatedFramesAndTrailingGarbage) {
  auto a = Compress(Compression::kLz4, ToBytes("one "));
  auto b = Compress(Compression::kLz4, ToBytes("two"));
  ASSERT_TRUE(a.ok() && b.ok());
  Bytes both = *a;
  both.insert(both.end(), b->begin(), b->end());
  auto r = Decompress(Compression::kLz4, both);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsStr(*r), "one two");
  Bytes junk = *a;
  junk.push_back(0x42);
  EXPECT_FALSE(Decompress(Compression::kLz4, junk).ok());
}

}  // namespace
}  // namespace sh::records
