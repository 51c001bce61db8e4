#include "kafka/server/connection.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <utility>

#include "base/log.h"
#include "kafka/protocol/header_codec.h"
#include "kafka/server/api_versions_handler.h"
#include "kafka/server/handler.h"
#include "kafka/server/server.h"

namespace sh::kafka {

namespace {

using asio::redirect_error;
using asio::use_awaitable;

// A steady_timer used as a condition variable on the strand: the waiter
// re-checks its condition in a loop, so a Notify with nobody waiting is lost
// harmlessly.
asio::awaitable<void> Wait(asio::steady_timer& t) {
  t.expires_at(asio::steady_timer::time_point::max());
  asio::error_code ec;
  co_await t.async_wait(redirect_error(use_awaitable, ec));
}

void Notify(asio::steady_timer& t) { t.cancel(); }

std::string PeerOf(const asio::ip::tcp::socket& s) {
  asio::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

std::string Describe(const RequestHeader& h) {
  const ApiInfo* api = FindApi(h.request_api_key);
  std::string name = api ? api->name : "api " + std::to_string(h.request_api_key);
  return name + " v" + std::to_string(h.request_api_version) + " (correlation id " +
         std::to_string(h.correlation_id) + ")";
}

// The size prefix and response header for a body of body_size bytes.
Result<Bytes> ResponseHead(const RequestHeader& h, size_t body_size) {
  ByteWriter w(16);
  w.PutBE32(0);
  SH_RETURN_IF_ERROR(
      EncodeResponseHeader(h.correlation_id, h.request_api_key, h.request_api_version, w));
  size_t total = w.size() - 4 + body_size;
  if (total > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::TooLarge("response to " + Describe(h) + " is " + std::to_string(total) +
                            " bytes");
  }
  w.PatchBE32(0, static_cast<uint32_t>(total));
  return w.Take();
}

}  // namespace

Connection::Connection(Server& server, asio::ip::tcp::socket socket)
    : server_(server),
      socket_(std::move(socket)),
      peer_(PeerOf(socket_)),
      reader_wake_(socket_.get_executor()),
      handler_wake_(socket_.get_executor()),
      writer_wake_(socket_.get_executor()),
      idle_timer_(socket_.get_executor()),
      last_activity_(Clock::now()) {}

void Connection::Start() {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self] {
    bool serial = !self->server_.options().concurrent_requests;
    self->running_loops_ = serial ? 4 : 3;
    self->Spawn(self->ReadLoop(), "reader");
    self->Spawn(self->WriteLoop(), "writer");
    self->Spawn(self->IdleWatch(), "idle watch");
    if (serial) self->Spawn(self->HandleLoop(), "handler");
  });
}

void Connection::Spawn(asio::awaitable<void> loop, const char* what) {
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), std::move(loop), [self, what](std::exception_ptr e) {
    if (!e) return;
    // Loops catch everything themselves; this is the last line.
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      SH_LOG(ERROR) << "kafka connection " << self->peer_ << ": " << what
                    << " failed: " << ex.what();
    } catch (...) {
      SH_LOG(ERROR) << "kafka connection " << self->peer_ << ": " << what << " failed";
    }
    self->CloseNow();
    self->LoopDone();
  });
}

void Connection::Drain() {
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self] {
    if (self->closed_) return;
    self->draining_ = true;
    // Wakes a read in progress with end-of-file; writing goes on.
    asio::error_code ec;
    self->socket_.shutdown(asio::ip::tcp::socket::shutdown_receive, ec);
    self->NotifyAll();
  });
}

void Connection::Abort() {
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self] { self->CloseNow(); });
}

void Connection::NotifyAll() {
  Notify(reader_wake_);
  Notify(handler_wake_);
  Notify(writer_wake_);
  Notify(idle_timer_);
}

void Connection::CloseNow() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  NotifyAll();
}

void Connection::LoopDone() {
  if (--running_loops_ == 0) server_.OnConnectionClosed(shared_from_this());
}

bool Connection::QueueFull() const {
  if (queue_.size() >= std::max<size_t>(1, server_.options().max_in_flight)) return true;
  return !queue_.empty() &&
         queued_bytes_ >= static_cast<size_t>(server_.options().max_request_bytes);
}

