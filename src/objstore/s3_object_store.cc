#include "objstore/s3_object_store.h"

#include <algorithm>
#include <charconv>

#include "objstore/s3_request.h"
#include "objstore/s3_xml.h"

namespace sh {
namespace {

bool ValidBucketName(std::string_view b) {
  if (b.empty() || b.size() > 255) return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

std::string EnvOr(const std::map<std::string, std::string>& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

void FillIfEmpty(std::string* field, const std::string& value) {
  if (field->empty()) *field = value;
}

bool Ok2xx(long status) { return status >= 200 && status < 300; }

// "bytes=A-B", or "bytes=A-" when A + length would pass 2^64 (the object
// cannot be that long, so the open end means the same). Never a suffix range.
std::string RangeHeader(uint64_t offset, uint64_t length) {
  std::string h = "Range: bytes=" + std::to_string(offset) + "-";
  if (length - 1 <= UINT64_MAX - offset) h += std::to_string(offset + (length - 1));
  return h;
}

}  // namespace

Status ParseS3Url(const std::string& url, S3Options* options) {
  constexpr std::string_view kScheme = "s3://";
  if (url.rfind(kScheme, 0) != 0) {
    return Status::InvalidArgument("S3 URL '" + url + "' must start with s3://");
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (!ValidBucketName(bucket)) {
    return Status::InvalidArgument("S3 URL '" + url +
                                   "': bucket name must be letters, digits, '.', '-' or '_'");
  }
  if (!prefix.empty() && (prefix.front() == '/' || prefix.find("//") != std::string_view::npos)) {
    return Status::InvalidArgument("S3 URL '" + url + "': prefix has an empty path segment");
  }
  options->bucket = std::string(bucket);
  options->prefix = std::string(prefix);
  return Status::OK();
}

void ApplyAwsEnvironment(const std::map<std::string, std::string>& env, S3Options* options) {
  FillIfEmpty(&options->access_key_id, EnvOr(env, "AWS_ACCESS_KEY_ID"));
  FillIfEmpty(&options->secret_access_key, EnvOr(env, "AWS_SECRET_ACCESS_KEY"));
  FillIfEmpty(&options->session_token, EnvOr(env, "AWS_SESSION_TOKEN"));
  FillIfEmpty(&options->region, EnvOr(env, "AWS_REGION"));
  FillIfEmpty(&options->region, EnvOr(env, "AWS_DEFAULT_REGION"));
  FillIfEmpty(&options->endpoint, EnvOr(env, "AWS_ENDPOINT_URL"));
}

Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(const S3Options& options) {
  SH_RETURN_IF_ERROR(CheckS3Options(options));
  auto store = std::make_unique<S3ObjectStore>(options);
  SH_RETURN_IF_ERROR(store->CheckBucket());
  return std::unique_ptr<ObjectStore>(std::move(store));
}

S3ObjectStore::S3ObjectStore(const S3Options& options)
    : options_(options), client_(std::make_unique<S3Client>(options)) {
  if (options_.region.empty()) options_.region = "us-east-1";
}

S3ObjectStore::~S3ObjectStore() = default;

int S3ObjectStore::requests_sent() const { return client_->attempts(); }

std::string S3ObjectStore::FullKey(std::string_view key) const {
  if (options_.prefix.empty()) return std::string(key);
  return options_.prefix + "/" + std::string(key);
}

std::string S3ObjectStore::Describe() const {
  std::string d = "s3://" + options_.bucket;
  if (!options_.prefix.empty()) d += "/" + options_.prefix;
  return d + " at " + S3Endpoint(options_);
}

Status S3ObjectStore::CheckBucket() {
  S3Request req{"HEAD", S3ObjectUrl(options_, ""), {}, {}};
  SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, "open bucket", options_.bucket));
  if (Ok2xx(r.status)) return Status::OK();
  if (r.status == 404) {
    return Status::NotFound("S3 bucket '" + options_.bucket + "' not found at " +
                            S3Endpoint(options_));
  }
  return S3ErrorStatus("open bucket", options_.bucket, r);
}

Status S3ObjectStore::Put(std::string_view key, ByteView data) {
  if (data.size() > options_.multipart_threshold_bytes) return PutMultipart(key, data);
  S3Request req{"PUT", S3ObjectUrl(options_, FullKey(key)), {}, data};
  SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, "put object", key));
  if (!Ok2xx(r.status)) return S3ErrorStatus("put object", key, r);
  return Status::OK();
}

