// Round trip, truncation and corruption tests over every generated message at
// every valid version, driven by the generated fixtures.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <utility>

#include "kafka/protocol/generated/api_table.h"
#include "kafka/protocol/generated/testing/fixtures.h"

namespace sh::kafka {
namespace {

using testing::AllMessageFixtures;
using testing::MessageFixture;

TEST(RoundTripTest, EveryMessageEveryVersionWithValues) {
  for (const MessageFixture& f : AllMessageFixtures()) {
    for (int16_t v = f.min_version; v <= f.max_version; ++v) {
      EXPECT_EQ(f.round_trip(v, false), "") << f.name << " v" << v;
    }
  }
}

TEST(RoundTripTest, EveryMessageEveryVersionWithNulls) {
  for (const MessageFixture& f : AllMessageFixtures()) {
    for (int16_t v = f.min_version; v <= f.max_version; ++v) {
      EXPECT_EQ(f.round_trip(v, true), "") << f.name << " v" << v;
    }
  }
}

TEST(RoundTripTest, CoversEveryApiRequestAndResponse) {
  std::set<std::pair<int16_t, std::string>> seen;
  for (const MessageFixture& f : AllMessageFixtures()) seen.insert({f.api_key, f.name});
  for (const ApiInfo& api : GeneratedApis()) {
    EXPECT_TRUE(seen.count({api.key, std::string(api.name) + "Request"})) << api.name;
    EXPECT_TRUE(seen.count({api.key, std::string(api.name) + "Response"})) << api.name;
  }
  EXPECT_EQ(AllMessageFixtures().size(), 2 * GeneratedApis().size() + 2);  // + headers
}

TEST(RoundTripTest, VersionsOutsideTheRangeAreUnsupported) {
  for (const MessageFixture& f : AllMessageFixtures()) {
    const Bytes data = f.encode_filled(f.max_version, false);
    EXPECT_EQ(f.decode(ByteView(data), f.max_version + 1).code(), ErrorCode::kUnsupported)
        << f.name;
    EXPECT_EQ(f.decode(ByteView(data), -1).code(), ErrorCode::kUnsupported) << f.name;
  }
}

// Every strict prefix of a valid message must fail to decode, not crash.
TEST(TruncationTest, EveryPrefixOfEveryVersionFails) {
  for (const MessageFixture& f : AllMessageFixtures()) {
    for (int16_t v = f.min_version; v <= f.max_version; ++v) {
      for (bool nulls : {false, true}) {
        const Bytes data = f.encode_filled(v, nulls);
        ASSERT_TRUE(f.decode(ByteView(data), v).ok()) << f.name << " v" << v;
        for (size_t n = 0; n < data.size(); ++n) {
          Status s = f.decode(ByteView(data).first(n), v);
          ASSERT_FALSE(s.ok()) << f.name << " v" << v << " prefix " << n;
          EXPECT_EQ(s.code(), ErrorCode::kCorruption);
        }
      }
    }
  }
}

// Random byte corruption (deterministic seed) must yield a value or an error,
// never a crash, hang or runaway allocation (run under ASan/UBSan in CI).
TEST(CorruptionTest, RandomMutationsNeverCrash) {
  std::mt19937 rng(12345);
  size_t decoded_ok = 0, rejected = 0;
  for (const MessageFixture& f : AllMessageFixtures()) {
    for (int16_t v = f.min_version; v <= f.max_version; ++v) {
      const Bytes original = f.encode_filled(v, false);
      if (original.empty()) continue;
      for (int trial = 0; trial < 40; ++trial) {
        Bytes data = original;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) {
          data[rng() % data.size()] = static_cast<uint8_t>(rng());
        }
        (f.decode(ByteView(data), v).ok() ? decoded_ok : rejected)++;
      }
    }
  }
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(decoded_ok + rejected, 1000u);
}

}  // namespace
}  // namespace sh::kafka
