// S3 requests: URL building, AWS Signature V4 via libcurl, retries.
//
// S3Client sends one logical request, retrying transient failures (network
// errors, 5xx, 429) with full-jitter exponential backoff. Signing is left to
// libcurl (CURLOPT_AWS_SIGV4); the payload hash (x-amz-content-sha256) is
// computed here, because S3 requires that header and older libcurl versions
// do not add it. Each thread keeps one curl easy handle whose connections
// stay open between requests (and across stores); all handles share one DNS
// cache and TLS session cache. (A connection cache shared between threads is
// a known libcurl 7.88 bug, so connections stay per thread.)
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "objstore/s3_object_store.h"

namespace sh {

// Checks what OpenS3ObjectStore requires before any request: bucket,
// credentials, endpoint form, part size, retry and page settings.
Status CheckS3Options(const S3Options& options);

// Percent-encodes s per S3's rules: unreserved characters (A-Z a-z 0-9 - _ . ~)
// stay, every other byte becomes %XX (upper-case hex); '/' stays unless
// encode_slash (query values encode it, object paths do not).
std::string S3UriEncode(std::string_view s, bool encode_slash);

// "https://s3.REGION.amazonaws.com" or options.endpoint without a trailing '/'.
std::string S3Endpoint(const S3Options& options);

// The URL of an object (full_key already includes the store prefix), or of
// the bucket when full_key is empty. Query parameters are sorted by name and
// encoded, and a parameter without value is written "name=", as SigV4's
// canonical query string wants.
std::string S3ObjectUrl(const S3Options& options, std::string_view full_key,
                        std::vector<std::pair<std::string, std::string>> query = {});

// Lowercase hex SHA-256 of data.
std::string Sha256Hex(ByteView data);

struct S3Request {
  std::string method;  // "GET", "PUT", "HEAD", "DELETE", "POST"
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  ByteView body;                     // sent for PUT and POST
};

struct S3Response {
  long status = 0;
  Bytes body;
  std::map<std::string, std::string> headers;  // names in lower case
};

// The outcome of one attempt, before retries.
struct S3Attempt {
  int curl_code = 0;       // CURLE_OK or the transport error
  std::string curl_error;  // curl's text for curl_code
  S3Response response;
};

class S3Client {
 public:
  explicit S3Client(const S3Options& options);

  // Sends the request, retrying as the file comment says. Returns the final
  // response whatever its HTTP status (callers map statuses to Status with
  // S3ErrorStatus), or Unavailable when retries ran out on a transport error
  // or a retriable status. what/key name the operation in messages.
  Result<S3Response> Send(const S3Request& request, std::string_view what, std::string_view key);

  // Requests sent (attempts included) since construction; for tests.
  int attempts() const { return attempts_.load(); }

 private:
  S3Attempt Attempt(const S3Request& request);

  const S3Options options_;
  std::atomic<int> attempts_{0};
};

// True for a Content-Range value ("bytes 0-0/0") whose first byte is not
// in the object: the request's range is unsatisfiable whatever the status.
bool S3UnsatisfiableContentRange(std::string_view value);

// True for HTTP statuses worth retrying: 5xx and 429 (throttling).
bool S3RetriableStatus(long status);

// The error Status for a non-2xx response: 404 NotFound, 403 IOError (access
// denied), 416 OutOfRange, 400 InvalidArgument, 5xx/429 Unavailable, other
// IOError. The message names what, the key, the HTTP status and S3's error
// code and message from the XML body.
Status S3ErrorStatus(std::string_view what, std::string_view key, const S3Response& response);

}  // namespace sh
