// Cross-check against kafka-python, a codec written independently of ours and
// of Kafka's JSON definitions: every message kafka-python can encode for our
// API keys (non-flexible versions), with every field filled, must decode with
// the generated codec using all bytes and re-encode to the same bytes.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "kafka/protocol/generated/testing/fixtures.h"

namespace sh::kafka {
namespace {

struct Vector {
  int16_t api_key;
  int16_t version;
  bool is_request;
  const char* python_class;
  const char* hex;
};

// Regenerate with tools/kafka_python_vectors.py.
constexpr Vector kVectors[] = {
#include "kafka/protocol/testdata/kafka_python_vectors.inc"
};

Bytes FromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

const testing::MessageFixture* FindFixture(int16_t api_key, bool is_request) {
  const std::string_view suffix = is_request ? "Request" : "Response";
  for (const auto& f : testing::AllMessageFixtures()) {
    std::string_view name = f.name;
    if (f.api_key == api_key && name.ends_with(suffix)) return &f;
  }
  return nullptr;
}

TEST(KafkaPythonTest, DecodesAndReencodesEveryVector) {
  ASSERT_GT(std::size(kVectors), 100u);
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.python_class);
    const testing::MessageFixture* f = FindFixture(v.api_key, v.is_request);
    ASSERT_NE(f, nullptr);
    const Bytes data = FromHex(v.hex);
    Bytes again;
    Status s = f->reencode(ByteView(data), v.version, &again);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (s.ok()) {
      EXPECT_EQ(again, data);
    }
  }
}

}  // namespace
}  // namespace sh::kafka
