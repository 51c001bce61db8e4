// Handler: one Kafka API, the versions it supports, and how it answers.
//
// The server decodes the frame and the request header, finds the handler for
// the API key, and answers "unsupported version" itself when the version is
// outside [min_version, max_version]. ApiVersions is built from the same list
// of handlers, so what is advertised is exactly what is implemented.
//
// Handlers run as coroutines on a network thread. Anything that blocks
// (metadata store, object store, fsync, compression of large blocks) goes
// through ctx.blocking (RunBlocking below), never inline.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "kafka/protocol/generated/api_table.h"
#include "kafka/protocol/generated/headers.h"
#include "kafka/protocol/protocol_types.h"

namespace sh::kafka {

class BlockingExecutor;  // blocking_executor.h

struct RequestContext {
  const RequestHeader& header;  // request_api_key, request_api_version, correlation_id, client_id
  ByteView body;                // the request after its header
  std::string peer;             // "127.0.0.1:53412", for logs
  BlockingExecutor& blocking;
  // Requests of one connection are handled one at a time, in order. A
  // handler whose order-sensitive part is done early (Produce: offsets
  // assigned, now waiting for durability) may call this, from any thread, to
  // let the connection start its next request; responses are still written
  // in request order. Empty when the server handles requests concurrently.
  std::function<void()> release_order;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual ApiKey api_key() const = 0;
  virtual int16_t min_version() const = 0;
  virtual int16_t max_version() const = 0;

  // Returns the encoded response body (without the response header), or
  // nullopt when Kafka sends no response (Produce with acks=0). An error
  // Status means the request could not be understood at all (it did not
  // decode): the server logs it and closes the connection, as Kafka does.
  // Errors about the request's content are answered inside the response with
  // Kafka error codes (see errors.h), never as a failed Status.
  virtual asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) = 0;
};

// Decodes ctx.body as Req at the request's version. Bytes after a whole
// request are ignored, as Apache Kafka ignores them (its request parser never
// looks at what is left of the frame): some client releases send a stray byte
// after a well-formed body (librdkafka 2.15 and @platformatic/kafka 1.35 after
// Metadata v11), and Kafka answers them. A body that ends early still fails.
template <typename Req>
Result<Req> DecodeRequest(const RequestContext& ctx) {
  Req req;
  ByteReader r(ctx.body);
  SH_RETURN_IF_ERROR(req.Decode(r, ctx.header.request_api_version));
  return req;
}

// Encodes resp at the request's version.
template <typename Resp>
Result<std::optional<Bytes>> EncodeResponse(const RequestContext& ctx, const Resp& resp) {
  ByteWriter w;
  SH_RETURN_IF_ERROR(resp.Encode(w, ctx.header.request_api_version));
  return std::optional<Bytes>(w.Take());
}

}  // namespace sh::kafka
