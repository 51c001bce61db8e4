// S3ObjectStore against a scripted HTTP server on 127.0.0.1: which answers
// are retried and how many requests go out, how errors map to codes, and
// what the requests carry (signature, payload hash, ranges, tokens).
#include <gtest/gtest.h>

#include "objstore/s3_object_store.h"
#include "objstore/s3_request.h"
#include "objstore/s3_test_server.h"

namespace sh {
namespace {

S3Options OptionsFor(const TestHttpServer& server) {
  S3Options o;
  o.endpoint = server.endpoint();
  o.bucket = "bkt";
  o.path_style = true;
  o.access_key_id = "AKID";
  o.secret_access_key = "SECRET";
  o.max_retries = 3;
  o.retry_base_ms = 1;  // keep the test fast; the backoff is still exercised
  o.connect_timeout_ms = 2'000;
  o.request_timeout_ms = 10'000;
  return o;
}

TestHttpReply S3Error(int status, const std::string& code) {
  return {status,
          "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>" + code +
              " happened</Message></Error>",
          {}};
}

TEST(S3RetryTest, SlowDownTwiceThenSuccess) {
  TestHttpServer server([](const TestHttpRequest&, int i) {
    return i < 2 ? S3Error(503, "SlowDown") : TestHttpReply{200, "", {}};
  });
  ASSERT_NE(server.port(), 0);
  S3ObjectStore store(OptionsFor(server));
  Status s = store.Put("wal/1/x.wal", AsBytes("payload"));
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const TestHttpRequest& r : reqs) {
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.target, "/bkt/wal/1/x.wal");
    EXPECT_EQ(r.body, "payload");
  }
}

