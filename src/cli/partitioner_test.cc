#include "cli/partitioner.h"

#include <gtest/gtest.h>

namespace sh::cli {
namespace {

// Vectors from Kafka's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
TEST(PartitionerTest, Murmur2MatchesKafka) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2(std::string_view("abc")), 479470107);
}

TEST(PartitionerTest, PartitionIsPositiveMurmurModuloCount) {
  // Kafka: toPositive(murmur2(key)) % numPartitions, toPositive = x & 0x7fffffff.
  EXPECT_EQ(PartitionForKey("foobar", 7), (-790332482 & 0x7fffffff) % 7);
  for (int n = 1; n < 50; ++n) {
    int32_t p = PartitionForKey("key-" + std::to_string(n), n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace
}  // namespace sh::cli
