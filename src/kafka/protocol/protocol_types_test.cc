// Wire primitives: exact encodings and rejection of malformed input.
#include "kafka/protocol/protocol_types.h"

#include <gtest/gtest.h>

#include <string>

namespace sh::kafka {
namespace {

Bytes Write(void (*fn)(ProtoWriter&), Status* status = nullptr) {
  ByteWriter out;
  ProtoWriter w(out);
  fn(w);
  if (status != nullptr) *status = w.status();
  return out.Take();
}

TEST(ProtoWriterTest, StringsClassicAndCompact) {
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutString("ab", false); }), (Bytes{0x00, 0x02, 'a', 'b'}));
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutString("ab", true); }), (Bytes{0x03, 'a', 'b'}));
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutNullableString(std::nullopt, false, true, "f"); }),
            (Bytes{0xff, 0xff}));
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutNullableString(std::nullopt, true, true, "f"); }),
            (Bytes{0x00}));
}

TEST(ProtoWriterTest, CompactLengthIsUVarintOfLengthPlusOne) {
  Bytes b = Write([](ProtoWriter& w) { w.PutString(std::string(200, 'x'), true); });
  ASSERT_EQ(b.size(), 202u);
  EXPECT_EQ(b[0], 0xc9);  // 201 = 0b1'1001001 -> 0xc9 0x01
  EXPECT_EQ(b[1], 0x01);
}

TEST(ProtoWriterTest, BytesAndArrays) {
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutBytes(Bytes{7}, false); }), (Bytes{0, 0, 0, 1, 7}));
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutNullableBytes(std::nullopt, false, true, "r"); }),
            (Bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutArrayLength(2, true); }), (Bytes{0x03}));
  EXPECT_EQ(Write([](ProtoWriter& w) { w.PutNullArray(true, true, "a"); }), (Bytes{0x00}));
}

TEST(ProtoWriterTest, RejectsNullWhereNotNullableAndOverlongStrings) {
  Status s;
  Write([](ProtoWriter& w) { w.PutNullableString(std::nullopt, false, false, "topic"); }, &s);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("topic"), std::string::npos);
  Write([](ProtoWriter& w) { w.PutString(std::string(40000, 'x'), false); }, &s);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
}

TEST(ProtoWriterTest, TaggedFieldIsTagSizeBody) {
  ByteWriter out;
  ProtoWriter w(out);
  ByteWriter body;
  ProtoWriter bw(body);
  bw.PutInt16(3);
  w.PutTaggedField(300, bw, body);
  EXPECT_EQ(out.buffer(), (Bytes{0xac, 0x02, 0x02, 0x00, 0x03}));
}

TEST(ProtoReaderTest, ReadsWhatWriterWrote) {
  ByteWriter out;
  ProtoWriter w(out);
  w.PutString("hello", true);
  w.PutNullableString(std::nullopt, false, true, "x");
  w.PutBytes(Bytes{1, 2}, true);
  w.PutUuid(Uuid{1, 2, 3});
  w.PutFloat64(2.5);
  ByteReader in{ByteView(out.buffer())};
  ProtoReader r(in);
  std::string s;
  r.ReadString(s, true);
  std::optional<std::string> n = "not null";
  r.ReadNullableString(n, false, true);
  Bytes b;
  r.ReadBytes(b, true);
  Uuid u = r.ReadUuid();
  double d = r.ReadFloat64();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(s, "hello");
  EXPECT_FALSE(n.has_value());
  EXPECT_EQ(b, (Bytes{1, 2}));
  EXPECT_EQ(u, (Uuid{1, 2, 3}));
  EXPECT_EQ(d, 2.5);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ProtoReaderTest, RejectsLengthsPastTheEnd) {
  const Bytes long_string = {0x00, 0x09, 'a'};
  ByteReader in{ByteView(long_string)};
  ProtoReader r(in);
  std::string s;
  r.ReadString(s, false);
  EXPECT_FALSE(r.ok());
}

TEST(ProtoReaderTest, RejectsNullInNonNullableString) {
  const Bytes null_string = {0xff, 0xff};
  ByteReader in{ByteView(null_string)};
  ProtoReader r(in);
  std::string s;
  r.ReadString(s, false);
  EXPECT_FALSE(r.ok());
}

TEST(ProtoReaderTest, CapsArrayCountsByRemainingBytes) {
  // Claims 2^31-1 elements with 3 bytes left: must fail before allocating.
  const Bytes huge = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0};
  ByteReader in{ByteView(huge)};
  ProtoReader r(in);
  EXPECT_EQ(r.ReadArrayLength(false, false), 0);
  EXPECT_FALSE(r.ok());

  const Bytes negative = {0xff, 0xff, 0xff, 0xfe};
  ByteReader in2{ByteView(negative)};
  ProtoReader r2(in2);
  r2.ReadArrayLength(false, true);
  EXPECT_FALSE(r2.ok());

  const Bytes null_array = {0x00};
  ByteReader in3{ByteView(null_array)};
  ProtoReader r3(in3);
  EXPECT_EQ(r3.ReadArrayLength(true, true), -1);
  EXPECT_TRUE(r3.ok());
  ByteReader in4{ByteView(null_array)};
  ProtoReader r4(in4);
  r4.ReadArrayLength(true, false);
  EXPECT_FALSE(r4.ok());
}

TEST(ProtoReaderTest, SkipsTaggedFieldsAndRejectsOversizedOnes) {
  const Bytes tags = {0x02, 0x05, 0x01, 0xaa, 0x07, 0x00, 0x42};
  ByteReader in{ByteView(tags)};
  ProtoReader r(in);
  r.SkipTaggedFields();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.ReadInt8(), 0x42);

  const Bytes oversized = {0x01, 0x05, 0x09, 0xaa};
  ByteReader in2{ByteView(oversized)};
  ProtoReader r2(in2);
  r2.SkipTaggedFields();
  EXPECT_FALSE(r2.ok());
}

}  // namespace
}  // namespace sh::kafka
