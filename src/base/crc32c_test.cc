#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <random>

namespace sh {
namespace {

// Test vectors from RFC 3720 (iSCSI), appendix B.4, and the common "check" value.
TEST(Crc32cTest, PublishedVectors) {
  EXPECT_EQ(crc32c::Value(AsBytes("123456789")), 0xe3069283u);
  Bytes zeros(32, 0x00);
  EXPECT_EQ(crc32c::Value(zeros), 0x8a9136aau);
  Bytes ones(32, 0xff);
  EXPECT_EQ(crc32c::Value(ones), 0x62a8ab43u);
  Bytes inc(32);
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32c::Value(inc), 0x46dd794eu);
  Bytes dec(32);
  for (int i = 0; i < 32; ++i) dec[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(crc32c::Value(dec), 0x113fdb5cu);
}

TEST(Crc32cTest, PortableAndHardwareAgree) {
  std::mt19937 rng(42);
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4097u}) {
    Bytes data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    uint32_t p = crc32c::ExtendPortable(0, data.data(), data.size());
    EXPECT_EQ(p, crc32c::ExtendHardware(0, data.data(), data.size())) << len;
    EXPECT_EQ(p, crc32c::Value(data));
  }
}

TEST(Crc32cTest, ExtendConcatenates) {
  std::string a = "hello, ", b = "world";
  uint32_t whole = crc32c::Value(AsBytes(a + b));
  uint32_t part = crc32c::Value(AsBytes(a));
  EXPECT_EQ(crc32c::Extend(part, reinterpret_cast<const uint8_t*>(b.data()), b.size()), whole);
}

}  // namespace
}  // namespace sh