asio::awaitable<void> Connection::ReadLoop() {
  const int32_t max_bytes = server_.options().max_request_bytes;
  try {
    while (true) {
      while (!closed_ && !draining_ && !stop_reading_ && QueueFull()) {
        co_await Wait(reader_wake_);
      }
      if (closed_ || draining_ || stop_reading_) break;
      std::array<uint8_t, 4> size_buf;
      asio::error_code ec;
      co_await asio::async_read(socket_, asio::buffer(size_buf), redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec != asio::error::eof && !closed_ && !draining_) {
          SH_LOG(DEBUG) << "kafka connection " << peer_ << ": read: " << ec.message();
        }
        break;
      }
      int32_t size = static_cast<int32_t>(ByteReader(size_buf).ReadBE32());
      if (size <= 0 || size > max_bytes) {
        SH_LOG(WARN) << "kafka connection " << peer_ << ": request size " << size << " outside 1.."
                     << max_bytes << " (socket.request.max.bytes); closing";
        EnqueueClose();
        break;
      }
      auto slot = std::make_shared<Slot>();
      slot->frame.resize(static_cast<size_t>(size));
      co_await asio::async_read(socket_, asio::buffer(slot->frame),
                                redirect_error(use_awaitable, ec));
      if (ec) {
        if (!closed_ && !draining_) {
          SH_LOG(INFO) << "kafka connection " << peer_ << ": request of " << size
                       << " bytes cut short: " << ec.message();
        }
        break;
      }
      Touch();
      if (!Admit(*slot)) {
        EnqueueClose();
        break;
      }
      Enqueue(std::move(slot));
    }
  } catch (const std::exception& e) {
    SH_LOG(ERROR) << "kafka connection " << peer_ << ": reader: " << e.what();
    CloseNow();
  }
  reader_done_ = true;
  Notify(handler_wake_);
  Notify(writer_wake_);
  LoopDone();
}

bool Connection::Admit(Slot& slot) {
  ByteReader r(slot.frame);
  Status st = DecodeRequestHeader(r, &slot.header);
  if (!st.ok()) {
    SH_LOG(WARN) << "kafka connection " << peer_ << ": bad request header: " << st.ToString()
                 << "; closing";
    return false;
  }
  slot.body_offset = r.position();
  const RequestHeader& h = slot.header;
  Handler* handler = server_.FindHandler(h.request_api_key);
  if (handler == nullptr) {
    SH_LOG(WARN) << "kafka connection " << peer_ << ": unknown api key " << h.request_api_key
                 << " (correlation id " << h.correlation_id << "); closing";
    return false;
  }
  int16_t version = h.request_api_version;
  if (version < handler->min_version() || version > handler->max_version()) {
    if (handler->api_key() == ApiKey::kApiVersions) {
      // KIP-511: answer in v0 (always readable) with the versions we have.
      Finish(slot, server_.api_versions().UnsupportedVersionBody());
      return true;
    }
    // Kafka closes here too: there is no response format for a version
    // neither side shares.
    SH_LOG(WARN) << "kafka connection " << peer_ << ": unsupported " << Describe(h)
                 << ", supported " << handler->min_version() << ".." << handler->max_version()
                 << "; closing";
    return false;
  }
  slot.handler = handler;
  return true;
}

void Connection::Enqueue(std::shared_ptr<Slot> slot) {
  queued_bytes_ += slot->frame.size();
  queue_.push_back(slot);
  if (slot->done) {
    Notify(writer_wake_);
  } else if (server_.options().concurrent_requests) {
    ++running_loops_;
    Spawn(Process(std::move(slot)), "request");
  } else {
    pending_.push_back(std::move(slot));
    Notify(handler_wake_);
  }
}

void Connection::EnqueueClose() {
  auto slot = std::make_shared<Slot>();
  slot->done = true;
  slot->close_after = true;
  stop_reading_ = true;  // requests read before this one are still answered
  queue_.push_back(std::move(slot));
  Notify(writer_wake_);
}

void Connection::Finish(Slot& slot, std::optional<Bytes> body) {
  if (body.has_value()) {
    Result<Bytes> head = ResponseHead(slot.header, body->size());
    if (head.ok()) {
      slot.head = std::move(head).value();
      slot.body = std::move(body);
    } else {
      SH_LOG(WARN) << "kafka connection " << peer_ << ": " << head.status().ToString()
                   << "; closing";
      slot.close_after = true;
      failed_ = true;
      stop_reading_ = true;
    }
  }
  slot.done = true;
  Notify(writer_wake_);
  Notify(handler_wake_);
}

