// The few XML documents S3 answers with, parsed by a small purpose-built
// reader: error bodies, ListObjectsV2 pages, InitiateMultipartUpload and
// DeleteObjects results. S3's answers are flat, machine-written XML, so
// finding elements by name and decoding entities is enough; anything that
// does not have the expected shape is an error, never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "objstore/object_store.h"

namespace sh {

// The text of every <tag>...</tag> element in xml (raw, entities not
// decoded), in document order. Nested elements of the same name are not
// expected in S3's answers and are not supported.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);

// The decoded text of the first <tag> element, or nullopt if there is none.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);

// Decodes &amp; &lt; &gt; &quot; &apos; and numeric references (&#10;, &#x41;).
// Malformed references are kept as written.
std::string XmlDecode(std::string_view text);

// Escapes & < > " ' for element text.
std::string XmlEscape(std::string_view text);

// <Error><Code>NoSuchKey</Code><Message>...</Message></Error>
struct S3ErrorBody {
  std::string code;  // empty if the body is not an S3 error
  std::string message;
};
S3ErrorBody ParseS3Error(std::string_view xml);

// One page of ListObjectsV2. Keys are as stored (with the store prefix).
struct S3ListPage {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
  std::string next_token;  // set when truncated
};
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);

// The UploadId of an InitiateMultipartUploadResult.
Result<std::string> ParseUploadId(std::string_view xml);

// The <Error> entries of a DeleteResult: objects S3 did not delete.
struct S3DeleteError {
  std::string key;
  std::string code;
  std::string message;
};
std::vector<S3DeleteError> ParseDeleteErrors(std::string_view xml);

}  // namespace sh