TEST(S3RetryTest, NotFoundIsNotRetried) {
  TestHttpServer server([](const TestHttpRequest&, int) { return S3Error(404, "NoSuchKey"); });
  ASSERT_NE(server.port(), 0);
  S3ObjectStore store(OptionsFor(server));
  auto got = store.Get("no/such");
  EXPECT_EQ(got.status().code(), ErrorCode::kNotFound) << got.status().ToString();
  EXPECT_NE(got.status().message().find("no/such"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(store.Delete("no/such").ok());  // deleting the absent is OK
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(S3RetryTest, AccessDeniedAndBadRequestAreNotRetried) {
  TestHttpServer server([](const TestHttpRequest&, int i) {
    return i == 0 ? S3Error(403, "AccessDenied") : S3Error(400, "InvalidRequest");
  });
  ASSERT_NE(server.port(), 0);
  S3ObjectStore store(OptionsFor(server));
  Status denied = store.Put("k", AsBytes("v"));
  EXPECT_EQ(denied.code(), ErrorCode::kIOError) << denied.ToString();
  EXPECT_NE(denied.message().find("AccessDenied"), std::string::npos) << denied.message();
  Status bad = store.Put("k", AsBytes("v"));
  EXPECT_EQ(bad.code(), ErrorCode::kInvalidArgument) << bad.ToString();
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(S3RetryTest, ServerErrorForeverFailsUnavailableAfterRetries) {
  TestHttpServer server([](const TestHttpRequest&, int) { return S3Error(500, "InternalError"); });
  ASSERT_NE(server.port(), 0);
  S3Options o = OptionsFor(server);
  o.max_retries = 2;
  S3ObjectStore store(o);
  auto got = store.Get("topics/t/0/seg.bin");
  const Status& s = got.status();
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("topics/t/0/seg.bin"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("500"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("InternalError"), std::string::npos) << s.message();
  EXPECT_EQ(server.requests().size(), 3u);  // max_retries + 1
}

TEST(S3RetryTest, ConnectionRefusedIsUnavailable) {
  int port;
  {
    // A port that was free a moment ago and has no listener now.
    TestHttpServer gone([](const TestHttpRequest&, int) { return TestHttpReply{}; });
    port = gone.port();
  }
  ASSERT_NE(port, 0);
  S3Options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.bucket = "bkt";
  o.path_style = true;
  o.access_key_id = "AKID";
  o.secret_access_key = "SECRET";
  o.max_retries = 2;
  o.retry_base_ms = 1;
  S3ObjectStore store(o);
  Status s = store.Put("k", AsBytes("v"));
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("'k'"), std::string::npos) << s.message();
  EXPECT_EQ(store.requests_sent(), 3);
  auto opened = OpenS3ObjectStore(o);
  EXPECT_EQ(opened.status().code(), ErrorCode::kUnavailable) << opened.status().ToString();
}

TEST(S3RequestTest, SignsAndHashesThePayload) {
  TestHttpServer server([](const TestHttpRequest&, int) { return TestHttpReply{200, "", {}}; });
  ASSERT_NE(server.port(), 0);
  S3Options o = OptionsFor(server);
  o.session_token = "TOKEN";
  o.region = "eu-west-1";
  o.prefix = "cluster/a";
  S3ObjectStore store(o);
  ASSERT_TRUE(store.Put("k a+b", AsBytes("abc")).ok());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/bkt/cluster/a/k%20a%2Bb");
  EXPECT_EQ(reqs[0].headers["x-amz-content-sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(reqs[0].headers["x-amz-security-token"], "TOKEN");
  EXPECT_EQ(reqs[0].headers["authorization"].rfind("AWS4-HMAC-SHA256 Credential=AKID/", 0), 0u)
      << reqs[0].headers["authorization"];
  EXPECT_NE(reqs[0].headers["authorization"].find("/eu-west-1/s3/aws4_request"), std::string::npos);
  EXPECT_NE(reqs[0].headers["authorization"].find("x-amz-content-sha256"), std::string::npos);
  EXPECT_FALSE(reqs[0].headers["x-amz-date"].empty());
}

TEST(S3RequestTest, EmptyPutSendsAnEmptyBody) {
  TestHttpServer server([](const TestHttpRequest&, int) { return TestHttpReply{200, "", {}}; });
  ASSERT_NE(server.port(), 0);
  S3ObjectStore store(OptionsFor(server));
  ASSERT_TRUE(store.Put("empty", Bytes{}).ok());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].headers["content-length"], "0");
  EXPECT_EQ(reqs[0].headers["x-amz-content-sha256"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(reqs[0].headers.count("content-type"), 0u);
}

TEST(S3RequestTest, RangesAndTheirEdgeCases) {
  TestHttpServer server([](const TestHttpRequest& r, int) {
    if (r.method == "HEAD") return TestHttpReply{200, "", {"Content-Length: 16"}};
    if (r.headers.count("range") && r.headers.at("range") == "bytes=16-16") {
      return S3Error(416, "InvalidRange");
    }
    return TestHttpReply{206, "3456", {}};
  });
  ASSERT_NE(server.port(), 0);
  S3ObjectStore store(OptionsFor(server));
  auto r = store.GetRange("o", 3, 4);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsString(*r), "3456");
  EXPECT_EQ(store.GetRange("o", 16, 1).status().code(), ErrorCode::kOutOfRange);
  ASSERT_TRUE(store.GetRange("o", 3, UINT64_MAX).ok());
  EXPECT_TRUE(store.GetRange("o", 16, 0).ok());  // zero length: a HEAD, no GET
  EXPECT_EQ(store.GetRange("o", 17, 0).status().code(), ErrorCode::kOutOfRange);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].headers["range"], "bytes=3-6");
  EXPECT_EQ(reqs[1].headers["range"], "bytes=16-16");
  EXPECT_EQ(reqs[2].headers["range"], "bytes=3-");  // never a suffix range
  EXPECT_EQ(reqs[3].method, "HEAD");
  EXPECT_EQ(reqs[4].method, "HEAD");
}

TEST(S3RequestTest, ServerThatIgnoresRangesIsCutHere) {
  TestHttpServer server([](const TestHttpRequest&, int) {
    return TestHttpReply{200, "0123456789", {}};
  });
  ASSERT_NE(server.port(), 0);
  S3ObjectStore store(OptionsFor(server));
  auto r = store.GetRange("o", 8, 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(AsString(*r), "89");
  EXPECT_EQ(store.GetRange("o", 10, 1).status().code(), ErrorCode::kOutOfRange);
}

TEST(S3RequestTest, UnsatisfiableContentRange) {
  EXPECT_TRUE(S3UnsatisfiableContentRange("bytes 0-0/0"));
  EXPECT_TRUE(S3UnsatisfiableContentRange("bytes 16-16/16"));
  EXPECT_FALSE(S3UnsatisfiableContentRange("bytes 0-0/1"));
  EXPECT_FALSE(S3UnsatisfiableContentRange("bytes 3-6/16"));
  EXPECT_FALSE(S3UnsatisfiableContentRange("bytes */16"));
  EXPECT_FALSE(S3UnsatisfiableContentRange("bytes 0-0/*"));
  EXPECT_FALSE(S3UnsatisfiableContentRange("garbage"));
  EXPECT_FALSE(S3UnsatisfiableContentRange("bytes -/"));
}

TEST(S3RequestTest, ListFollowsTokensAndStripsThePrefix) {
  TestHttpServer server([](const TestHttpRequest& r, int) {
    if (r.target.find("continuation-token") == std::string::npos) {
      return TestHttpReply{200,
                           "<ListBucketResult><IsTruncated>true</IsTruncated>"
                           "<NextContinuationToken>t/1+</NextContinuationToken>"
                           "<Contents><Key>pre/x/b</Key><Size>2</Size></Contents>"
                           "</ListBucketResult>",
                           {}};
    }
    return TestHttpReply{200,
                         "<ListBucketResult><IsTruncated>false</IsTruncated>"
                         "<Contents><Key>pre/x/a</Key><Size>1</Size></Contents>"
                         "</ListBucketResult>",
                         {}};
  });
  ASSERT_NE(server.port(), 0);
  S3Options o = OptionsFor(server);
  o.prefix = "pre";
  o.list_page_size = 1;
  S3ObjectStore store(o);
  auto list = store.List("x/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "x/a");
  EXPECT_EQ((*list)[1].key, "x/b");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/bkt/?list-type=2&max-keys=1&prefix=pre%2Fx%2F");
  EXPECT_EQ(reqs[1].target,
            "/bkt/?continuation-token=t%2F1%2B&list-type=2&max-keys=1&prefix=pre%2Fx%2F");
}

TEST(S3RequestTest, FailedMultipartUploadIsAborted) {
  TestHttpServer server([](const TestHttpRequest& r, int) {
    if (r.method == "POST") {
      return TestHttpReply{200,
                           "<InitiateMultipartUploadResult><UploadId>U1</UploadId>"
                           "</InitiateMultipartUploadResult>",
                           {}};
    }
    if (r.method == "PUT") return S3Error(400, "EntityTooSmall");
    return TestHttpReply{204, "", {}};
  });
  ASSERT_NE(server.port(), 0);
  S3Options o = OptionsFor(server);
  o.multipart_threshold_bytes = 5u << 20;
  o.multipart_part_bytes = 5u << 20;
  S3ObjectStore store(o);
  Status s = store.Put("big", Bytes((5u << 20) + 1, 'x'));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("part 1"), std::string::npos) << s.message();
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].target, "/bkt/big?uploads=");
  EXPECT_EQ(reqs[1].target, "/bkt/big?partNumber=1&uploadId=U1");
  EXPECT_EQ(reqs[1].body.size(), 5u << 20);
  EXPECT_EQ(reqs[2].method, "DELETE");
  EXPECT_EQ(reqs[2].target, "/bkt/big?uploadId=U1");
}

}  // namespace
}  // namespace sh
