#include "objstore/s3_request.h"

#include <curl/curl.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "objstore/s3_xml.h"

namespace sh {
namespace {

constexpr int64_t kMaxBackoffMs = 5'000;
constexpr uint64_t kMinPartBytes = 5ull << 20;

// One lock per curl_lock_data kind, for the process-wide share handle.
std::mutex share_locks[CURL_LOCK_DATA_LAST];

void LockShare(CURL*, curl_lock_data data, curl_lock_access, void*) { share_locks[data].lock(); }
void UnlockShare(CURL*, curl_lock_data data, void*) { share_locks[data].unlock(); }

// curl_global_init once, and one share of DNS answers and TLS sessions for
// every handle. Connections are not shared: libcurl 7.88 (Debian 12) lists a
// shared connection cache used from concurrent threads as a known bug
// (KNOWN_BUGS 11.11); each thread's handle keeps its own connections alive
// across requests instead. Never freed: exiting threads' handles may use it.
CURLSH* GlobalShare() {
  static CURLSH* share = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLSH* s = curl_share_init();
    curl_share_setopt(s, CURLSHOPT_LOCKFUNC, LockShare);
    curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, UnlockShare);
    curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return s;
  }();
  return share;
}

// The calling thread's easy handle (reset before each request).
class ThreadHandle {
 public:
  ThreadHandle() : curl_(curl_easy_init()) {}
  ~ThreadHandle() { curl_easy_cleanup(curl_); }
  CURL* get() { return curl_; }

 private:
  CURL* curl_;
};

CURL* HandleForThread() {
  GlobalShare();  // curl_global_init before the first easy handle
  thread_local ThreadHandle handle;
  return handle.get();
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<Bytes*>(user);
  body->insert(body->end(), data, data + size * n);
  return size * n;
}

// Marks a response whose Content-Range names no existing byte.
constexpr char kUnsatisfiable[] = ":unsatisfiable-range";

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * n);
  // A new status line (after a 100 Continue, a redirect) starts a new set.
  if (line.substr(0, 5) == "HTTP/") headers->clear();
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    // A range that starts past the object's end is answered 416 by S3, but
    // some servers (s3rver, for an empty object) send 206 with a
    // Content-Length they never fill. Stop before waiting for that body.
    if (name == "content-range" && S3UnsatisfiableContentRange(value)) {
      (*headers)[kUnsatisfiable] = "1";
      return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    (*headers)[name] = std::string(value);
  }
  return size * n;
}

// Transport errors that a later attempt may not hit.
bool RetriableCurlCode(int code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

// Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)].
void Backoff(int64_t base_ms, int attempt) {
  int64_t ceiling = std::max<int64_t>(base_ms, 1);
  for (int i = 0; i < attempt && ceiling < kMaxBackoffMs; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, kMaxBackoffMs);
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<int64_t> wait(0, ceiling);
  std::this_thread::sleep_for(std::chrono::milliseconds(wait(rng)));
}

std::string Describe(std::string_view what, std::string_view key) {
  std::string m(what);
  if (!key.empty()) m += " '" + std::string(key) + "'";
  return m;
}

}  // namespace

Status CheckS3Options(const S3Options& o) {
  if (o.bucket.empty()) return Status::InvalidArgument("S3: no bucket given");
  if (o.access_key_id.empty() || o.secret_access_key.empty()) {
    return Status::InvalidArgument("S3 bucket '" + o.bucket +
                                   "': no credentials (access key id and secret access key)");
  }
  if (!o.prefix.empty() && (o.prefix.front() == '/' || o.prefix.back() == '/')) {
    return Status::InvalidArgument("S3 prefix '" + o.prefix + "' must not start or end with '/'");
  }
  if (!o.endpoint.empty() && o.endpoint.rfind("http://", 0) != 0 &&
      o.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("S3 endpoint '" + o.endpoint +
                                   "' must start with http:// or https://");
  }
  if (o.multipart_part_bytes < kMinPartBytes) {
    return Status::InvalidArgument("S3 multipart part size " +
                                   std::to_string(o.multipart_part_bytes) +
                                   " is below S3's minimum of 5 MiB");
  }
  if (o.max_retries < 0 || o.list_page_size < 1 || o.list_page_size > 1000 ||
      o.connect_timeout_ms <= 0 || o.request_timeout_ms <= 0 || o.retry_base_ms < 0) {
    return Status::InvalidArgument(
        "S3 options: max_retries >= 0, list_page_size in 1..1000 and positive timeouts required");
  }
  return Status::OK();
}