Result<Bytes> S3ObjectStore::Get(std::string_view key) {
  S3Request req{"GET", S3ObjectUrl(options_, FullKey(key)), {}, {}};
  SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, "get object", key));
  if (!Ok2xx(r.status)) return S3ErrorStatus("get object", key, r);
  return std::move(r.body);
}

Result<Bytes> S3ObjectStore::GetRange(std::string_view key, uint64_t offset, uint64_t length) {
  const std::string what =
      "get range " + std::to_string(offset) + "+" + std::to_string(length) + " of object";
  if (length == 0) {
    // No bytes to fetch; only whether offset is within the object matters.
    SH_ASSIGN_OR_RETURN(uint64_t size, Size(key));
    if (offset > size) {
      return Status::OutOfRange(what + " '" + std::string(key) + "': object has " +
                                std::to_string(size) + " bytes");
    }
    return Bytes{};
  }
  S3Request req{"GET", S3ObjectUrl(options_, FullKey(key)), {RangeHeader(offset, length)}, {}};
  SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, what, key));
  if (!Ok2xx(r.status)) return S3ErrorStatus(what, key, r);
  Bytes body = std::move(r.body);
  if (r.status == 200) {
    // The server ignored the Range header and sent the whole object.
    if (offset >= body.size())
      body.clear();
    else
      body = Bytes(body.begin() + offset,
                   body.begin() + offset + std::min<uint64_t>(length, body.size() - offset));
  }
  // Some servers answer a range on an empty object with 206 and no bytes
  // instead of 416: either way no byte of the range exists.
  if (body.empty()) {
    return Status::OutOfRange(what + " '" + std::string(key) + "': no byte of the range exists");
  }
  if (body.size() > length) {
    return Status::Corruption(what + " '" + std::string(key) + "': server sent " +
                              std::to_string(body.size()) + " bytes");
  }
  return body;
}

Result<uint64_t> S3ObjectStore::Size(std::string_view key) {
  S3Request req{"HEAD", S3ObjectUrl(options_, FullKey(key)), {}, {}};
  SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, "size of object", key));
  if (r.status == 404) return Status::NotFound("object '" + std::string(key) + "' not found");
  if (!Ok2xx(r.status)) return S3ErrorStatus("size of object", key, r);
  auto it = r.headers.find("content-length");
  uint64_t size = 0;
  if (it == r.headers.end() ||
      std::from_chars(it->second.data(), it->second.data() + it->second.size(), size).ec !=
          std::errc()) {
    return Status::Corruption("size of object '" + std::string(key) +
                              "': HEAD answer without a Content-Length");
  }
  return size;
}

Result<std::vector<ObjectInfo>> S3ObjectStore::List(std::string_view prefix) {
  const std::string store_prefix = options_.prefix.empty() ? "" : options_.prefix + "/";
  const std::string full = store_prefix + std::string(prefix);
  std::vector<ObjectInfo> out;
  std::string token;
  // Each page must move on; a server repeating a token would loop forever.
  for (int page = 0;; ++page) {
    std::vector<std::pair<std::string, std::string>> query = {
        {"list-type", "2"}, {"max-keys", std::to_string(options_.list_page_size)}};
    if (!full.empty()) query.emplace_back("prefix", full);
    if (!token.empty()) query.emplace_back("continuation-token", token);
    S3Request req{"GET", S3ObjectUrl(options_, "", std::move(query)), {}, {}};
    SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, "list prefix", prefix));
    if (!Ok2xx(r.status)) return S3ErrorStatus("list prefix", prefix, r);
    SH_ASSIGN_OR_RETURN(S3ListPage p, ParseListObjectsV2(AsString(r.body)));
    for (ObjectInfo& info : p.objects) {
      if (info.key.rfind(full, 0) != 0) continue;  // not ours: ignore
      info.key.erase(0, store_prefix.size());
      out.push_back(std::move(info));
    }
    if (!p.truncated) break;
    if (p.next_token == token) {
      return Status::Corruption("list prefix '" + std::string(prefix) +
                                "': server repeated continuation token on page " +
                                std::to_string(page));
    }
    token = std::move(p.next_token);
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Status S3ObjectStore::Delete(std::string_view key) {
  S3Request req{"DELETE", S3ObjectUrl(options_, FullKey(key)), {}, {}};
  SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, "delete object", key));
  if (Ok2xx(r.status) || r.status == 404) return Status::OK();
  return S3ErrorStatus("delete object", key, r);
}

}  // namespace sh
