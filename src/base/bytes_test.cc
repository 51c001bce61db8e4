#include "base/bytes.h"

#include <gtest/gtest.h>

#include <limits>

namespace sh {
namespace {

TEST(BytesTest, FixedWidthRoundTrip) {
  ByteWriter w;
  w.PutU8(0xab);
  w.PutBE16(0x1234);
  w.PutBE32(0xdeadbeef);
  w.PutBE64(0x0102030405060708ull);
  w.PutLE32(0xcafebabe);
  w.PutLE64(0x1122334455667788ull);
  const Bytes& b = w.buffer();
  ASSERT_EQ(b.size(), 1u + 2 + 4 + 8 + 4 + 8);
  EXPECT_EQ(b[1], 0x12);  // big-endian: high byte first
  EXPECT_EQ(b[15], 0xbe); // little-endian: low byte first
  ByteReader r(b);
  EXPECT_EQ(r.ReadU8(), 0xab);
  EXPECT_EQ(r.ReadBE16(), 0x1234);
  EXPECT_EQ(r.ReadBE32(), 0xdeadbeefu);
  EXPECT_EQ(r.ReadBE64(), 0x0102030405060708ull);
  EXPECT_EQ(r.ReadLE32(), 0xcafebabeu);
  EXPECT_EQ(r.ReadLE64(), 0x1122334455667788ull);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.empty());
  r.ReadU8();
  EXPECT_FALSE(r.ok());
}

TEST(BytesTest, VarintKnownEncodings) {
  // Values and encodings from the Protocol Buffers documentation
  // (zigzag: 0->0, -1->1, 1->2, -2->3; 300 -> ac 02).
  EXPECT_EQ(ZigZagEncode64(0), 0u);
  EXPECT_EQ(ZigZagEncode64(-1), 1u);
  EXPECT_EQ(ZigZagEncode64(1), 2u);
  EXPECT_EQ(ZigZagEncode64(-2), 3u);
  EXPECT_EQ(ZigZagEncode32(2147483647), 4294967294u);
  EXPECT_EQ(ZigZagEncode32(-2147483648), 4294967295u);
  ByteWriter w;
  w.PutUVarint(300);
  EXPECT_EQ(w.buffer(), (Bytes{0xac, 0x02}));
}

TEST(BytesTest, VarintRoundTrip) {
  std::vector<int64_t> values = {0, 1, -1, 63, -64, 64, 300, -300, 1 << 20,
                                 std::numeric_limits<int64_t>::max(),
                                 std::numeric_limits<int64_t>::min()};
  ByteWriter w;
  for (int64_t v : values) w.PutVarint(v);
  ByteReader r(w.buffer());
  for (int64_t v : values) EXPECT_EQ(r.ReadVarint(), v);
  EXPECT_TRUE(r.ok());
  for (int64_t v : values) {
    ByteWriter one;
    one.PutVarint(v);
    EXPECT_EQ(one.size(), VarintSize(v));
  }
}

TEST(BytesTest, MalformedVarintFails) {
  Bytes eleven(11, 0xff);
  ByteReader r(eleven);
  r.ReadUVarint();
  EXPECT_FALSE(r.ok());
  Bytes truncated = {0x80, 0x80};
  ByteReader r2(truncated);
  r2.ReadUVarint();
  EXPECT_FALSE(r2.ok());
}

TEST(BytesTest, ReadBytesIsBoundsChecked) {
  Bytes b = {1, 2, 3};
  ByteReader r(b);
  EXPECT_EQ(r.ReadBytes(2).size(), 2u);
  EXPECT_TRUE(r.ReadBytes(5).empty());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.ReadBE32(), 0u);
}

}  // namespace
}  // namespace sh
