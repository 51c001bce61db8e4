// The ObjectStore conformance suite and S3-only cases (multipart, paged
// listing, a missing bucket) against a real S3 server: the one servers.py
// starts (s3rver), or any other named by the SH_TEST_S3_* variables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "objstore/object_store_conformance.h"
#include "objstore/s3_object_store.h"

namespace sh {
namespace {

// Options for the test server, each store under a fresh random prefix so
// tests never see each other's objects. Fails the test if a variable is
// missing: this binary must run under servers.py.
bool TestOptions(S3Options* o) {
  const char* names[] = {"SH_TEST_S3_ENDPOINT", "SH_TEST_S3_BUCKET", "SH_TEST_S3_ACCESS_KEY",
                         "SH_TEST_S3_SECRET_KEY"};
  std::string values[4];
  for (int i = 0; i < 4; ++i) {
    const char* v = std::getenv(names[i]);
    if (v == nullptr || *v == '\0') {
      ADD_FAILURE() << names[i]
                    << " is not set: run this test under tests/support/servers.py run --s3 -- ...";
      return false;
    }
    values[i] = v;
  }
  o->endpoint = values[0];
  o->bucket = values[1];
  o->access_key_id = values[2];
  o->secret_access_key = values[3];
  o->region = "us-east-1";
  o->path_style = true;
  std::random_device rd;
  o->prefix = "test-" + std::to_string(rd()) + "-" + std::to_string(rd());
  return true;
}

// A store under a fresh prefix; removes what the test left on destruction.
class S3Harness final : public ObjectStoreHarness {
 public:
  explicit S3Harness(std::unique_ptr<S3ObjectStore> store) : store_(std::move(store)) {}
  ~S3Harness() override {
    auto left = store_->List("");
    if (!left.ok()) return;
    std::vector<std::string> keys;
    for (const ObjectInfo& i : *left) keys.push_back(i.key);
    EXPECT_TRUE(store_->DeleteMany(keys).ok());
  }
  ObjectStore& store() override { return *store_; }
  S3ObjectStore& s3() { return *store_; }

 private:
  std::unique_ptr<S3ObjectStore> store_;
};

std::unique_ptr<S3Harness> MakeHarness(S3Options o) {
  auto opened = OpenS3ObjectStore(o);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return nullptr;
  // OpenS3ObjectStore checked the bucket; the concrete class gives DeleteMany.
  return std::make_unique<S3Harness>(std::make_unique<S3ObjectStore>(o));
}

std::unique_ptr<ObjectStoreHarness> MakeS3Harness() {
  S3Options o;
  if (!TestOptions(&o)) return nullptr;
  return MakeHarness(o);
}

INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreConformanceTest,
                         ::testing::Values(ObjectStoreBackend{"S3", MakeS3Harness}),
                         ObjectStoreBackendName);

Bytes RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(S3ObjectStoreTest, MultipartUploadReadsBackByteExact) {
  S3Options o;
  ASSERT_TRUE(TestOptions(&o));
  o.multipart_threshold_bytes = (5u << 20) + 1;
  o.multipart_part_bytes = 5u << 20;
  auto h = MakeHarness(o);
  ASSERT_NE(h, nullptr);
  const Bytes data = RandomBytes((12u << 20) + 12345, 11);
  const int before = h->s3().requests_sent();
  Status s = h->store().Put("big/multipart", data);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // Start, three parts (5 + 5 + 2 MiB), complete: five requests, not one PUT.
  EXPECT_EQ(h->s3().requests_sent() - before, 5);
  auto got = h->store().Get("big/multipart");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  auto size = h->store().Size("big/multipart");
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, data.size());
  // A range across the first part boundary.
  const uint64_t off = (5u << 20) - 100, len = 1000;
  auto range = h->store().GetRange("big/multipart", off, len);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_TRUE(*range == Bytes(data.begin() + off, data.begin() + off + len));
  // Smaller objects still go in one PUT.
  const int single = h->s3().requests_sent();
  ASSERT_TRUE(h->store().Put("small", Bytes(5u << 20, 'x')).ok());
  EXPECT_EQ(h->s3().requests_sent() - single, 1);
}

TEST(S3ObjectStoreTest, ListFollowsContinuationTokens) {
  S3Options o;
  ASSERT_TRUE(TestOptions(&o));
  o.list_page_size = 2;
  auto h = MakeHarness(o);
  ASSERT_NE(h, nullptr);
  std::vector<std::string> keys = {"p/5", "p/1", "p/3", "q", "p/2", "p/4", "p/0"};
  for (const std::string& k : keys) ASSERT_TRUE(h->store().Put(k, AsBytes(k)).ok()) << k;
  const int before = h->s3().requests_sent();
  auto list = h->store().List("p/");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::vector<std::string> got;
  for (const ObjectInfo& i : *list) got.push_back(i.key);
  EXPECT_EQ(got, (std::vector<std::string>{"p/0", "p/1", "p/2", "p/3", "p/4", "p/5"}));
  EXPECT_EQ(h->s3().requests_sent() - before, 3);  // 6 keys, 2 a page
  EXPECT_EQ((*list)[3].size, 3u);
}

TEST(S3ObjectStoreTest, DeleteManyRemovesObjectsAndIgnoresAbsentOnes) {
  S3Options o;
  ASSERT_TRUE(TestOptions(&o));
  auto h = MakeHarness(o);
  ASSERT_NE(h, nullptr);
  for (const char* k : {"d/1", "d/2", "d/3", "keep"})
    ASSERT_TRUE(h->store().Put(k, AsBytes(k)).ok());
  Status s = h->s3().DeleteMany({"d/1", "d/2", "d/3", "d/never"});
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto list = h->store().List("");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "keep");
}

TEST(S3ObjectStoreTest, MissingBucketFailsWithoutRetries) {
  S3Options o;
  ASSERT_TRUE(TestOptions(&o));
  o.bucket = "no-such-bucket-" + o.prefix;
  o.max_retries = 3;
  S3ObjectStore store(o);
  Status s = store.Put("k", AsBytes("v"));
  EXPECT_EQ(s.code(), ErrorCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("NoSuchBucket"), std::string::npos) << s.message();
  EXPECT_EQ(store.requests_sent(), 1);
  auto opened = OpenS3ObjectStore(o);
  EXPECT_EQ(opened.status().code(), ErrorCode::kNotFound) << opened.status().ToString();
}

}  // namespace
}  // namespace sh
