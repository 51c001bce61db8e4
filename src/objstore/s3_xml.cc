#include "objstore/s3_xml.h"

#include <charconv>
#include <cstdint>

namespace sh {
namespace {

// Appends the UTF-8 encoding of a code point; false if it is not one.
bool AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return true;
}

// Decodes the reference between '&' and ';' ("amp", "#10", "#x41").
bool DecodeReference(std::string_view ref, std::string* out) {
  if (ref == "amp") return *out += '&', true;
  if (ref == "lt") return *out += '<', true;
  if (ref == "gt") return *out += '>', true;
  if (ref == "quot") return *out += '"', true;
  if (ref == "apos") return *out += '\'', true;
  if (ref.size() < 2 || ref[0] != '#') return false;
  int base = 10;
  std::string_view digits = ref.substr(1);
  if (digits[0] == 'x' || digits[0] == 'X') {
    base = 16;
    digits = digits.substr(1);
  }
  uint32_t cp = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return false;
  return AppendUtf8(cp, out);
}

bool ParseU64(std::string_view s, uint64_t* v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t after = pos + open.size();
    if (after >= xml.size()) break;
    char c = xml[after];
    if (c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      pos = after;  // a longer name with this prefix ("<KeyCount>" for "Key")
      continue;
    }
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <Tag/>: empty element
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> found = XmlElements(xml, tag);
  if (found.empty()) return std::nullopt;
  return XmlDecode(found[0]);
}

std::string XmlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out += text[i++];
      continue;
    }
    size_t semi = text.find(';', i + 1);
    // References are short; a far ';' means a bare '&' that we keep as is.
    if (semi != std::string_view::npos && semi - i <= 12 &&
        DecodeReference(text.substr(i + 1, semi - i - 1), &out)) {
      i = semi + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

S3ErrorBody ParseS3Error(std::string_view xml) {
  S3ErrorBody e;
  std::vector<std::string_view> errors = XmlElements(xml, "Error");
  if (errors.empty()) return e;
  e.code = XmlText(errors[0], "Code").value_or("");
  e.message = XmlText(errors[0], "Message").value_or("");
  return e;
}

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  if (XmlElements(xml, "ListBucketResult").empty()) {
    return Status::Corruption("ListObjectsV2 answer has no ListBucketResult: '" +
                              std::string(xml.substr(0, 200)) + "'");
  }
  S3ListPage page;
  for (std::string_view contents : XmlElements(xml, "Contents")) {
    std::optional<std::string> key = XmlText(contents, "Key");
    std::optional<std::string> size = XmlText(contents, "Size");
    ObjectInfo info;
    if (!key || !size || !ParseU64(*size, &info.size)) {
      return Status::Corruption("ListObjectsV2 entry without a key or size: '" +
                                std::string(contents.substr(0, 200)) + "'");
    }
    info.key = std::move(*key);
    page.objects.push_back(std::move(info));
  }
  page.truncated = XmlText(xml, "IsTruncated").value_or("false") == "true";
  if (page.truncated) {
    page.next_token = XmlText(xml, "NextContinuationToken").value_or("");
    if (page.next_token.empty()) {
      return Status::Corruption("truncated ListObjectsV2 page without NextContinuationToken");
    }
  }
  return page;
}

Result<std::string> ParseUploadId(std::string_view xml) {
  std::optional<std::string> id = XmlText(xml, "UploadId");
  if (!id || id->empty()) {
    return Status::Corruption("InitiateMultipartUpload answer has no UploadId: '" +
                              std::string(xml.substr(0, 200)) + "'");
  }
  return std::move(*id);
}

std::vector<S3DeleteError> ParseDeleteErrors(std::string_view xml) {
  std::vector<S3DeleteError> out;
  for (std::string_view e : XmlElements(xml, "Error")) {
    out.push_back({XmlText(e, "Key").value_or(""), XmlText(e, "Code").value_or(""),
                   XmlText(e, "Message").value_or("")});
  }
  return out;
}

}  // namespace sh
