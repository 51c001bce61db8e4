// ApiVersionsHandler: answers ApiVersions (v0-v3) from the list of handlers
// the server runs, so the advertised ranges are exactly what is implemented.
//
// A request for a version above ours gets the KIP-511 fallback: an
// ApiVersions v0 response (header v0) with UNSUPPORTED_VERSION and the full
// list, after which clients retry with a version from that list.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "kafka/protocol/generated/api_versions.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class ApiVersionsHandler : public Handler {
 public:
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  // Advertises every handler in `handlers` plus ApiVersions itself, by key.
  explicit ApiVersionsHandler(const std::vector<std::unique_ptr<Handler>>& handlers);

  ApiKey api_key() const override { return ApiKey::kApiVersions; }
  int16_t min_version() const override { return kMinVersion; }
  int16_t max_version() const override { return kMaxVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

  // The response body at `version` with `error_code`.
  Result<Bytes> Encode(int16_t version, int16_t error_code) const;
  // The KIP-511 answer to a version we do not support: v0, UNSUPPORTED_VERSION.
  Bytes UnsupportedVersionBody() const;

  const std::vector<ApiVersionsResponse::ApiVersion>& apis() const { return apis_; }

 private:
  std::vector<ApiVersionsResponse::ApiVersion> apis_;  // ordered by key
};

}  // namespace sh::kafka
