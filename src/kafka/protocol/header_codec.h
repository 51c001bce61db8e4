// Request and response headers, with the header version chosen per API.
//
// A request header's version is not on the wire: it follows from the API key
// and version in its first four bytes (v2 with tagged fields for flexible API
// versions, else v1). Response headers are v1 for flexible versions, else v0,
// except ApiVersions, whose responses always use v0 (KIP-511) so that any
// client can read the error code even when it asked for a version we lack.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "kafka/protocol/generated/headers.h"

namespace sh::kafka {

// Unknown API keys get request header v1 (enough to read the correlation id
// and answer with an error) and response header v0.
int16_t RequestHeaderVersionFor(int16_t api_key, int16_t api_version);
int16_t ResponseHeaderVersionFor(int16_t api_key, int16_t api_version);

// Reads a request header, picking its version from its own key and version.
// Unsupported API versions are not an error here: the caller answers them.
Status DecodeRequestHeader(ByteReader& r, RequestHeader* header);
Status EncodeRequestHeader(const RequestHeader& header, ByteWriter& w);

Status EncodeResponseHeader(int32_t correlation_id, int16_t api_key, int16_t api_version,
                            ByteWriter& w);
Status DecodeResponseHeader(ByteReader& r, int16_t api_key, int16_t api_version,
                            ResponseHeader* header);

}  // namespace sh::kafka
