// S3ObjectStore's batched operations: multipart upload and DeleteObjects.
#include <openssl/evp.h>

#include <algorithm>

#include "objstore/s3_object_store.h"
#include "objstore/s3_request.h"
#include "objstore/s3_xml.h"

namespace sh {
namespace {

constexpr uint64_t kMaxParts = 10'000;    // S3's limit per upload
constexpr size_t kMaxDeleteKeys = 1'000;  // S3's limit per DeleteObjects

bool Ok2xx(long status) { return status >= 200 && status < 300; }

// Base64 of the MD5 of data: DeleteObjects requires a Content-MD5 header.
std::string ContentMd5(ByteView data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

std::string CompleteBody(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           XmlEscape(etags[i]) + "</ETag></Part>";
  }
  return xml + "</CompleteMultipartUpload>";
}

}  // namespace

Status S3ObjectStore::PutMultipart(std::string_view key, ByteView data) {
  const std::string full = FullKey(key);
  // Parts grow past the configured size when the object would need more
  // than S3's 10,000 parts.
  const uint64_t part =
      std::max<uint64_t>(options_.multipart_part_bytes, (data.size() + kMaxParts - 1) / kMaxParts);
  S3Request init{"POST", S3ObjectUrl(options_, full, {{"uploads", ""}}), {}, {}};
  SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(init, "start multipart upload of", key));
  if (!Ok2xx(r.status)) return S3ErrorStatus("start multipart upload of", key, r);
  SH_ASSIGN_OR_RETURN(std::string upload_id, ParseUploadId(AsString(r.body)));

  auto upload = [&]() -> Status {
    std::vector<std::string> etags;
    for (uint64_t off = 0; off < data.size(); off += part) {
      const std::string number = std::to_string(etags.size() + 1);
      const std::string what = "upload part " + number + " of";
      ByteView chunk = data.subspan(off, std::min<uint64_t>(part, data.size() - off));
      S3Request put{"PUT",
                    S3ObjectUrl(options_, full, {{"partNumber", number}, {"uploadId", upload_id}}),
                    {},
                    chunk};
      SH_ASSIGN_OR_RETURN(S3Response pr, client_->Send(put, what, key));
      if (!Ok2xx(pr.status)) return S3ErrorStatus(what, key, pr);
      auto etag = pr.headers.find("etag");
      if (etag == pr.headers.end() || etag->second.empty()) {
        return Status::IOError(what + " '" + std::string(key) + "': answer without an ETag");
      }
      etags.push_back(etag->second);
    }
    const std::string body = CompleteBody(etags);
    S3Request done{
        "POST", S3ObjectUrl(options_, full, {{"uploadId", upload_id}}), {}, AsBytes(body)};
    SH_ASSIGN_OR_RETURN(S3Response cr, client_->Send(done, "complete multipart upload of", key));
    // S3 may answer 200 and put the error in the body.
    S3ErrorBody err = ParseS3Error(AsString(cr.body));
    if (!Ok2xx(cr.status) || !err.code.empty()) {
      if (Ok2xx(cr.status)) cr.status = 500;  // report as a server failure
      return S3ErrorStatus("complete multipart upload of", key, cr);
    }
    return Status::OK();
  };
  Status s = upload();
  if (!s.ok()) {
    // Best effort: an upload left behind costs storage until a lifecycle
    // rule removes it, but the Put has failed either way.
    S3Request abort{"DELETE", S3ObjectUrl(options_, full, {{"uploadId", upload_id}}), {}, {}};
    (void)client_->Send(abort, "abort multipart upload of", key);
  }
  return s;
}

Status S3ObjectStore::DeleteMany(const std::vector<std::string>& keys) {
  for (size_t start = 0; start < keys.size(); start += kMaxDeleteKeys) {
    const size_t end = std::min(keys.size(), start + kMaxDeleteKeys);
    std::string xml = "<Delete><Quiet>true</Quiet>";
    for (size_t i = start; i < end; ++i) {
      xml += "<Object><Key>" + XmlEscape(FullKey(keys[i])) + "</Key></Object>";
    }
    xml += "</Delete>";
    S3Request req{"POST",
                  S3ObjectUrl(options_, "", {{"delete", ""}}),
                  {"Content-MD5: " + ContentMd5(AsBytes(xml))},
                  AsBytes(xml)};
    const std::string& first = keys[start];
    SH_ASSIGN_OR_RETURN(S3Response r, client_->Send(req, "delete objects from", first));
    if (!Ok2xx(r.status)) return S3ErrorStatus("delete objects from", first, r);
    for (const S3DeleteError& e : ParseDeleteErrors(AsString(r.body))) {
      if (e.code == "NoSuchKey") continue;  // absent is deleted
      return Status::IOError("delete object '" + e.key + "': " + e.code + ": " + e.message);
    }
  }
  return Status::OK();
}

}  // namespace sh
