// The API table and request/response header version selection.
#include <gtest/gtest.h>

#include <set>

#include "kafka/protocol/generated/api_table.h"
#include "kafka/protocol/generated/fetch.h"
#include "kafka/protocol/generated/produce.h"
#include "kafka/protocol/header_codec.h"

namespace sh::kafka {
namespace {

TEST(ApiTableTest, ListsEveryGeneratedApiOnce) {
  const std::set<int16_t> expected = {0,  1,  2,  3,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
                                      18, 19, 20, 21, 22, 23, 32, 33, 36, 37, 42, 44, 47, 60};
  std::set<int16_t> keys;
  for (const ApiInfo& api : GeneratedApis()) EXPECT_TRUE(keys.insert(api.key).second);
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(FindApi(7), nullptr);  // ControlledShutdown: not generated
}

TEST(ApiTableTest, VersionsMatchTheMessageStructs) {
  const ApiInfo* produce = FindApi(0);
  ASSERT_NE(produce, nullptr);
  EXPECT_STREQ(produce->name, "Produce");
  EXPECT_EQ(produce->min_version, ProduceRequest::kMinVersion);
  EXPECT_EQ(produce->max_version, ProduceRequest::kMaxVersion);
  EXPECT_EQ(produce->first_flexible_request, ProduceRequest::kFirstFlexibleVersion);
  EXPECT_EQ(FindApi(1)->first_flexible_request, FetchRequest::kFirstFlexibleVersion);
  EXPECT_EQ(FindApi(17)->first_flexible_request, -1);  // SaslHandshake: never flexible
}

TEST(ApiTableTest, HeaderVersions) {
  EXPECT_EQ(RequestHeaderVersionFor(0, 8), 1);
  EXPECT_EQ(RequestHeaderVersionFor(0, 9), 2);
  EXPECT_EQ(ResponseHeaderVersionFor(0, 8), 0);
  EXPECT_EQ(ResponseHeaderVersionFor(0, 9), 1);
  EXPECT_EQ(RequestHeaderVersionFor(17, 1), 1);
  // ApiVersions: flexible requests from v3, but responses always header v0.
  EXPECT_EQ(RequestHeaderVersionFor(18, 3), 2);
  EXPECT_EQ(ResponseHeaderVersionFor(18, 3), 0);
  // A newer ApiVersions than we know is still flexible.
  EXPECT_EQ(RequestHeaderVersionFor(18, 9), 2);
  EXPECT_EQ(RequestHeaderVersionFor(1000, 0), 1);  // unknown key
}

TEST(HeaderCodecTest, RequestHeaderV2RoundTrip) {
  RequestHeader h;
  h.request_api_key = 1;
  h.request_api_version = 13;
  h.correlation_id = 77;
  h.client_id = "c";
  ByteWriter w;
  ASSERT_TRUE(EncodeRequestHeader(h, w).ok());
  // client id keeps its int16 length even in header v2; then no tagged fields.
  EXPECT_EQ(w.buffer(), (Bytes{0, 1, 0, 13, 0, 0, 0, 77, 0, 1, 'c', 0}));
  ByteReader r{ByteView(w.buffer())};
  RequestHeader back;
  ASSERT_TRUE(DecodeRequestHeader(r, &back).ok());
  EXPECT_EQ(back, h);
  EXPECT_TRUE(r.empty());
}

TEST(HeaderCodecTest, NullClientIdAndTruncation) {
  RequestHeader h;
  h.request_api_key = 3;
  h.request_api_version = 1;
  h.client_id = std::nullopt;
  ByteWriter w;
  ASSERT_TRUE(EncodeRequestHeader(h, w).ok());
  EXPECT_EQ(w.buffer(), (Bytes{0, 3, 0, 1, 0, 0, 0, 0, 0xff, 0xff}));
  for (size_t n = 0; n < w.size(); ++n) {
    ByteReader r{ByteView(w.buffer()).first(n)};
    RequestHeader back;
    EXPECT_FALSE(DecodeRequestHeader(r, &back).ok()) << n;
  }
}

TEST(HeaderCodecTest, ResponseHeaderV1HasTaggedFields) {
  ByteWriter w;
  ASSERT_TRUE(EncodeResponseHeader(5, 1, 12, w).ok());
  EXPECT_EQ(w.buffer(), (Bytes{0, 0, 0, 5, 0}));
  ByteWriter w0;
  ASSERT_TRUE(EncodeResponseHeader(5, 1, 11, w0).ok());
  EXPECT_EQ(w0.buffer(), (Bytes{0, 0, 0, 5}));
}

}  // namespace
}  // namespace sh::kafka
