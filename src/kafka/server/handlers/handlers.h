// The Kafka handlers of a StreamHouse agent, one per API key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kafka/server/cluster_view.h"
#include "kafka/server/handler.h"

namespace sh::broker {
class Broker;
}

namespace sh::kafka {

struct HandlerOptions {
  int32_t node_id = 0;
  std::string advertised_host = "127.0.0.1";
  int32_t advertised_port = 9092;
  std::string cluster_id = "streamhouse";
  // The live agents, partition leaders and group coordinators (not owned; it
  // must outlive the handlers). Null: this agent alone, a SingleAgentView of
  // node_id and the advertised address, leader and coordinator of everything.
  const ClusterView* cluster = nullptr;
};

// Every handler except ApiVersions, which the Server builds from this list.
// options.cluster, if set, must outlive the handlers.
std::vector<std::unique_ptr<Handler>> MakeHandlers(broker::Broker& broker,
                                                   const HandlerOptions& options);

}  // namespace sh::kafka
