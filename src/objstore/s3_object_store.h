// S3ObjectStore: the ObjectStore of a cluster, on S3 or any S3-compatible
// server (MinIO, s3rver), over libcurl with AWS Signature V4.
//
// Keys map to BUCKET/PREFIX/KEY. Requests reuse connections (one curl handle
// per thread keeps its connections open; DNS and TLS sessions are shared).
// A request that fails with 5xx, throttling (429, 503 SlowDown) or a network
// error is retried with jittered exponential backoff up to max_retries
// times; 4xx answers that cannot succeed (403, 404, 400) are not retried. Objects larger than
// multipart_threshold_bytes are uploaded in parts (multipart upload, aborted
// on failure). Documented for users in docs/object-store.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "objstore/object_store.h"

namespace sh {

struct S3Options {
  std::string bucket;
  std::string prefix;    // "" or "a/b" (no leading or trailing '/')
  std::string endpoint;  // "http://127.0.0.1:4568"; empty: https://s3.REGION.amazonaws.com
  std::string region = "us-east-1";
  bool path_style = false;  // ENDPOINT/BUCKET/KEY instead of BUCKET.ENDPOINT/KEY
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (x-amz-security-token)
  int64_t connect_timeout_ms = 5'000;
  int64_t request_timeout_ms = 30'000;
  int max_retries = 5;
  int64_t retry_base_ms = 100;  // first backoff; doubles, with full jitter, capped at 5 s
  uint64_t multipart_threshold_bytes = 64ull << 20;
  uint64_t multipart_part_bytes = 16ull << 20;  // at least 5 MiB (S3's minimum part)
  int list_page_size = 1000;                    // max-keys of one ListObjectsV2 page (1..1000)
};

// Parses "s3://BUCKET[/PREFIX]" into options->bucket and options->prefix.
// InvalidArgument naming the URL otherwise.
Status ParseS3Url(const std::string& url, S3Options* options);

// Fills empty credential and region fields from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (else
// AWS_DEFAULT_REGION) and AWS_ENDPOINT_URL in env.
void ApplyAwsEnvironment(const std::map<std::string, std::string>& env, S3Options* options);

// Checks the options (bucket set, credentials present, part size) and that
// the bucket answers (a HEAD or ListObjectsV2). Unavailable if the server
// cannot be reached; NotFound if the bucket does not exist.
Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(const S3Options& options);

class S3Client;

// The S3 backend. OpenS3ObjectStore makes one; the class is public for
// DeleteMany and for tests that need a store without the bucket check.
class S3ObjectStore final : public ObjectStore {
 public:
  // REQUIRES: options passed CheckS3Options (s3_request.h).
  explicit S3ObjectStore(const S3Options& options);
  ~S3ObjectStore() override;

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key) override;
  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Size(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override;

  // Deletes many objects with batched DeleteObjects requests (up to 1000
  // keys each). Absent keys are OK. Fails naming the first key S3 refused.
  Status DeleteMany(const std::vector<std::string>& keys);

  // OK if the bucket exists and answers (HEAD bucket); NotFound if not.
  Status CheckBucket();

  // HTTP requests sent so far, retries included (for metrics and tests).
  int requests_sent() const;

 private:
  Status PutMultipart(std::string_view key, ByteView data);
  std::string FullKey(std::string_view key) const;

  S3Options options_;
  std::unique_ptr<S3Client> client_;
};

}  // namespace sh
