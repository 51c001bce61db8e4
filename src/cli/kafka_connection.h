// KafkaConnection: one blocking TCP connection to a Kafka-protocol server,
// speaking request/response frames (a 4-byte big-endian size, then the
// header and body). streamctl sends one request at a time and waits for its
// answer, so there is no pipelining and no background thread.
//
// The frame encoders below are free functions so that tests can check the
// bytes without a socket.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/status.h"
#include "kafka/protocol/generated/headers.h"
#include "kafka/protocol/header_codec.h"

namespace sh::cli {

// Largest response frame accepted; a bigger size prefix means a confused peer.
inline constexpr int32_t kMaxResponseFrameBytes = 256 << 20;

struct ConnectionOptions {
  int connect_timeout_ms = 5000;
  int request_timeout_ms = 30000;  // per read or write of a whole frame
  std::string client_id = "streamctl";
};

// "HOST:PORT" or "[V6ADDR]:PORT" -> host and port; InvalidArgument otherwise.
Result<std::pair<std::string, int>> ParseHostPort(const std::string& address);

// The request frame without its size prefix: header (version chosen from the
// API key and version) then body.
template <typename Request>
Result<Bytes> EncodeRequestFrame(const Request& request, int16_t version, int32_t correlation_id,
                                 const std::string& client_id) {
  kafka::RequestHeader header;
  header.request_api_key = Request::kApiKey;
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = client_id;
  ByteWriter w;
  SH_RETURN_IF_ERROR(kafka::EncodeRequestHeader(header, w));
  SH_RETURN_IF_ERROR(request.Encode(w, version));
  return w.Take();
}

// Decodes a response frame (without its size prefix) to the request sent
// with correlation_id at version. Corruption if the correlation id differs or
// bytes remain after the body.
template <typename Response>
Result<Response> DecodeResponseFrame(ByteView frame, int16_t version, int32_t correlation_id) {
  ByteReader r(frame);
  kafka::ResponseHeader header;
  SH_RETURN_IF_ERROR(kafka::DecodeResponseHeader(r, Response::kApiKey, version, &header));
  if (header.correlation_id != correlation_id) {
    return Status::Corruption("kafka response to api " + std::to_string(Response::kApiKey) +
                              " carries correlation id " + std::to_string(header.correlation_id) +
                              ", expected " + std::to_string(correlation_id));
  }
  Response response;
  SH_RETURN_IF_ERROR(kafka::DecodeExact(frame.subspan(r.position()), version, response));
  return response;
}

class KafkaConnection {
 public:
  // Resolves host, connects within options.connect_timeout_ms.
  static Result<std::unique_ptr<KafkaConnection>> Connect(const std::string& host, int port,
                                                          const ConnectionOptions& options);
  ~KafkaConnection();
  KafkaConnection(const KafkaConnection&) = delete;
  KafkaConnection& operator=(const KafkaConnection&) = delete;

  const std::string& address() const { return address_; }

  // Sends one request and returns the decoded response. Any I/O or decode
  // failure leaves the connection unusable (later calls fail at once), since
  // the position in the byte stream is then unknown.
  template <typename Request, typename Response>
  Result<Response> Call(const Request& request, int16_t version) {
    const int32_t correlation_id = next_correlation_id_++;
    SH_ASSIGN_OR_RETURN(Bytes frame,
                        EncodeRequestFrame(request, version, correlation_id, options_.client_id));
    SH_ASSIGN_OR_RETURN(Bytes reply, RoundTrip(frame));
    Result<Response> response = DecodeResponseFrame<Response>(reply, version, correlation_id);
    if (!response.ok()) Break();
    return response;
  }

  // Writes size + frame, reads one whole response frame (without its size).
  Result<Bytes> RoundTrip(ByteView frame);

 private:
  KafkaConnection(int fd, std::string address, ConnectionOptions options)
      : fd_(fd), address_(std::move(address)), options_(std::move(options)) {}
  Status WriteAll(ByteView data);
  Status ReadExactly(uint8_t* out, size_t n);
  void Break();

  int fd_;
  std::string address_;  // "host:port", for messages
  ConnectionOptions options_;
  int32_t next_correlation_id_ = 1;
};

}  // namespace sh::cli