std::string S3UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string S3Endpoint(const S3Options& options) {
  std::string e = options.endpoint;
  if (e.empty()) {
    const std::string region = options.region.empty() ? "us-east-1" : options.region;
    e = "https://s3." + region + ".amazonaws.com";
  }
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

std::string S3ObjectUrl(const S3Options& options, std::string_view full_key,
                        std::vector<std::pair<std::string, std::string>> query) {
  std::string endpoint = S3Endpoint(options);
  std::string url;
  if (options.path_style) {
    url = endpoint + "/" + options.bucket;
  } else {
    size_t host = endpoint.find("://");
    host = host == std::string::npos ? 0 : host + 3;
    url = endpoint.substr(0, host) + options.bucket + "." + endpoint.substr(host);
  }
  url += "/" + S3UriEncode(full_key, false);
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) {
    url += i == 0 ? "?" : "&";
    url += S3UriEncode(query[i].first, true) + "=" + S3UriEncode(query[i].second, true);
  }
  return url;
}

std::string Sha256Hex(ByteView data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool S3UnsatisfiableContentRange(std::string_view value) {
  // "bytes FIRST-LAST/TOTAL"
  constexpr std::string_view kUnit = "bytes ";
  if (value.substr(0, kUnit.size()) != kUnit) return false;
  value.remove_prefix(kUnit.size());
  size_t dash = value.find('-'), slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return false;
  }
  uint64_t first = 0, total = 0;
  std::string_view f = value.substr(0, dash), t = value.substr(slash + 1);
  if (std::from_chars(f.data(), f.data() + f.size(), first).ptr != f.data() + f.size() ||
      std::from_chars(t.data(), t.data() + t.size(), total).ptr != t.data() + t.size() ||
      f.empty() || t.empty()) {
    return false;  // includes "*" totals
  }
  return first >= total;
}

bool S3RetriableStatus(long status) { return status >= 500 || status == 429; }

Status S3ErrorStatus(std::string_view what, std::string_view key, const S3Response& response) {
  S3ErrorBody err = ParseS3Error(AsString(response.body));
  std::string m = Describe(what, key) + ": HTTP " + std::to_string(response.status);
  if (!err.code.empty()) m += " " + err.code;
  if (!err.message.empty()) m += ": " + err.message;
  const long s = response.status;
  if (s == 404) return Status::NotFound(m);
  if (s == 416) return Status::OutOfRange(m);
  if (s == 400) return Status::InvalidArgument(m);
  if (S3RetriableStatus(s)) return Status::Unavailable(m);
  if (s == 403) return Status::IOError(m + " (access denied: check the credentials and policy)");
  return Status::IOError(m);
}

S3Client::S3Client(const S3Options& options) : options_(options) {}

S3Attempt S3Client::Attempt(const S3Request& request) {
  S3Attempt a;
  CURL* curl = HandleForThread();
  curl_easy_reset(curl);
  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string region = options_.region.empty() ? "us-east-1" : options_.region;
  const std::string sigv4 = "aws:amz:" + region + ":s3";
  const std::string userpwd = options_.access_key_id + ":" + options_.secret_access_key;

  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  const std::string sha = "x-amz-content-sha256: " + Sha256Hex(request.body);
  headers = curl_slist_append(headers, sha.c_str());
  if (!options_.session_token.empty()) {
    const std::string token = "x-amz-security-token: " + options_.session_token;
    headers = curl_slist_append(headers, token.c_str());
  }
  // No "Expect: 100-continue" round trip, and no form content type on POST.
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Content-Type:");

  curl_easy_setopt(curl, CURLOPT_SHARE, GlobalShare());
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a.response.headers);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    // POSTFIELDS sends the body from memory with a Content-Length, for any
    // method; CUSTOMREQUEST then names the method.
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    // Never a null pointer: curl would then read the body from stdin.
    static const char kEmpty[] = "";
    const void* data =
        request.body.empty() ? static_cast<const void*>(kEmpty) : request.body.data();
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  a.curl_code = rc;
  if (rc == CURLE_WRITE_ERROR && a.response.headers.count(kUnsatisfiable) > 0) {
    a.curl_code = CURLE_OK;
    a.response.status = 416;
    a.response.body.clear();
  } else if (rc != CURLE_OK) {
    a.curl_error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.response.status);
  }
  // The handle must not keep pointers into this frame.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  attempts_++;
  return a;
}

Result<S3Response> S3Client::Send(const S3Request& request, std::string_view what,
                                  std::string_view key) {
  std::string last;
  const int tries = options_.max_retries + 1;
  for (int i = 0; i < tries; ++i) {
    if (i > 0) Backoff(options_.retry_base_ms, i - 1);
    S3Attempt a = Attempt(request);
    if (a.curl_code != CURLE_OK) {
      last = a.curl_error;
      if (!RetriableCurlCode(a.curl_code)) {
        return Status::Unavailable(Describe(what, key) + ": " + request.method + " " + request.url +
                                   ": " + last);
      }
      continue;
    }
    if (!S3RetriableStatus(a.response.status)) return std::move(a.response);
    last = S3ErrorStatus(what, key, a.response).message();
  }
  std::string m =
      last.rfind(Describe(what, key), 0) == 0
          ? last
          : Describe(what, key) + ": " + request.method + " " + request.url + ": " + last;
  return Status::Unavailable(m + " (after " + std::to_string(tries) + " attempts)");
}

}  // namespace sh
