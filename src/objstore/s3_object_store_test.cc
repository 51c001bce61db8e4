// S3 backend unit tests: URL parsing and building, key encoding, XML, and
// retry behaviour against a scripted HTTP server on 127.0.0.1. The S3
// conformance run against a real server is s3_object_store_conformance_test.cc.
#include <gtest/gtest.h>

#include "objstore/s3_object_store.h"
#include "objstore/s3_request.h"
#include "objstore/s3_test_server.h"
#include "objstore/s3_xml.h"

namespace sh {
namespace {

TEST(ParseS3UrlTest, BucketAndPrefix) {
  S3Options o;
  ASSERT_TRUE(ParseS3Url("s3://logs/streamhouse/prod", &o).ok());
  EXPECT_EQ(o.bucket, "logs");
  EXPECT_EQ(o.prefix, "streamhouse/prod");
  ASSERT_TRUE(ParseS3Url("s3://my-bucket.v2", &o).ok());
  EXPECT_EQ(o.bucket, "my-bucket.v2");
  EXPECT_EQ(o.prefix, "");
  ASSERT_TRUE(ParseS3Url("s3://b/", &o).ok());
  EXPECT_EQ(o.prefix, "");
  ASSERT_TRUE(ParseS3Url("s3://b/a/b/", &o).ok());
  EXPECT_EQ(o.prefix, "a/b");
}

TEST(ParseS3UrlTest, RejectsMalformedUrls) {
  for (const char* url : {"", "s3:/b", "http://b/p", "s3://", "s3:///p", "s3://bu cket/p",
                          "s3://b//p", "s3://b/a//c", "s3://b?x/p"}) {
    S3Options o;
    Status s = ParseS3Url(url, &o);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << url;
    EXPECT_NE(s.message().find(url), std::string::npos) << s.message();
  }
}

TEST(ApplyAwsEnvironmentTest, FillsOnlyEmptyFields) {
  std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", "AKID"},        {"AWS_SECRET_ACCESS_KEY", "SECRET"},
      {"AWS_SESSION_TOKEN", "TOKEN"},       {"AWS_REGION", "eu-west-1"},
      {"AWS_DEFAULT_REGION", "ap-south-1"}, {"AWS_ENDPOINT_URL", "http://minio:9000"}};
  S3Options o;
  o.region = "";
  ApplyAwsEnvironment(env, &o);
  EXPECT_EQ(o.access_key_id, "AKID");
  EXPECT_EQ(o.secret_access_key, "SECRET");
  EXPECT_EQ(o.session_token, "TOKEN");
  EXPECT_EQ(o.region, "eu-west-1");
  EXPECT_EQ(o.endpoint, "http://minio:9000");

  S3Options set;
  set.access_key_id = "mine";
  set.region = "us-west-2";
  set.endpoint = "http://127.0.0.1:1";
  ApplyAwsEnvironment(env, &set);
  EXPECT_EQ(set.access_key_id, "mine");
  EXPECT_EQ(set.secret_access_key, "SECRET");
  EXPECT_EQ(set.region, "us-west-2");
  EXPECT_EQ(set.endpoint, "http://127.0.0.1:1");

