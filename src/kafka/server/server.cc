#include "kafka/server/server.h"

#include <chrono>
#include <exception>
#include <utility>

#include "base/log.h"
#include "base/thread_name.h"
#include "kafka/server/api_versions_handler.h"
#include "kafka/server/connection.h"

namespace sh::kafka {

Server::Server(ServerOptions options, std::vector<std::unique_ptr<Handler>> handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      blocking_(static_cast<size_t>(options_.blocking_threads > 0 ? options_.blocking_threads : 1)),
      io_(options_.network_threads > 0 ? options_.network_threads : 1),
      acceptor_(io_) {
  for (const auto& h : handlers_) {
    if (h == nullptr) {
      config_status_ = Status::InvalidArgument("kafka server: null handler");
      continue;
    }
    int16_t key = static_cast<int16_t>(h->api_key());
    if (key < 0 || h->min_version() > h->max_version()) {
      config_status_ = Status::InvalidArgument("kafka server: handler for api key " +
                                               std::to_string(key) + " has a bad version range");
      continue;
    }
    if (h->api_key() == ApiKey::kApiVersions) {
      config_status_ = Status::InvalidArgument(
          "kafka server: ApiVersions is answered by the server; remove its handler");
      continue;
    }
    if (static_cast<size_t>(key) >= by_key_.size()) by_key_.resize(key + 1, nullptr);
    if (by_key_[key] != nullptr) {
      config_status_ =
          Status::InvalidArgument("kafka server: two handlers for api key " + std::to_string(key));
      continue;
    }
    by_key_[key] = h.get();
  }
  auto api_versions = std::make_unique<ApiVersionsHandler>(handlers_);
  api_versions_ = api_versions.get();
  int16_t key = static_cast<int16_t>(ApiKey::kApiVersions);
  if (static_cast<size_t>(key) >= by_key_.size()) by_key_.resize(key + 1, nullptr);
  by_key_[key] = api_versions_;
  handlers_.push_back(std::move(api_versions));
}

Server::~Server() { Stop(); }

Handler* Server::FindHandler(int16_t api_key) const {
  if (api_key < 0 || static_cast<size_t>(api_key) >= by_key_.size()) return nullptr;
  return by_key_[api_key];
}

Status Server::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return Status::InvalidArgument("kafka server: already started");
  SH_RETURN_IF_ERROR(config_status_);
  std::string where = options_.host + ":" + std::to_string(options_.port);
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                    asio::ip::tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return Status::InvalidArgument("kafka server: cannot resolve listen address " + where + ": " +
                                   (ec ? ec.message() : "no address"));
  }
  asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto fail = [&](const char* step) {
    asio::error_code ignored;
    acceptor_.close(ignored);
    return Status::IOError("kafka server: cannot " + std::string(step) + " " + where + ": " +
                           ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set up");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  bound_port_ = acceptor_.local_endpoint(ec).port();

  work_.emplace(io_.get_executor());
  asio::co_spawn(io_, AcceptLoop(), [](std::exception_ptr e) {
    if (e) {
      SH_LOG(ERROR) << "kafka server: accept loop ended by an exception";
    }
  });
  int threads = options_.network_threads > 0 ? options_.network_threads : 1;
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, i] {
      SetCurrentThreadName("sh-net-" + std::to_string(i));
      // Handlers and loops catch their own exceptions; this keeps a thread
      // alive should one slip through anyway.
      while (true) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          SH_LOG(ERROR) << "kafka server: network thread: " << e.what();
        }
      }
    });
  }
  started_ = true;
  return Status::OK();
}

asio::awaitable<void> Server::AcceptLoop() {
  while (acceptor_.is_open()) {
    asio::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      // Out of file descriptors and the like: back off instead of spinning.
      SH_LOG(WARN) << "kafka server: accept: " << ec.message();
      asio::steady_timer t(io_, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto conn = std::make_shared<Connection>(*this, std::move(socket));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;  // the socket closes with conn
      connections_.insert(conn);
    }
    SH_LOG(DEBUG) << "kafka server: connection from " << conn->peer();
    conn->Start();
  }
}

void Server::OnConnectionClosed(const std::shared_ptr<Connection>& conn) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(conn);
  cv_.notify_all();
}

void Server::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !started_ || stopped_; });
}

void Server::Stop() {
  std::vector<std::shared_ptr<Connection>> conns;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!started_ || stopped_) return;
    if (stopping_) {  // another thread is stopping: wait for it
      cv_.wait(lock, [this] { return stopped_; });
      return;
    }
    stopping_ = true;
    conns.assign(connections_.begin(), connections_.end());
  }
  asio::post(io_, [this] {
    asio::error_code ec;
    acceptor_.close(ec);
  });
  for (const auto& c : conns) c->Drain();
  conns.clear();
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto grace = std::chrono::milliseconds(options_.shutdown_grace_ms);
    if (!cv_.wait_for(lock, grace, [this] { return connections_.empty(); })) {
      SH_LOG(WARN) << "kafka server: " << connections_.size() << " connections still busy after "
                   << options_.shutdown_grace_ms << " ms; closing them";
      conns.assign(connections_.begin(), connections_.end());
    }
  }
  for (const auto& c : conns) c->Abort();
  conns.clear();
  {
    // A handler stuck in a blocking call keeps its connection; do not wait for it.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return connections_.empty(); });
  }
  work_.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  blocking_.Stop();
  std::lock_guard<std::mutex> lock(mu_);
  connections_.clear();
  stopped_ = true;
  cv_.notify_all();
}

}  // namespace sh::kafka
