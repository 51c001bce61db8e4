// group_test_agent: a Kafka server for the consumer group tests, wired like
// the streamhouse agent (SQLite metadata, a local object store, the broker,
// every handler) plus the group coordinator and its handlers.
//
//   group_test_agent --data-dir DIR --kafka-listen HOST:PORT --kafka-advertised HOST:PORT
//                    [--initial-rebalance-delay-ms N] [--min-session-timeout-ms N]
//
// Runs until SIGINT or SIGTERM; the same data directory may be reused, so
// committed offsets must survive a restart.
#include <asio.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "broker/broker.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/group_handlers.h"
#include "kafka/server/handlers/handlers.h"
#include "kafka/server/server.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/local_object_store.h"

namespace {

bool SplitHostPort(const std::string& s, std::string* host, int* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  try {
    *port = std::stoi(s.substr(colon + 1));
  } catch (...) {
    return false;
  }
  return *port >= 0 && *port < 65536;
}

int Fail(const sh::Status& st) {
  std::cerr << "group_test_agent: " << st.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sh;
  std::map<std::string, std::string> flags;
  for (int i = 1; i + 1 < argc; i += 2) flags[argv[i]] = argv[i + 1];
  std::string listen_host, adv_host;
  int listen_port = 0, adv_port = 0;
  if (flags.count("--data-dir") == 0 ||
      !SplitHostPort(flags["--kafka-listen"], &listen_host, &listen_port) ||
      !SplitHostPort(flags["--kafka-advertised"], &adv_host, &adv_port)) {
    std::cerr << "usage: group_test_agent --data-dir DIR --kafka-listen HOST:PORT "
                 "--kafka-advertised HOST:PORT [--initial-rebalance-delay-ms N] "
                 "[--min-session-timeout-ms N]\n";
    return 2;
  }
  asio::io_context signal_io;
  asio::signal_set signals(signal_io, SIGINT, SIGTERM);
  signals.async_wait([](const asio::error_code&, int) {});

  const std::string data_dir = flags["--data-dir"];
  std::filesystem::create_directories(data_dir);
  auto metadata = SqliteMetadataStore::Open(data_dir + "/metadata.db");
  if (!metadata.ok()) return Fail(metadata.status());
  auto store = LocalObjectStore::Open(data_dir);
  if (!store.ok()) return Fail(store.status());
  broker::BrokerOptions broker_options;
  broker_options.flush_ms = 200;
  auto broker = broker::Broker::Open(broker_options, **metadata, **store, *SystemClock::Get());
  if (!broker.ok()) return Fail(broker.status());
  if (Status st = (*broker)->Start(); !st.ok()) return Fail(st);

  kafka::group::GroupCoordinatorOptions group_options;
  if (flags.count("--initial-rebalance-delay-ms") > 0) {
    group_options.group.initial_rebalance_delay_ms =
        std::stoll(flags["--initial-rebalance-delay-ms"]);
  }
  if (flags.count("--min-session-timeout-ms") > 0) {
    group_options.group.min_session_timeout_ms = std::stoi(flags["--min-session-timeout-ms"]);
  }
  kafka::group::GroupCoordinator coordinator(**metadata, *SystemClock::Get(), group_options);
  coordinator.Start();

  kafka::HandlerOptions handler_options;
  handler_options.advertised_host = adv_host;
  handler_options.advertised_port = adv_port;
  std::vector<std::unique_ptr<kafka::Handler>> handlers =
      kafka::MakeHandlers(**broker, handler_options);
  for (auto& h : kafka::MakeGroupHandlers(coordinator, handler_options)) {
    handlers.push_back(std::move(h));
  }
  kafka::ServerOptions server_options;
  server_options.host = listen_host;
  server_options.port = static_cast<uint16_t>(listen_port);
  server_options.shutdown_grace_ms = 2000;
  kafka::Server server(server_options, std::move(handlers));
  if (Status st = server.Start(); !st.ok()) return Fail(st);
  SH_LOG(INFO) << "group_test_agent listening on " << listen_host << ":" << server.port();

  signal_io.run();
  // Parked joins and syncs are answered first, so the server's stop is quick.
  coordinator.Stop();
  server.Stop();
  if (Status st = (*broker)->Stop(); !st.ok()) return Fail(st);
  return 0;
}
