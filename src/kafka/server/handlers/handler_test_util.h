// For handler tests: runs one request through a handler, as the server would
// (a coroutine on an io_context, blocking work on the given executor).
#pragma once

#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"
#include "kafka/protocol/protocol_types.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/handler.h"

namespace sh::kafka::testing {

// Handles `body` at `version` and returns what Handle returned. Internal if
// the handler has not finished within `limit` (a hang fails, never blocks the
// suite).
inline Result<std::optional<Bytes>> RunHandler(
    Handler& handler, ByteView body, int16_t version, BlockingExecutor& blocking,
    std::string client_id = "test-client", std::chrono::seconds limit = std::chrono::seconds(60)) {
  RequestHeader header;
  header.request_api_key = static_cast<int16_t>(handler.api_key());
  header.request_api_version = version;
  header.correlation_id = 7;
  header.client_id = std::move(client_id);
  RequestContext ctx{header, body, "127.0.0.1:1", blocking, nullptr};
  std::optional<Result<std::optional<Bytes>>> out;
  asio::io_context io;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await handler.Handle(ctx)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run_for(limit);
  if (!out.has_value()) return Status::Internal("handler did not finish");
  return std::move(*out);
}

// Encodes req at version, runs it through handler and decodes the response
// as a client would; a missing or undecodable response fails the test.
template <typename Resp, typename Req>
Resp CallDecoded(Handler& handler, const Req& req, int16_t version, BlockingExecutor& blocking,
                 std::string client_id = "test-client") {
  ByteWriter w;
  Status enc = req.Encode(w, version);
  EXPECT_TRUE(enc.ok()) << enc.ToString();
  Bytes body = w.Take();
  Result<std::optional<Bytes>> out =
      RunHandler(handler, body, version, blocking, std::move(client_id));
  Resp resp;
  if (!out.ok() || !out->has_value()) {
    ADD_FAILURE() << "no response: " << out.status().ToString();
    return resp;
  }
  Status dec = DecodeExact(ByteView(**out), version, resp);
  EXPECT_TRUE(dec.ok()) << dec.ToString();
  return resp;
}

}  // namespace sh::kafka::testing
