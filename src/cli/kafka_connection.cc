#include "cli/kafka_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "cli/command_line.h"

namespace sh::cli {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Milliseconds left until deadline, at least 0.
int MsLeft(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits until fd is ready for events; Timeout naming what otherwise.
Status WaitFor(int fd, short events, SteadyClock::time_point deadline, const std::string& what) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, MsLeft(deadline));
    if (n > 0) return Status::OK();
    if (n == 0) return Status::Timeout(what + " timed out");
    if (errno != EINTR) return Status::IOError(Errno(what));
  }
}

// Non-blocking connect to one resolved address, finished within deadline.
Result<int> ConnectOne(const addrinfo& ai, SteadyClock::time_point deadline,
                       const std::string& address) {
  int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol);
  if (fd < 0) return Status::IOError(Errno("socket for " + address));
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      Status s = Status::Unavailable(Errno("connect to " + address));
      ::close(fd);
      return s;
    }
    Status waited = WaitFor(fd, POLLOUT, deadline, "connect to " + address);
    int err = 0;
    socklen_t len = sizeof(err);
    if (waited.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
      waited = Status::Unavailable("connect to " + address + ": " + std::strerror(err));
    }
    if (!waited.ok()) {
      ::close(fd);
      return waited;
    }
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

Result<std::pair<std::string, int>> ParseHostPort(const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address[0] == '[') {
    size_t close = address.find("]:");
    if (close == std::string::npos) {
      return Status::InvalidArgument("bootstrap address must be [HOST]:PORT, got '" + address +
                                     "'");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon) {
      return Status::InvalidArgument("bootstrap address must be HOST:PORT, got '" + address + "'");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument("no host in address '" + address + "'");
  SH_ASSIGN_OR_RETURN(int64_t number, ParseInt(port, "port of '" + address + "'"));
  if (number < 1 || number > 65535) {
    return Status::InvalidArgument("port of '" + address + "' must be 1-65535");
  }
  return std::pair{host, static_cast<int>(number)};
}

Result<std::unique_ptr<KafkaConnection>> KafkaConnection::Connect(
    const std::string& host, int port, const ConnectionOptions& options) {
  const std::string address = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    return Status::Unavailable("cannot resolve " + address + ": " + ::gai_strerror(rc));
  }
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(options.connect_timeout_ms);
  Status last = Status::Unavailable("no address for " + address);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Result<int> fd = ConnectOne(*ai, deadline, address);
    if (fd.ok()) {
      ::freeaddrinfo(found);
      return std::unique_ptr<KafkaConnection>(new KafkaConnection(*fd, address, options));
    }
    last = fd.status();
  }
  ::freeaddrinfo(found);
  return last;
}

KafkaConnection::~KafkaConnection() { Break(); }

void KafkaConnection::Break() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status KafkaConnection::WriteAll(ByteView data) {
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(options_.request_timeout_ms);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      SH_RETURN_IF_ERROR(WaitFor(fd_, POLLOUT, deadline, "write to " + address_));
    } else if (n < 0 && errno != EINTR) {
      return Status::Unavailable(Errno("write to " + address_));
    }
  }
  return Status::OK();
}

Status KafkaConnection::ReadExactly(uint8_t* out, size_t n) {
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(options_.request_timeout_ms);
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::recv(fd_, out + done, n - done, 0);
    if (got > 0) {
      done += static_cast<size_t>(got);
    } else if (got == 0) {
      return Status::Unavailable("connection to " + address_ + " closed by the server");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      SH_RETURN_IF_ERROR(WaitFor(fd_, POLLIN, deadline, "read from " + address_));
    } else if (errno != EINTR) {
      return Status::Unavailable(Errno("read from " + address_));
    }
  }
  return Status::OK();
}

Result<Bytes> KafkaConnection::RoundTrip(ByteView frame) {
  if (fd_ < 0) return Status::Unavailable("connection to " + address_ + " is broken");
  ByteWriter out(frame.size() + 4);
  out.PutBE32(static_cast<uint32_t>(frame.size()));
  out.PutBytes(frame);
  Status status = WriteAll(out.buffer());
  uint8_t size_bytes[4] = {};
  if (status.ok()) status = ReadExactly(size_bytes, sizeof(size_bytes));
  Bytes reply;
  if (status.ok()) {
    ByteReader r(ByteView(size_bytes, 4));
    int32_t size = static_cast<int32_t>(r.ReadBE32());
    if (size < 0 || size > kMaxResponseFrameBytes) {
      status = Status::Corruption("response frame from " + address_ + " claims " +
                                  std::to_string(size) + " bytes");
    } else {
      reply.resize(static_cast<size_t>(size));
      status = ReadExactly(reply.data(), reply.size());
    }
  }
  if (!status.ok()) {
    Break();
    return status;
  }
  return reply;
}

}  // namespace sh::cli