asio::awaitable<void> Connection::HandleLoop() {
  while (true) {
    while (!closed_ && !failed_ && pending_.empty() && !reader_done_) {
      co_await Wait(handler_wake_);
    }
    if (closed_ || failed_ || pending_.empty()) break;
    std::shared_ptr<Slot> slot = std::move(pending_.front());
    pending_.pop_front();
    // Process ends with LoopDone, as in concurrent mode. The next request
    // starts when this one is done, or earlier if its handler releases the
    // order (RequestContext::release_order).
    ++running_loops_;
    Spawn(Process(slot), "request");
    while (!slot->done && !slot->released && !closed_ && !failed_) {
      co_await Wait(handler_wake_);
    }
  }
  pending_.clear();
  LoopDone();
}

asio::awaitable<void> Connection::Process(std::shared_ptr<Slot> slot) {
  std::optional<Bytes> body;
  bool ok = false;
  try {
    if (!closed_) {
      RequestContext ctx{slot->header, ByteView(slot->frame).subspan(slot->body_offset), peer_,
                         server_.blocking(), nullptr};
      if (!server_.options().concurrent_requests) {
        ctx.release_order = [self = shared_from_this(), slot] {
          asio::post(self->socket_.get_executor(), [self, slot] {
            slot->released = true;
            Notify(self->handler_wake_);
          });
        };
      }
      Result<std::optional<Bytes>> r = co_await slot->handler->Handle(ctx);
      if (r.ok()) {
        body = std::move(r).value();
        ok = true;
      } else {
        SH_LOG(WARN) << "kafka connection " << peer_ << ": " << Describe(slot->header) << ": "
                     << r.status().ToString() << "; closing";
      }
    }
  } catch (const std::exception& e) {
    SH_LOG(ERROR) << "kafka connection " << peer_ << ": " << Describe(slot->header)
                  << " threw: " << e.what() << "; closing";
  }
  if (!ok) {
    slot->close_after = true;
    failed_ = true;
    stop_reading_ = true;
    Notify(reader_wake_);
  }
  Finish(*slot, std::move(body));
  LoopDone();
}

asio::awaitable<void> Connection::WriteLoop() {
  try {
    while (true) {
      while (!closed_ && (queue_.empty() ? !reader_done_ : !queue_.front()->done)) {
        co_await Wait(writer_wake_);
      }
      if (closed_ || queue_.empty()) break;
      std::shared_ptr<Slot> slot = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= slot->frame.size();
      Notify(reader_wake_);
      if (slot->close_after) break;
      if (!slot->body.has_value()) continue;  // acks=0 Produce: no response
      std::array<asio::const_buffer, 2> bufs{asio::buffer(slot->head), asio::buffer(*slot->body)};
      asio::error_code ec;
      co_await asio::async_write(socket_, bufs, redirect_error(use_awaitable, ec));
      if (ec) {
        if (!closed_) {
          SH_LOG(DEBUG) << "kafka connection " << peer_ << ": write: " << ec.message();
        }
        break;
      }
      Touch();
    }
  } catch (const std::exception& e) {
    SH_LOG(ERROR) << "kafka connection " << peer_ << ": writer: " << e.what();
  }
  CloseNow();
  LoopDone();
}

asio::awaitable<void> Connection::IdleWatch() {
  const auto idle = std::chrono::milliseconds(server_.options().idle_timeout_ms);
  try {
    while (!closed_) {
      idle_timer_.expires_at(last_activity_ + idle);
      asio::error_code ec;
      co_await idle_timer_.async_wait(redirect_error(use_awaitable, ec));
      if (closed_) break;
      if (!queue_.empty()) {
        Touch();  // busy is not idle
      } else if (Clock::now() >= last_activity_ + idle) {
        SH_LOG(INFO) << "kafka connection " << peer_ << ": idle for "
                     << server_.options().idle_timeout_ms << " ms; closing";
        CloseNow();
      }
    }
  } catch (const std::exception& e) {
    SH_LOG(ERROR) << "kafka connection " << peer_ << ": idle watch: " << e.what();
    CloseNow();
  }
  LoopDone();
}

}  // namespace sh::kafka
