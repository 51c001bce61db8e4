// Connection: one client socket, served by coroutines on the socket's strand.
//
//   reader  --frames-->  queue (request order)  --done, in order-->  writer
//                           |          ^
//                           v          |
//                        handlers (one at a time, or concurrently)
//
// The reader reads frames ahead while earlier requests are handled, up to
// ServerOptions::max_in_flight queued requests (or max_request_bytes of
// queued frames); the writer writes responses strictly in request order.
// Protocol errors (bad size, undecodable header, unknown API key, an
// unsupported version other than ApiVersions's, a handler's error Status)
// close the connection after the responses to earlier requests are written,
// as Kafka does. No exception leaves a coroutine.
//
// Thread-safety: all state is touched only on the strand; Drain() and Abort()
// may be called from any thread.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "kafka/protocol/generated/headers.h"

namespace sh::kafka {

class Handler;
class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // REQUIRES: socket's executor is a strand of the server's io_context.
  Connection(Server& server, asio::ip::tcp::socket socket);

  // Spawns the connection's coroutines.
  void Start();
  // Stops reading; requests already read are answered, then the socket is closed.
  void Drain();
  // Closes the socket now; responses not yet written are dropped.
  void Abort();

  const std::string& peer() const { return peer_; }

 private:
  struct Slot {
    Bytes frame;  // the request after its size prefix
    RequestHeader header;
    size_t body_offset = 0;  // where the request body starts in frame
    Handler* handler = nullptr;
    bool done = false;         // the response (if any) is ready
    bool released = false;     // serial mode: the handler let the next request start
    bool close_after = false;  // close the connection instead of answering
    Bytes head;                // size prefix + response header
    std::optional<Bytes> body;
  };
  using Clock = std::chrono::steady_clock;

  asio::awaitable<void> ReadLoop();
  asio::awaitable<void> HandleLoop();  // serial mode only
  asio::awaitable<void> WriteLoop();
  asio::awaitable<void> IdleWatch();
  asio::awaitable<void> Process(std::shared_ptr<Slot> slot);

  // Decodes the header and finds the handler; false: close the connection.
  bool Admit(Slot& slot);
  void Enqueue(std::shared_ptr<Slot> slot);
  void EnqueueClose();
  void Finish(Slot& slot, std::optional<Bytes> body);
  bool QueueFull() const;
  void Spawn(asio::awaitable<void> loop, const char* what);
  void CloseNow();
  void LoopDone();
  void Touch() { last_activity_ = Clock::now(); }
  void NotifyAll();

  Server& server_;
  asio::ip::tcp::socket socket_;
  std::string peer_;
  asio::steady_timer reader_wake_;
  asio::steady_timer handler_wake_;
  asio::steady_timer writer_wake_;
  asio::steady_timer idle_timer_;

  std::deque<std::shared_ptr<Slot>> queue_;    // read, not yet written; request order
  std::deque<std::shared_ptr<Slot>> pending_;  // serial mode: read, not yet handled
  size_t queued_bytes_ = 0;
  Clock::time_point last_activity_;
  int running_loops_ = 0;
  bool reader_done_ = false;
  bool draining_ = false;
  bool stop_reading_ = false;  // a protocol error: read nothing more
  bool failed_ = false;        // a request ended the connection: handle nothing more
  bool closed_ = false;
};

}  // namespace sh::kafka
