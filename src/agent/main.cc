// streamhouse: a StreamHouse agent. With no arguments, an embedded agent on
// 127.0.0.1:9092 with its data in ./data (docs/design.md §1). Settings: --help and
// docs/configuration.md.
//
// Cluster backends: metadata.url postgres://… and storage.url s3://… (backends.h,
// docs/deployment.md). Several agents on them: cluster.enabled, each with its
// own agent.id and agent.node_id (cluster_loop.h, docs/cluster.md).
//
// Exit status: 0 after a clean shutdown (SIGTERM, SIGINT), 1 if the agent
// cannot start (a backend cannot be reached, …) or stop cleanly, 2 for bad
// settings (including a backend URL that can never work).
#include <asio.hpp>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/backends.h"
#include "agent/cluster_loop.h"
#include "base/clock.h"
#include "base/log.h"
#include "broker/broker.h"
#include "broker/data_dir.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/group_handlers.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/server.h"
#include "metadata/cached_metadata_store.h"

namespace sh::agent {
namespace {

constexpr char kVersion[] = "0.1.0";

// Catches SIGINT and SIGTERM from construction on (so that one arriving
// while the agent starts is not lost); Wait() blocks until one arrives.
class ShutdownSignal {
 public:
  ShutdownSignal() : signals_(io_, SIGINT, SIGTERM) {
    signals_.async_wait([](const asio::error_code& ec, int signo) {
      if (!ec) {
        SH_LOG(INFO) << "streamhouse: " << ::strsignal(signo) << "; shutting down";
      }
    });
  }
  void Wait() { io_.run(); }

