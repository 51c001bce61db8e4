// A scripted HTTP/1.1 server on 127.0.0.1 for S3 client tests: it records
// each request and answers it with what the test's handler returns, one
// request per connection ("Connection: close"). Header-only; tests only.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sh {

struct TestHttpRequest {
  std::string method;
  std::string target;                          // "/bucket/key?query"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct TestHttpReply {
  int status = 200;
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
};

class TestHttpServer {
 public:
  // handler(request, index): index counts requests from 0.
  using Handler = std::function<TestHttpReply(const TestHttpRequest&, int)>;

  explicit TestHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0) {
      return;
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~TestHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  int port() const { return port_; }  // 0 if the server could not start
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<TestHttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  // Bounded: polls every 50 ms until stopped, at most 10,000 connections.
  void Serve() {
    for (int served = 0; !stop_ && served < 10'000;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++served;
      Handle(c);
      ::close(c);
    }
  }

  // Reads until the headers end and Content-Length bytes of body arrived.
  static bool ReadRequest(int c, TestHttpRequest* req) {
    std::string data;
    char buf[65536];
    size_t header_end = std::string::npos;
    size_t need = 0;
    while (true) {
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          ParseHead(data.substr(0, header_end), req);
          auto it = req->headers.find("content-length");
          need = header_end + 4 + (it == req->headers.end() ? 0 : std::stoull(it->second));
        }
      }
      if (header_end != std::string::npos && data.size() >= need) break;
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5'000) <= 0) return false;
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    req->body = data.substr(header_end + 4, need - header_end - 4);
    return true;
  }

  static void ParseHead(const std::string& head, TestHttpRequest* req) {
    size_t eol = head.find("\r\n");
    std::string line = head.substr(0, eol);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    req->method = line.substr(0, sp1);
    req->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = eol == std::string::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string h = head.substr(pos, end - pos);
      size_t colon = h.find(':');
      if (colon != std::string::npos) {
        std::string name = h.substr(0, colon);
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t v = h.find_first_not_of(' ', colon + 1);
        req->headers[name] = v == std::string::npos ? "" : h.substr(v);
      }
      pos = end + 2;
    }
  }

  void Handle(int c) {
    TestHttpRequest req;
    if (!ReadRequest(c, &req)) return;
    int index;
    {
      std::lock_guard<std::mutex> lock(mu_);
      index = static_cast<int>(requests_.size());
      requests_.push_back(req);
    }
    TestHttpReply reply = handler_(req, index);
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
    for (const std::string& h : reply.headers) out += h + "\r\n";
    // A HEAD answer's Content-Length is the object's: the handler gives it.
    if (req.method != "HEAD") {
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    }
    out += "Connection: close\r\n\r\n";
    if (req.method != "HEAD") out += reply.body;
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::send(c, out.data() + done, out.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<TestHttpRequest> requests_;
  std::thread thread_;
};

}  // namespace sh
