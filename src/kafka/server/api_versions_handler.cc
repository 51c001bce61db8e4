#include "kafka/server/api_versions_handler.h"

#include <algorithm>

#include "kafka/server/errors.h"

namespace sh::kafka {

ApiVersionsHandler::ApiVersionsHandler(const std::vector<std::unique_ptr<Handler>>& handlers) {
  apis_.push_back({static_cast<int16_t>(ApiKey::kApiVersions), kMinVersion, kMaxVersion});
  for (const auto& h : handlers) {
    if (h == nullptr || h->api_key() == ApiKey::kApiVersions) continue;
    apis_.push_back({static_cast<int16_t>(h->api_key()), h->min_version(), h->max_version()});
  }
  std::sort(apis_.begin(), apis_.end(),
            [](const auto& a, const auto& b) { return a.api_key < b.api_key; });
}

Result<Bytes> ApiVersionsHandler::Encode(int16_t version, int16_t error_code) const {
  ApiVersionsResponse resp;
  resp.error_code = error_code;
  resp.api_keys = apis_;
  resp.throttle_time_ms = 0;
  // v3 fields as a Kafka broker without feature flags sends them.
  resp.supported_features.clear();
  resp.finalized_features_epoch = -1;
  resp.finalized_features.clear();
  ByteWriter w;
  SH_RETURN_IF_ERROR(resp.Encode(w, version));
  return w.Take();
}

Bytes ApiVersionsHandler::UnsupportedVersionBody() const {
  Result<Bytes> body = Encode(0, Code(KafkaError::kUnsupportedVersion));
  SH_CHECK_MSG(body.ok(), body.status().ToString());  // v0 of a fixed message always encodes
  return std::move(body).value();
}

asio::awaitable<Result<std::optional<Bytes>>> ApiVersionsHandler::Handle(RequestContext& ctx) {
  int16_t version = ctx.header.request_api_version;
  // v3+ requests carry the client's software name and version; a request
  // that does not decode is answered with INVALID_REQUEST, as Kafka does.
  Result<ApiVersionsRequest> req = DecodeRequest<ApiVersionsRequest>(ctx);
  int16_t error = req.ok() ? Code(KafkaError::kNone) : Code(KafkaError::kInvalidRequest);
  Result<Bytes> body = Encode(version, error);
  if (!body.ok()) co_return body.status();
  co_return std::optional<Bytes>(std::move(body).value());
}

}  // namespace sh::kafka
