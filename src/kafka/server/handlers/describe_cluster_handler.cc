#include "kafka/server/handlers/describe_cluster_handler.h"

#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

// Kafka's MISMATCHED_ENDPOINT_TYPE and UNSUPPORTED_ENDPOINT_TYPE (KIP-919).
constexpr int16_t kMismatchedEndpointType = 114;
constexpr int16_t kUnsupportedEndpointType = 115;
constexpr int8_t kEndpointBrokers = 1;
constexpr int8_t kEndpointControllers = 2;

// Kafka's AclOperation codes allowed on the CLUSTER resource.
constexpr int32_t kClusterOperations = (1 << 5) |   // CREATE
                                       (1 << 7) |   // ALTER
                                       (1 << 8) |   // DESCRIBE
                                       (1 << 9) |   // CLUSTER_ACTION
                                       (1 << 10) |  // DESCRIBE_CONFIGS
                                       (1 << 11) |  // ALTER_CONFIGS
                                       (1 << 12);   // IDEMPOTENT_WRITE

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> DescribeClusterHandler::Handle(RequestContext& ctx) {
  Result<DescribeClusterRequest> req = DecodeRequest<DescribeClusterRequest>(ctx);
  if (!req.ok()) co_return req.status();
  co_return EncodeResponse(ctx, Answer(*req, ctx.header.request_api_version));
}

DescribeClusterResponse DescribeClusterHandler::Answer(const DescribeClusterRequest& req,
                                                       int16_t version) const {
  DescribeClusterResponse resp;
  resp.endpoint_type = kEndpointBrokers;
  if (version >= 1 && req.endpoint_type != kEndpointBrokers) {
    resp.endpoint_type = req.endpoint_type;
    resp.error_code = req.endpoint_type == kEndpointControllers ? kMismatchedEndpointType
                                                                : kUnsupportedEndpointType;
    resp.error_message = "this agent answers DescribeCluster for brokers (endpoint type 1) only";
    return resp;
  }
  resp.cluster_id = options_.cluster_id;
  resp.controller_id = cluster_->self_node_id();
  for (const BrokerNode& b : cluster_->Brokers()) {
    resp.brokers.push_back(
        {b.node_id, b.host, b.port, b.rack.empty() ? std::nullopt : std::optional(b.rack)});
  }
  if (req.include_cluster_authorized_operations) {
    resp.cluster_authorized_operations = kClusterOperations;
  }
  return resp;
}

}  // namespace sh::kafka