 private:
  asio::io_context io_;
  asio::signal_set signals_;
};

// The open backends, and the data directory lock when they live there.
struct Backends {
  std::unique_ptr<broker::DataDirLock> lock;
  std::unique_ptr<MetadataStore> metadata;
  std::unique_ptr<ObjectStore> objects;
};

// Opens both backends; returns 0, or the exit status after logging why not:
// 2 for a setting that can never work, 1 for a backend that cannot be reached.
int OpenBackends(const AgentConfig& config, Backends* out) {
  auto fail = [](const char* what, const std::string& url, const Status& st) {
    SH_LOG(ERROR) << "streamhouse: cannot open the " << what << " " << RedactUrl(url) << ": "
                  << st.ToString();
    return st.code() == ErrorCode::kInvalidArgument ? 2 : 1;
  };
  // The lock guards the embedded backends' files only; a cluster agent
  // (PostgreSQL and S3) keeps nothing local.
  if (BackendsUseDataDir(config)) {
    auto locked = broker::DataDirLock::Acquire(config.data_dir);
    if (!locked.ok()) {
      SH_LOG(ERROR) << "streamhouse: " << locked.status().ToString()
                    << (locked.status().code() == ErrorCode::kUnavailable
                            ? " (another agent, or streamctl)"
                            : "");
      return 1;
    }
    out->lock = std::move(*locked);
  }
  auto metadata = OpenMetadataStore(config);
  if (!metadata.ok()) {
    return fail("metadata store", config.effective_metadata_url(), metadata.status());
  }
  out->metadata = std::move(*metadata);
  auto objects = OpenObjectStore(config, AwsEnvironment());
  if (!objects.ok()) {
    return fail("object store", config.effective_storage_url(), objects.status());
  }
  out->objects = std::move(*objects);
  SH_LOG(INFO) << "streamhouse: metadata in " << RedactUrl(out->metadata->Describe())
               << ", objects in " << RedactUrl(out->objects->Describe());
  return 0;
}

// Cluster mode: joins the cluster and takes this agent's share of the
// partitions before the Kafka server listens, so the first Metadata answer
// already names the leaders. Returns 0, or the exit status after logging why not.
int JoinCluster(const AgentConfig& config, MetadataStore& metadata, broker::Broker& broker,
                std::unique_ptr<ClusterLoop>* out) {
  auto loop =
      ClusterLoop::Create(config.ToClusterLoopOptions(), metadata, broker, *SystemClock::Get());
  if (!loop.ok()) {
    SH_LOG(ERROR) << "streamhouse: " << loop.status().ToString();
    return loop.status().code() == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  if (Status st = (*loop)->Start(); !st.ok()) {
    SH_LOG(ERROR) << "streamhouse: cannot join the cluster: " << st.ToString();
    return 1;
  }
  SH_LOG(INFO) << "cluster mode: agent " << config.agent_id << " node " << config.node_id << ", "
               << (*loop)->snapshot()->live_agent_ids.size() << " live agents";
  *out = std::move(*loop);
  return 0;
}

// Runs the agent until a signal; returns the exit status.
int RunAgent(const AgentConfig& config) {
  std::string listen_host, adv_host;
  uint16_t listen_port = 0, adv_port = 0;
  // Both were checked when the settings were loaded.
  if (!ParseHostPort(config.kafka_listen, &listen_host, &listen_port).ok() ||
      !ParseHostPort(config.advertised(), &adv_host, &adv_port).ok()) {
    return 2;
  }
  ShutdownSignal shutdown;
  auto fail = [](const Status& st) {
    SH_LOG(ERROR) << "streamhouse: " << st.ToString();
    return 1;
  };
  Backends backends;
  if (int status = OpenBackends(config, &backends); status != 0) return status;
  CachedMetadataStore cached(*backends.metadata, static_cast<size_t>(config.metadata_cache_entries),
                             config.metadata_cache_ttl_ms);
  auto broker = broker::Broker::Open(config.ToBrokerOptions(), cached, *backends.objects,
                                     *SystemClock::Get());
  if (!broker.ok()) return fail(broker.status());
  if (Status st = (*broker)->Start(); !st.ok()) return fail(st);
  // Declared before the server, so it outlives the handlers that read it.
  std::unique_ptr<ClusterLoop> cluster;
  auto stop_cluster = [&]() {
    if (cluster) cluster->Stop();
  };
  auto leave_cluster = [&]() {
    if (!cluster) return;
    if (Status st = cluster->Leave(); !st.ok()) {
      SH_LOG(WARN) << "streamhouse: cannot leave the cluster: " << st.ToString();
    }
  };
  if (config.cluster_enabled) {
    // The raw store: the loop must see topics made by other agents at once,
    // and agents and leases are never cached anyway.
    if (int status = JoinCluster(config, *backends.metadata, **broker, &cluster); status != 0) {
      (void)(*broker)->Stop();
      return status;
    }
  }

  kafka::HandlerOptions handler_options;
  handler_options.node_id = static_cast<int32_t>(config.node_id);
  handler_options.advertised_host = adv_host;
  handler_options.advertised_port = adv_port;
  handler_options.cluster = cluster.get();
  // Consumer groups: membership in memory, committed offsets in metadata.
  kafka::group::GroupCoordinator coordinator(cached, *SystemClock::Get(), config.ToGroupOptions());
  coordinator.Start();
  std::vector<std::unique_ptr<kafka::Handler>> handlers =
      kafka::MakeHandlers(**broker, handler_options);
  for (auto& h : kafka::MakeGroupHandlers(coordinator, handler_options)) {
    handlers.push_back(std::move(h));
  }
  kafka::Server server(config.ToServerOptions(), std::move(handlers));
  if (Status st = server.Start(); !st.ok()) {
    coordinator.Stop();
    stop_cluster();
    (void)(*broker)->Stop();
    leave_cluster();
    return fail(st);
  }
  SH_LOG(INFO) << "streamhouse listening on " << listen_host << ":" << server.port()
               << " (advertised " << adv_host << ":" << adv_port << ")";

  shutdown.Wait();
  // Answer parked JoinGroup/SyncGroup requests (NOT_COORDINATOR), stop
  // accepting and answer what was read, stop balancing, then seal the tails
  // and release the leases, and only then leave (the others take over at once).
  coordinator.Stop();
  server.Stop();
  stop_cluster();
  Status stopped = (*broker)->Stop();
  leave_cluster();
  if (!stopped.ok()) return fail(stopped);
  SH_LOG(INFO) << "streamhouse stopped";
  return 0;
}

}  // namespace
}  // namespace sh::agent

int main(int argc, char** argv) {
  using namespace sh::agent;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto loaded = LoadAgentConfig(args, ProcessEnvironment());
  if (!loaded.ok()) {
    std::cerr << "streamhouse: " << loaded.status().message() << "\n";
    return 2;
  }
  if (loaded->help) {
    std::cout << AgentHelp();
    return 0;
  }
  if (loaded->version) {
    std::cout << "streamhouse " << kVersion << "\n";
    return 0;
  }
  sh::LogLevel level;
  if (sh::ParseLogLevel(loaded->config.log_level, &level)) sh::SetLogLevel(level);
  return RunAgent(loaded->config);
}
