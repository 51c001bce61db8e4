// Server: the Kafka wire protocol on a TCP port (docs/design.md §9).
//
// One io_context runs on network_threads threads; every connection is a set
// of coroutines on its own strand (connection.h). Handlers are looked up by
// API key; ApiVersions is answered by a handler the server builds from the
// same list, so what is advertised is exactly what is implemented.
//
//   Server server(options, MakeHandlers(broker, handler_options));
//   SH_RETURN_IF_ERROR(server.Start());   // binds; server.port() is the bound port
//   ...
//   server.Stop();                        // from any thread but a network thread
//
// Thread-safety: Start, Stop and Run may be called from any thread that is
// not one of the server's own threads.
#pragma once

#include <asio.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class ApiVersionsHandler;
class Connection;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9092;  // 0: any free port (tests); see Server::port()
  int network_threads = 2;
  int blocking_threads = 4;
  // Largest request frame accepted (Kafka's socket.request.max.bytes); a
  // larger size prefix closes the connection before anything is allocated.
  int32_t max_request_bytes = 100 << 20;
  // A connection with no request in flight and no traffic for this long is
  // closed (Kafka's connections.max.idle.ms).
  int64_t idle_timeout_ms = 10 * 60 * 1000;
  // Requests read ahead of the one being answered, per connection; the
  // reader stops reading when this many are queued (or when they hold more
  // than max_request_bytes), which pushes back on the client through TCP.
  size_t max_in_flight = 64;
  // false (Kafka's behaviour): a connection's requests are handled one after
  // another, so pipelined Produce requests to one partition are appended in
  // the order they were sent. true: handled concurrently; only the order of
  // the responses is kept. Reading ahead and writing overlap either way.
  bool concurrent_requests = false;
  // Stop() waits this long for in-flight requests before closing by force.
  int64_t shutdown_grace_ms = 10'000;

  bool operator==(const ServerOptions&) const = default;
};

class Server {
 public:
  // Handlers for ApiVersions in `handlers` are not allowed: the server
  // answers ApiVersions itself. Duplicate API keys make Start() fail.
  Server(ServerOptions options, std::vector<std::unique_ptr<Handler>> handlers);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on host:port and starts the threads. IOError naming
  // the address if it cannot bind. May be called once.
  Status Start();
  // The bound port (after Start), e.g. the one the kernel chose for port 0.
  uint16_t port() const { return bound_port_; }
  const ServerOptions& options() const { return options_; }
  BlockingExecutor& blocking() { return blocking_; }

  // Blocks until Stop() has finished (returns at once if never started).
  void Run();
  // Stops accepting, lets every connection finish the requests it has read
  // (responses are written), closes them, and joins the threads. Connections
  // still busy after shutdown_grace_ms are closed by force. Idempotent.
  // REQUIRES: not called from a network thread (it joins them).
  void Stop();

  // ---- for Connection ----
  // The handler for an API key, or nullptr.
  Handler* FindHandler(int16_t api_key) const;
  const ApiVersionsHandler& api_versions() const { return *api_versions_; }
  void OnConnectionClosed(const std::shared_ptr<Connection>& conn);

 private:
  asio::awaitable<void> AcceptLoop();

  const ServerOptions options_;
  std::vector<std::unique_ptr<Handler>> handlers_;
  std::vector<Handler*> by_key_;  // indexed by API key
  ApiVersionsHandler* api_versions_ = nullptr;
  Status config_status_;  // what was wrong with the handler list

  BlockingExecutor blocking_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  uint16_t bound_port_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::shared_ptr<Connection>> connections_;  // guarded by mu_
  bool started_ = false;                               // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  bool stopped_ = false;                               // guarded by mu_
};

}  // namespace sh::kafka