  S3Options fallback;
  fallback.region = "";
  ApplyAwsEnvironment({{"AWS_DEFAULT_REGION", "ap-south-1"}}, &fallback);
  EXPECT_EQ(fallback.region, "ap-south-1");
  EXPECT_TRUE(fallback.access_key_id.empty());
}

TEST(S3UrlTest, PathStyleAndVirtualHost) {
  S3Options o;
  o.bucket = "bkt";
  o.region = "eu-west-1";
  EXPECT_EQ(S3ObjectUrl(o, "wal/1/a.wal"), "https://bkt.s3.eu-west-1.amazonaws.com/wal/1/a.wal");
  EXPECT_EQ(S3ObjectUrl(o, ""), "https://bkt.s3.eu-west-1.amazonaws.com/");
  o.endpoint = "http://minio.local:9000/";
  EXPECT_EQ(S3ObjectUrl(o, "k"), "http://bkt.minio.local:9000/k");
  o.path_style = true;
  EXPECT_EQ(S3ObjectUrl(o, "a b/c"), "http://minio.local:9000/bkt/a%20b/c");
  EXPECT_EQ(S3ObjectUrl(o, ""), "http://minio.local:9000/bkt/");
}

TEST(S3UrlTest, QueryIsSortedEncodedAndExplicit) {
  S3Options o;
  o.bucket = "b";
  o.endpoint = "http://h";
  o.path_style = true;
  EXPECT_EQ(S3ObjectUrl(o, "k", {{"uploadId", "a/b+c="}, {"partNumber", "1"}}),
            "http://h/b/k?partNumber=1&uploadId=a%2Fb%2Bc%3D");
  EXPECT_EQ(S3ObjectUrl(o, "k", {{"uploads", ""}}), "http://h/b/k?uploads=");
  EXPECT_EQ(S3ObjectUrl(o, "", {{"prefix", "p/q r"}, {"list-type", "2"}}),
            "http://h/b/?list-type=2&prefix=p%2Fq%20r");
}

TEST(S3UrlTest, KeyEncodingFollowsS3Rules) {
  EXPECT_EQ(S3UriEncode("topics/orders/3/seg_0001.bin", false), "topics/orders/3/seg_0001.bin");
  EXPECT_EQ(S3UriEncode("a-b_c.d~e", false), "a-b_c.d~e");
  EXPECT_EQ(S3UriEncode("a b+c=d&e?f#g%h", false), "a%20b%2Bc%3Dd%26e%3Ff%23g%25h");
  EXPECT_EQ(S3UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(S3UriEncode("\xc3\xbc*", false), "%C3%BC%2A");
  EXPECT_EQ(S3UriEncode(std::string("\0\n", 2), false), "%00%0A");
}

TEST(S3UrlTest, Sha256OfPayload) {
  EXPECT_EQ(Sha256Hex({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex(AsBytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(S3OptionsTest, ChecksWhatOpenNeeds) {
  S3Options o;
  o.bucket = "b";
  o.access_key_id = "k";
  o.secret_access_key = "s";
  EXPECT_TRUE(CheckS3Options(o).ok());
  S3Options bad = o;
  bad.bucket = "";
  EXPECT_EQ(CheckS3Options(bad).code(), ErrorCode::kInvalidArgument);
  bad = o;
  bad.secret_access_key = "";
  EXPECT_EQ(CheckS3Options(bad).code(), ErrorCode::kInvalidArgument);
  bad = o;
  bad.multipart_part_bytes = 1 << 20;
  EXPECT_EQ(CheckS3Options(bad).code(), ErrorCode::kInvalidArgument);
  bad = o;
  bad.endpoint = "minio:9000";
  EXPECT_EQ(CheckS3Options(bad).code(), ErrorCode::kInvalidArgument);
  bad = o;
  bad.list_page_size = 0;
  EXPECT_EQ(CheckS3Options(bad).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(OpenS3ObjectStore(bad).status().code(), ErrorCode::kInvalidArgument);
}

constexpr char kPage1[] =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<Prefix>pre/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<NextContinuationToken>1ue/+x==</NextContinuationToken>
<Contents><Key>pre/a&amp;b</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>
<ETag>&quot;abc&quot;</ETag><Size>12</Size></Contents>
<Contents><Key>pre/c&#x20;d&#233;</Key><Size>0</Size></Contents></ListBucketResult>)";

TEST(S3XmlTest, ListObjectsV2Pages) {
  auto page = ParseListObjectsV2(kPage1);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "pre/a&b");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[1].key, "pre/c d\xc3\xa9");
  EXPECT_EQ(page->objects[1].size, 0u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ue/+x==");

  auto last = ParseListObjectsV2(
      "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->objects.empty());
  EXPECT_FALSE(last->truncated);
}

TEST(S3XmlTest, MalformedListingsAreErrors) {
  for (const char* xml :
       {"", "<Error><Code>X</Code></Error>", "<ListBucketResult><Contents><Key>k</Key>",
        "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999</Size></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"}) {
    EXPECT_FALSE(ParseListObjectsV2(xml).ok()) << xml;
  }
}

TEST(S3XmlTest, ErrorsUploadIdsAndDeleteResults) {
  S3ErrorBody e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please reduce your "
      "request rate &amp; retry.</Message><RequestId>1</RequestId></Error>");
  EXPECT_EQ(e.code, "SlowDown");
  EXPECT_EQ(e.message, "Please reduce your request rate & retry.");
  EXPECT_TRUE(ParseS3Error("not xml").code.empty());
  EXPECT_TRUE(ParseS3Error("").code.empty());

  auto id = ParseUploadId(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2Fk&amp;1"
      "</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "VXBsb2Fk&1");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").ok());

  auto errs = ParseDeleteErrors(
      "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code>"
      "<Message>no</Message></Error></DeleteResult>");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].key, "b");
  EXPECT_EQ(errs[0].code, "AccessDenied");
}

TEST(S3XmlTest, EntitiesAndEscaping) {
  EXPECT_EQ(XmlDecode("a&lt;b&gt;&quot;&apos;&#65;&#x42;"), "a<b>\"'AB");
  EXPECT_EQ(XmlDecode("&bogus; & &#xZZ; &#0; &"), "&bogus; & &#xZZ; &#0; &");
  EXPECT_EQ(XmlEscape("<a & 'b'>\""), "&lt;a &amp; &apos;b&apos;&gt;&quot;");
  EXPECT_EQ(XmlDecode(XmlEscape("k&<>\"'")), "k&<>\"'");
  // <KeyCount> is not a <Key>; an empty element has empty text.
  EXPECT_EQ(XmlText("<KeyCount>3</KeyCount><Key>k</Key>", "Key"), "k");
  EXPECT_EQ(XmlText("<Key/>", "Key"), "");
  EXPECT_EQ(XmlText("<Key>unterminated", "Key"), std::nullopt);
}

}  // namespace
}  // namespace sh
