// The generated error table (errors.{h,cc}) against the error tables of two
// Kafka clients nobody here wrote, read at test time.
#include "kafka/protocol/errors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace sh::kafka {
namespace {

#ifndef SH_RDKAFKA_HEADER
#error "SH_RDKAFKA_HEADER: librdkafka's rdkafka.h (Debian's librdkafka-dev)"
#endif
#ifndef SH_KAFKAJS_ERRORS
#error "SH_KAFKAJS_ERRORS: KafkaJS's src/protocol/error.js (scripts/install-test-deps.sh)"
#endif

// Reads a whole file; fails the test (never skips it) when it is absent.
std::string ReadReference(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path << " is missing: run scripts/install-deps.sh and "
                         << "scripts/install-test-deps.sh";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Names the two client tables still use for codes Kafka has renamed since.
bool IsOlderName(int code, const std::string& name) {
  static const std::multimap<int, std::string> kOlder = {
      {-1, "UNKNOWN"},
      {0, "NO_ERROR"},
      {2, "INVALID_MSG"},
      {3, "UNKNOWN_TOPIC_OR_PART"},
      {4, "INVALID_MSG_SIZE"},
      {6, "NOT_LEADER_FOR_PARTITION"},
      {10, "MSG_SIZE_TOO_LARGE"},
      {11, "STALE_CTRL_EPOCH"},
      {14, "GROUP_LOAD_IN_PROGRESS"},
      {15, "GROUP_COORDINATOR_NOT_AVAILABLE"},
      {16, "NOT_COORDINATOR_FOR_GROUP"},
      {17, "TOPIC_EXCEPTION"},
  };
  auto [first, last] = kOlder.equal_range(code);
  return std::any_of(first, last, [&](const auto& e) { return e.second == name; });
}

// The reference data folder has no error table (its protocol.html includes a
// generated page that is not there), so the table is checked against two
// tables kept by others: librdkafka's (codes and names; Debian's 2.0 knows
// -1..97) and KafkaJS 2.2.4's (codes, names and retriable flags).
TEST(KafkaErrorTableTest, MatchesLibrdkafkasCodesAndNames) {
  const std::string header = ReadReference(SH_RDKAFKA_HEADER);
  static const std::regex kEntry(R"(RD_KAFKA_RESP_ERR_([A-Z0-9_]+)\s*=\s*(-?\d+))");
  std::map<int, std::vector<std::string>> names;  // librdkafka has aliases
  for (auto it = std::sregex_iterator(header.begin(), header.end(), kEntry);
       it != std::sregex_iterator(); ++it) {
    const int code = std::stoi((*it)[2]);
    if (code >= -1) names[code].push_back((*it)[1]);  // below -1: librdkafka's own
  }
  ASSERT_GE(names.size(), 95u) << "no error codes read from " << SH_RDKAFKA_HEADER;
  for (const auto& [code, aliases] : names) {
    const KafkaErrorInfo* e = FindKafkaError(static_cast<int16_t>(code));
    ASSERT_NE(e, nullptr) << "code " << code << " (" << aliases[0] << ") is missing";
    const bool same = std::any_of(aliases.begin(), aliases.end(), [&, code = code](const std::string& n) {
      return n == e->name || IsOlderName(code, n);
    });
    EXPECT_TRUE(same) << "code " << code << ": " << e->name << ", librdkafka " << aliases[0];
  }
}

TEST(KafkaErrorTableTest, MatchesKafkaJsNamesAndRetriableFlags) {
  const std::string table = ReadReference(SH_KAFKAJS_ERRORS);
  static const std::regex kEntry(
      R"(type:\s*'([A-Z0-9_]+)',\s*code:\s*(-?\d+),\s*retriable:\s*(true|false))");
  int compared = 0;
  for (auto it = std::sregex_iterator(table.begin(), table.end(), kEntry);
       it != std::sregex_iterator(); ++it) {
    const int code = std::stoi((*it)[2]);
    const std::string name = (*it)[1];
    if (code < -1) continue;  // KafkaJS's own (-99 UNKNOWN_ERROR_CODE)
    const KafkaErrorInfo* e = FindKafkaError(static_cast<int16_t>(code));
    ASSERT_NE(e, nullptr) << "code " << code << " (" << name << ") is missing";
    EXPECT_TRUE(name == e->name || IsOlderName(code, name))
        << "code " << code << ": " << e->name << ", KafkaJS " << name;
    EXPECT_EQ(e->retriable, (*it)[3] == "true") << "code " << code << " " << e->name;
    ++compared;
  }
  EXPECT_GE(compared, 85) << "codes read from " << SH_KAFKAJS_ERRORS;
}

TEST(KafkaErrorTableTest, IsOrderedAndNamesEveryCodeOnce) {
  int previous = -2;
  for (const KafkaErrorInfo& e : KafkaErrors()) {
    EXPECT_LT(previous, e.code) << e.name;
    previous = e.code;
    EXPECT_EQ(FindKafkaError(e.code), &e) << e.name;
  }
  EXPECT_EQ(FindKafkaError(int16_t{-2}), nullptr);
  EXPECT_EQ(FindKafkaError(int16_t{9999}), nullptr);
}

TEST(KafkaErrorTableTest, CodesFromEightyFiveOn) {
  // The range a hand-kept table once shifted: 87 is what the agent sends for a
  // bad batch, and a client must not retry it.
  EXPECT_STREQ(FindKafkaError(int16_t{85})->name, "NO_REASSIGNMENT_IN_PROGRESS");
  EXPECT_STREQ(FindKafkaError(KafkaError::kInvalidRecord)->name, "INVALID_RECORD");
  EXPECT_EQ(Code(KafkaError::kInvalidRecord), 87);
  EXPECT_FALSE(FindKafkaError(KafkaError::kInvalidRecord)->retriable);
  EXPECT_STREQ(FindKafkaError(int16_t{89})->name, "THROTTLING_QUOTA_EXCEEDED");
  EXPECT_TRUE(FindKafkaError(KafkaError::kThrottlingQuotaExceeded)->retriable);
  EXPECT_EQ(Code(KafkaError::kProducerFenced), 90);
  EXPECT_TRUE(FindKafkaError(KafkaError::kNotLeaderOrFollower)->retriable);
  EXPECT_STREQ(FindKafkaError(KafkaError::kNone)->message, "");
}

}  // namespace
}  // namespace sh::kafka
