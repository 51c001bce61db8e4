// DescribeClusterHandler: DescribeCluster v0-v1 (Kafka API key 60).
//
// The brokers are the live agents of the ClusterView (zone as rack; alone:
// this node at its advertised address); the controller is this agent, as in
// Metadata. v1's endpoint_type must
// be 1 (brokers): asking a broker for controllers is MISMATCHED_ENDPOINT_TYPE,
// as in Kafka; other values UNSUPPORTED_ENDPOINT_TYPE. With no authorizer every
// cluster operation is allowed, so include_cluster_authorized_operations
// answers the full set of cluster operations.
//
// Advertised: v0 only. The advertised maxima follow one Kafka release (3.0,
// see docs/compatibility.md), and DescribeCluster v1 came with Kafka 3.7.
// v1 (endpoint_type) is answered all the same should a client send it.
#pragma once

#include <cstdint>
#include <memory>

#include "kafka/protocol/generated/describe_cluster.h"
#include "kafka/server/handler.h"
#include "kafka/server/handlers/cluster_access.h"
#include "kafka/server/handlers/handlers.h"

namespace sh::kafka {

class DescribeClusterHandler final : public Handler {
 public:
  static constexpr int16_t kMaxAdvertisedVersion = 0;  // Kafka 3.0's maximum

  // Takes the broker like every other handler, though the answer needs only options.
  DescribeClusterHandler(broker::Broker& /*broker*/, const HandlerOptions& options)
      : options_(options), cluster_(ResolveClusterView(options)) {}

  ApiKey api_key() const override { return ApiKey::kDescribeCluster; }
  int16_t min_version() const override { return DescribeClusterRequest::kMinVersion; }
  int16_t max_version() const override { return kMaxAdvertisedVersion; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

  // The answer to `req` (no blocking: everything is in options).
  DescribeClusterResponse Answer(const DescribeClusterRequest& req, int16_t version) const;

 private:
  HandlerOptions options_;
  std::shared_ptr<const ClusterView> cluster_;
};

}  // namespace sh::kafka
