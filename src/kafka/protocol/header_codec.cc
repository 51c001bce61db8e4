#include "kafka/protocol/header_codec.h"

#include "kafka/protocol/generated/api_table.h"

namespace sh::kafka {

int16_t RequestHeaderVersionFor(int16_t api_key, int16_t api_version) {
  const ApiInfo* api = FindApi(api_key);
  return api == nullptr ? 1 : api->RequestHeaderVersion(api_version);
}

int16_t ResponseHeaderVersionFor(int16_t api_key, int16_t api_version) {
  const ApiInfo* api = FindApi(api_key);
  return api == nullptr ? 0 : api->ResponseHeaderVersion(api_version);
}

Status DecodeRequestHeader(ByteReader& r, RequestHeader* header) {
  ByteReader peek = r;  // copies the cursor only
  const int16_t api_key = static_cast<int16_t>(peek.ReadBE16());
  const int16_t api_version = static_cast<int16_t>(peek.ReadBE16());
  if (!peek.ok()) return Status::Corruption("kafka request header: shorter than 4 bytes");
  return header->Decode(r, RequestHeaderVersionFor(api_key, api_version));
}

Status EncodeRequestHeader(const RequestHeader& header, ByteWriter& w) {
  return header.Encode(w,
                       RequestHeaderVersionFor(header.request_api_key, header.request_api_version));
}

Status EncodeResponseHeader(int32_t correlation_id, int16_t api_key, int16_t api_version,
                            ByteWriter& w) {
  ResponseHeader header;
  header.correlation_id = correlation_id;
  return header.Encode(w, ResponseHeaderVersionFor(api_key, api_version));
}

Status DecodeResponseHeader(ByteReader& r, int16_t api_key, int16_t api_version,
                            ResponseHeader* header) {
  return header->Decode(r, ResponseHeaderVersionFor(api_key, api_version));
}

}  // namespace sh::kafka
