// Checks the AWS Signature V4 of the requests S3ObjectStore sends by
// recomputing it as S3 does, from what arrived at a loopback server: the
// canonical request (method, path, sorted query, signed headers, the payload
// hash from x-amz-content-sha256), the string to sign, and the HMAC chain.
// s3rver does not verify signatures, so this is what shows that AWS or
// MinIO would accept them.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <sstream>

#include "objstore/s3_object_store.h"
#include "objstore/s3_request.h"
#include "objstore/s3_test_server.h"

namespace sh {
namespace {

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// The value of "Name=value" among the comma-separated Authorization fields.
std::string AuthField(const std::string& auth, const std::string& name) {
  size_t at = auth.find(name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 1;
  size_t end = auth.find(',', at);
  return auth.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

// The signature S3 would compute for req; "" if the request lacks a field.
std::string ExpectedSignature(const TestHttpRequest& req, const std::string& secret) {
  const std::string auth =
      req.headers.count("authorization") ? req.headers.at("authorization") : "";
  const std::string credential = AuthField(auth, "Credential");
  const std::string signed_headers = AuthField(auth, "SignedHeaders");
  std::vector<std::string> scope = Split(credential, '/');  // AKID/DATE/REGION/s3/aws4_request
  if (scope.size() != 5 || signed_headers.empty() || !req.headers.count("x-amz-date")) return "";

  size_t q = req.target.find('?');
  const std::string path = req.target.substr(0, q);
  std::vector<std::string> params =
      q == std::string::npos ? std::vector<std::string>{} : Split(req.target.substr(q + 1), '&');
  for (std::string& p : params) {
    if (p.find('=') == std::string::npos) p += "=";
  }
  std::sort(params.begin(), params.end());
  std::string query;
  for (const std::string& p : params) query += (query.empty() ? "" : "&") + p;

  std::string headers;
  for (const std::string& name : Split(signed_headers, ';')) {
    auto it = req.headers.find(name);
    headers += name + ":" + (it == req.headers.end() ? "" : it->second) + "\n";
  }
  const std::string payload_hash =
      req.headers.count("x-amz-content-sha256") ? req.headers.at("x-amz-content-sha256") : "";
  const std::string canonical = req.method + "\n" + path + "\n" + query + "\n" + headers + "\n" +
                                signed_headers + "\n" + payload_hash;
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + req.headers.at("x-amz-date") + "\n" +
                              scope[1] + "/" + scope[2] + "/" + scope[3] + "/" + scope[4] + "\n" +
                              Sha256Hex(AsBytes(canonical));
  std::string key = Hmac("AWS4" + secret, scope[1]);
  key = Hmac(key, scope[2]);
  key = Hmac(key, scope[3]);
  key = Hmac(key, scope[4]);
  return Hex(Hmac(key, to_sign));
}

TEST(S3SignatureTest, RequestsCarryValidSigV4Signatures) {
  TestHttpServer server([](const TestHttpRequest& r, int) {
    if (r.method == "GET") {
      return TestHttpReply{200,
                           "<ListBucketResult><IsTruncated>false</IsTruncated>"
                           "</ListBucketResult>",
                           {}};
    }
    return TestHttpReply{200, "", {}};
  });
  ASSERT_NE(server.port(), 0);
  S3Options o;
  o.endpoint = server.endpoint();
  o.bucket = "bkt";
  o.path_style = true;
  o.region = "eu-central-1";
  o.access_key_id = "AKIDEXAMPLE";
  o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  o.session_token = "session/token+1";
  o.prefix = "p";
  o.max_retries = 0;
  S3ObjectStore store(o);
  ASSERT_TRUE(store.Put("dir/a key+1", AsBytes("some payload")).ok());
  ASSERT_TRUE(store.List("dir/x y").ok());  // query with encoded values
  ASSERT_TRUE(store.Delete("dir/a key+1").ok());
  ASSERT_TRUE(store.DeleteMany({"a", "b"}).ok());  // POST ?delete= with a body

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4u);
  for (const TestHttpRequest& r : reqs) {
    SCOPED_TRACE(r.method + " " + r.target);
    EXPECT_EQ(r.headers.at("x-amz-content-sha256"), Sha256Hex(AsBytes(r.body)));
    const std::string auth = r.headers.at("authorization");
    const std::string signed_headers = AuthField(auth, "SignedHeaders");
    EXPECT_NE(signed_headers.find("x-amz-content-sha256"), std::string::npos) << auth;
    EXPECT_NE(signed_headers.find("x-amz-security-token"), std::string::npos) << auth;
    EXPECT_NE(signed_headers.find("host"), std::string::npos) << auth;
    const std::string expected = ExpectedSignature(r, o.secret_access_key);
    ASSERT_FALSE(expected.empty()) << auth;
    EXPECT_EQ(AuthField(auth, "Signature"), expected) << auth;
  }
}

}  // namespace
}  // namespace sh
