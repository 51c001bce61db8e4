// The generated error table (errors.{h,cc}) against Kafka's own error-code
// table in the protocol guide of the reference folder, read at test time.
#include "kafka/protocol/errors.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace sh::kafka {
namespace {

#ifndef SH_KAFKA_PROTOCOL_REFERENCE
#error "SH_KAFKA_PROTOCOL_REFERENCE: the Kafka protocol reference folder"
#endif

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ReferenceRow {
  std::string name;
  bool retriable;
};

// The rows of the table Kafka renders from its Errors list ("<tr><td>NAME</td>
// <td>CODE</td><td>True|False</td><td>DESCRIPTION</td></tr>"), from the page
// itself or from the generated/protocol_errors.html it includes.
std::map<int, ReferenceRow> ReferenceRows(const std::string& html_path, std::string* where) {
  const std::string text = ReadFile(html_path);
  *where = html_path;
  static const std::regex kRow(
      R"(<tr>\s*<td>([A-Z0-9_]+)</td>\s*<td>(-?\d+)</td>\s*<td>(True|False)</td>)");
  std::map<int, ReferenceRow> rows;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kRow);
       it != std::sregex_iterator(); ++it) {
    rows[std::stoi((*it)[2])] = {(*it)[1], (*it)[3] == "True"};
  }
  static const std::regex kInclude(R"re(<!--#include virtual="(generated/protocol_errors\.html)")re");
  std::smatch include;
  if (rows.empty() && std::regex_search(text, include, kInclude)) {
    const std::string dir = html_path.substr(0, html_path.rfind('/') + 1);
    if (std::ifstream(dir + include[1].str()).good()) {
      return ReferenceRows(dir + include[1].str(), where);
    }
    *where = html_path + " (its include " + include[1].str() + " is absent)";
  }
  return rows;
}

TEST(KafkaErrorTableTest, MatchesTheProtocolGuide) {
  const std::string html = std::string(SH_KAFKA_PROTOCOL_REFERENCE) + "/docs/protocol.html";
  if (!std::ifstream(html).good()) {
    GTEST_SKIP() << "no reference at " << html << " (CMake: SH_KAFKA_REFERENCE_DIR)";
  }
  std::string where;
  const std::map<int, ReferenceRow> reference = ReferenceRows(html, &where);
  if (reference.empty()) GTEST_SKIP() << where << " holds no error-code table";
  for (const auto& [code, row] : reference) {
    const KafkaErrorInfo* e = FindKafkaError(static_cast<int16_t>(code));
    if (e == nullptr) {
      ADD_FAILURE() << "code " << code << " (" << row.name << ") is missing";
      continue;
    }
    EXPECT_EQ(e->name, row.name) << "code " << code;
    EXPECT_EQ(e->retriable, row.retriable) << "code " << code << " " << row.name;
  }
  EXPECT_EQ(KafkaErrors().size(), reference.size()) << "codes the reference lacks";
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
