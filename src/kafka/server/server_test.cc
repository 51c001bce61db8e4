// Server tests over real loopback sockets, with a scripted test handler.
#include "kafka/server/server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kafka/protocol/generated/api_versions.h"
#include "kafka/protocol/header_codec.h"
#include "kafka/server/api_versions_handler.h"

namespace sh::kafka {
namespace {

// Answers requests for one API key; the body's first byte says what to do:
//   'e' echo the rest   's' sleep body[1]*5 ms, then echo   'n' no response
//   'x' fail with a Status   't' throw   'b' echo from a blocking worker
class ScriptedHandler : public Handler {
 public:
  explicit ScriptedHandler(ApiKey key, int16_t min = 0, int16_t max = 8)
      : key_(key), min_(min), max_(max) {}
  ApiKey api_key() const override { return key_; }
  int16_t min_version() const override { return min_; }
  int16_t max_version() const override { return max_; }

  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override {
    ++calls;
    if (ctx.body.empty()) co_return Status::InvalidArgument("empty test request");
    Bytes rest(ctx.body.begin() + 1, ctx.body.end());
    switch (ctx.body[0]) {
      case 'e':
        co_return std::optional<Bytes>(rest);
      case 's': {
        asio::steady_timer t(co_await asio::this_coro::executor);
        t.expires_after(std::chrono::milliseconds(rest.empty() ? 0 : rest[0] * 5));
        co_await t.async_wait(asio::use_awaitable);
        co_return std::optional<Bytes>(rest);
      }
      case 'n':
        co_return std::optional<Bytes>();
      case 'x':
        co_return Status::Corruption("scripted failure");
      case 't':
        throw std::runtime_error("scripted exception");
      case 'b': {
        Bytes copy = co_await ctx.blocking.Run([&] { return rest; });
        co_return std::optional<Bytes>(copy);
      }
    }
    co_return Status::InvalidArgument("unknown test command");
  }

  std::atomic<int> calls{0};

 private:
  ApiKey key_;
  int16_t min_, max_;
};

constexpr ApiKey kTestKey = ApiKey::kMetadata;  // non-flexible at v1: headers v1 / v0
constexpr int16_t kTestVersion = 1;

// A blocking client on a raw socket; every read gives up after 10 s.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool SendRaw(const Bytes& b) {
    size_t off = 0;
    while (off < b.size()) {
      ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  static Bytes Frame(int16_t key, int16_t version, int32_t correlation_id, const Bytes& body) {
    RequestHeader h;
    h.request_api_key = key;
    h.request_api_version = version;
    h.correlation_id = correlation_id;
    h.client_id = "server-test";
    ByteWriter w;
    w.PutBE32(0);
    EXPECT_TRUE(EncodeRequestHeader(h, w).ok());
    w.PutBytes(body);
    w.PatchBE32(0, static_cast<uint32_t>(w.size() - 4));
    return w.Take();
  }
  static Bytes Command(char cmd, const std::string& rest = "") {
    Bytes b{static_cast<uint8_t>(cmd)};
    b.insert(b.end(), rest.begin(), rest.end());
    return b;
  }
  bool Send(int32_t correlation_id, const Bytes& body, ApiKey key = kTestKey,
            int16_t version = kTestVersion) {
    return SendRaw(Frame(static_cast<int16_t>(key), version, correlation_id, body));
  }

  // One response frame (without its size), or nullopt at end of stream.
  std::optional<Bytes> ReadFrame() {
    Bytes size(4);
    if (!ReadFull(size)) return std::nullopt;
    uint32_t n = ByteReader(size).ReadBE32();
    Bytes frame(n);
    if (!ReadFull(frame)) return std::nullopt;
    return frame;
  }
  // True if the server closed the connection (as opposed to answering).
  bool ClosedByServer() {
    uint8_t b;
    return ::recv(fd_, &b, 1, 0) == 0;
  }

 private:
  bool ReadFull(Bytes& buf) {
    size_t off = 0;
    while (off < buf.size()) {
      ssize_t n = ::recv(fd_, buf.data() + off, buf.size() - off, 0);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
};

// A response to the test handler: header v0 (correlation id), then the body.
struct TestResponse {
  int32_t correlation_id = 0;
  std::string body;
};
TestResponse ParseTest(const Bytes& frame) {
  ByteReader r(frame);
  TestResponse t;
  t.correlation_id = static_cast<int32_t>(r.ReadBE32());
  ByteView rest = r.ReadBytes(r.remaining());
  t.body.assign(rest.begin(), rest.end());
  return t;
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto handler = std::make_unique<ScriptedHandler>(kTestKey);
    handler_ = handler.get();
    std::vector<std::unique_ptr<Handler>> handlers;
    handlers.push_back(std::move(handler));
    handlers.push_back(std::make_unique<ScriptedHandler>(ApiKey::kProduce, 3, 9));
    server_ = std::make_unique<Server>(options, std::move(handlers));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  // A fresh connection still gets answers.
  void ExpectServing() {
    RawClient c(server_->port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send(7, RawClient::Command('e', "still here")));
    auto f = c.ReadFrame();
    ASSERT_TRUE(f.has_value());
    TestResponse t = ParseTest(*f);
    EXPECT_EQ(t.correlation_id, 7);
    EXPECT_EQ(t.body, "still here");
  }

  std::unique_ptr<Server> server_;
  ScriptedHandler* handler_ = nullptr;
};

Bytes ApiVersionsBody(int16_t version) {
  ApiVersionsRequest req;
  req.client_software_name = "server-test";
  req.client_software_version = "1.0";
  ByteWriter w;
  EXPECT_TRUE(req.Encode(w, version).ok());
  return w.Take();
}

const ApiVersionsResponse::ApiVersion* FindKey(const ApiVersionsResponse& r, ApiKey key) {
  for (const auto& a : r.api_keys) {
    if (a.api_key == static_cast<int16_t>(key)) return &a;
  }
  return nullptr;
}

void ExpectFullList(const ApiVersionsResponse& resp) {
  ASSERT_EQ(resp.api_keys.size(), 3u);
  const auto* av = FindKey(resp, ApiKey::kApiVersions);
  ASSERT_NE(av, nullptr);
  EXPECT_EQ(av->min_version, 0);
  EXPECT_EQ(av->max_version, 3);
  const auto* test = FindKey(resp, kTestKey);
  ASSERT_NE(test, nullptr);
  EXPECT_EQ(test->min_version, 0);
  EXPECT_EQ(test->max_version, 8);
  const auto* produce = FindKey(resp, ApiKey::kProduce);
  ASSERT_NE(produce, nullptr);
  EXPECT_EQ(produce->min_version, 3);
  EXPECT_EQ(produce->max_version, 9);
}

TEST_F(ServerTest, ApiVersionsEveryVersionWithHeaderV0) {
  StartServer();
  RawClient c(server_->port());
  ASSERT_TRUE(c.connected());
  for (int16_t v = 0; v <= 3; ++v) {
    SCOPED_TRACE("ApiVersions v" + std::to_string(v));
    ASSERT_TRUE(c.Send(40 + v, ApiVersionsBody(v), ApiKey::kApiVersions, v));
    auto frame = c.ReadFrame();
    ASSERT_TRUE(frame.has_value());
    // Header v0 even for flexible v3: the correlation id, then the body at
    // once (a v1 header would put a tagged-field byte in between).
    ByteReader r(*frame);
    ResponseHeader h;
    ASSERT_TRUE(h.Decode(r, 0).ok());
    EXPECT_EQ(h.correlation_id, 40 + v);
    ApiVersionsResponse resp;
    ASSERT_TRUE(DecodeExact(ByteView(*frame).subspan(4), v, resp).ok());
    EXPECT_EQ(resp.error_code, 0);
    EXPECT_EQ(resp.throttle_time_ms, 0);
    EXPECT_EQ(resp.finalized_features_epoch, -1);
    EXPECT_TRUE(resp.supported_features.empty());
    ExpectFullList(resp);
  }
}

TEST_F(ServerTest, ApiVersionsNewerThanSupportedGetsV0Fallback) {
  StartServer();
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send(5, ApiVersionsBody(3), ApiKey::kApiVersions, 99));
  auto frame = c.ReadFrame();
  ASSERT_TRUE(frame.has_value());
  ResponseHeader h;
  ByteReader r(*frame);
  ASSERT_TRUE(h.Decode(r, 0).ok());
  EXPECT_EQ(h.correlation_id, 5);
  ApiVersionsResponse resp;
  ASSERT_TRUE(DecodeExact(ByteView(*frame).subspan(4), 0, resp).ok());
  EXPECT_EQ(resp.error_code, 35);  // UNSUPPORTED_VERSION
  ExpectFullList(resp);
  // The client retries at a version from the list, on the same connection.
  ASSERT_TRUE(c.Send(6, ApiVersionsBody(3), ApiKey::kApiVersions, 3));
  frame = c.ReadFrame();
  ASSERT_TRUE(frame.has_value());
  ASSERT_TRUE(DecodeExact(ByteView(*frame).subspan(4), 3, resp).ok());
  EXPECT_EQ(resp.error_code, 0);
}

TEST_F(ServerTest, UndecodableApiVersionsRequestGetsInvalidRequest) {
  StartServer();
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send(8, Bytes{0xff, 0xff, 0xff}, ApiKey::kApiVersions, 3));
  auto frame = c.ReadFrame();
  ASSERT_TRUE(frame.has_value());
  ApiVersionsResponse resp;
  ASSERT_TRUE(DecodeExact(ByteView(*frame).subspan(4), 3, resp).ok());
  EXPECT_EQ(resp.error_code, 42);  // INVALID_REQUEST
}

// 20 requests in one write; the earlier ones take longer, so with concurrent
// handling they finish last, yet the answers come back in request order.
void ExpectPipelinedInOrder(ServerTest* test, Server& server) {
  RawClient c(server.port());
  ASSERT_TRUE(c.connected());
  Bytes all;
  for (int i = 0; i < 20; ++i) {
    std::string payload = {static_cast<char>(20 - i), 'p', static_cast<char>('a' + i)};
    Bytes f = RawClient::Frame(static_cast<int16_t>(kTestKey), kTestVersion, 1000 + i,
                               RawClient::Command('s', payload));
    all.insert(all.end(), f.begin(), f.end());
  }
  ASSERT_TRUE(c.SendRaw(all));
  for (int i = 0; i < 20; ++i) {
    auto f = c.ReadFrame();
    ASSERT_TRUE(f.has_value()) << "response " << i;
    TestResponse t = ParseTest(*f);
    EXPECT_EQ(t.correlation_id, 1000 + i);
    ASSERT_EQ(t.body.size(), 3u);
    EXPECT_EQ(t.body[2], static_cast<char>('a' + i));
  }
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrderWhenConcurrent) {
  ServerOptions o;
  o.concurrent_requests = true;
  StartServer(o);
  ExpectPipelinedInOrder(this, *server_);
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrderWhenSerial) {
  StartServer();
  ExpectPipelinedInOrder(this, *server_);
}

TEST_F(ServerTest, PipelinedBeyondTheInFlightBound) {
  ServerOptions o;
  o.max_in_flight = 2;
  o.concurrent_requests = true;
  StartServer(o);
  ExpectPipelinedInOrder(this, *server_);
}

// Many clients at once, each pipelining requests that go through the
// blocking pool and timers: every answer reaches the right client in order.
TEST_F(ServerTest, ManyClientsAtOnce) {
  ServerOptions o;
  o.concurrent_requests = true;
  o.network_threads = 3;
  StartServer(o);
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int t = 0; t < 12; ++t) {
    clients.emplace_back([&, t] {
      RawClient c(server_->port());
      Bytes all;
      const char cmds[] = {'e', 'b', 's'};
      for (int i = 0; i < 30; ++i) {
        std::string payload = {static_cast<char>(i % 3), static_cast<char>(t),
                               static_cast<char>(i)};
        Bytes f = RawClient::Frame(static_cast<int16_t>(kTestKey), kTestVersion, t * 1000 + i,
                                   RawClient::Command(cmds[i % 3], payload));
        all.insert(all.end(), f.begin(), f.end());
      }
      if (!c.SendRaw(all)) return;
      for (int i = 0; i < 30; ++i) {
        auto f = c.ReadFrame();
        if (!f.has_value()) return;
        TestResponse r = ParseTest(*f);
        if (r.correlation_id != t * 1000 + i || r.body.size() != 3 || r.body[1] != t ||
            r.body[2] != i) {
          return;
        }
        ++answered;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(answered.load(), 12 * 30);
}

TEST_F(ServerTest, BlockingWorkerResumesTheRequest) {
  StartServer();
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send(3, RawClient::Command('b', "from a worker")));
  auto f = c.ReadFrame();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(ParseTest(*f).body, "from a worker");
}

TEST_F(ServerTest, NoResponseRequestIsSkipped) {
  StartServer();
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send(1, RawClient::Command('n')));
  ASSERT_TRUE(c.Send(2, RawClient::Command('e', "second")));
  auto f = c.ReadFrame();
  ASSERT_TRUE(f.has_value());
  TestResponse t = ParseTest(*f);
  EXPECT_EQ(t.correlation_id, 2);
  EXPECT_EQ(t.body, "second");
  EXPECT_EQ(handler_->calls.load(), 2);
}

TEST_F(ServerTest, TruncatedFrameThenCloseLeavesServerServing) {
  StartServer();
  {
    RawClient c(server_->port());
    Bytes f = RawClient::Frame(static_cast<int16_t>(kTestKey), kTestVersion, 1,
                               RawClient::Command('e', "0123456789"));
    Bytes cut(f.begin(), f.end() - 5);  // the frame's last 5 bytes never come
    ASSERT_TRUE(c.SendRaw(cut));
  }
  ExpectServing();
  EXPECT_EQ(handler_->calls.load(), 1);  // only ExpectServing's request was handled
}

TEST_F(ServerTest, BadSizesCloseOnlyThatConnection) {
  ServerOptions o;
  o.max_request_bytes = 1024;
  StartServer(o);
  RawClient bystander(server_->port());
  ASSERT_TRUE(bystander.connected());
  for (int32_t size : {-1, 0, 1025, 0x7fffffff}) {
    SCOPED_TRACE("size " + std::to_string(size));
    RawClient c(server_->port());
    ByteWriter w;
    w.PutBE32(static_cast<uint32_t>(size));
    w.PutBytes(std::string_view("abcdefgh"));
    ASSERT_TRUE(c.SendRaw(w.Take()));
    EXPECT_TRUE(c.ClosedByServer());
  }
  // A frame of exactly the limit is accepted.
  RawClient c(server_->port());
  std::string payload(1024, 'z');
  Bytes f = RawClient::Frame(static_cast<int16_t>(kTestKey), kTestVersion, 9, {});
  size_t header = f.size() - 4;
  Bytes body = RawClient::Command('e', payload.substr(0, 1024 - header - 1));
  ASSERT_TRUE(c.Send(9, body));
  auto resp = c.ReadFrame();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(ParseTest(*resp).body.size(), 1024 - header - 1);

  ASSERT_TRUE(bystander.Send(11, RawClient::Command('e', "ok")));
  auto b = bystander.ReadFrame();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(ParseTest(*b).correlation_id, 11);
}

TEST_F(ServerTest, UnknownApiKeyClosesConnection) {
  StartServer();
  for (int16_t key : {int16_t{1000}, int16_t{50}, int16_t{1}, int16_t{-3}}) {
    SCOPED_TRACE("api key " + std::to_string(key));
    RawClient c(server_->port());
    ASSERT_TRUE(c.SendRaw(RawClient::Frame(key, 0, 1, RawClient::Command('e', "x"))));
    EXPECT_TRUE(c.ClosedByServer());
  }
  ExpectServing();
}

// A protocol error after good requests: those are answered first, then the
// connection closes.
void ExpectAnsweredThenClosed(Server& server, const Bytes& bad) {
  RawClient c(server.port());
  Bytes all;
  for (int i = 0; i < 3; ++i) {
    std::string payload = {static_cast<char>(3 - i), static_cast<char>('a' + i)};
    Bytes f = RawClient::Frame(static_cast<int16_t>(kTestKey), kTestVersion, 500 + i,
                               RawClient::Command('s', payload));
    all.insert(all.end(), f.begin(), f.end());
  }
  all.insert(all.end(), bad.begin(), bad.end());
  ASSERT_TRUE(c.SendRaw(all));
  for (int i = 0; i < 3; ++i) {
    auto f = c.ReadFrame();
    ASSERT_TRUE(f.has_value()) << "response " << i;
    EXPECT_EQ(ParseTest(*f).correlation_id, 500 + i);
  }
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(ServerTest, EarlierRequestsAnsweredBeforeProtocolErrorCloses) {
  for (bool concurrent : {false, true}) {
    SCOPED_TRACE(concurrent ? "concurrent" : "serial");
    ServerOptions o;
    o.concurrent_requests = concurrent;
    o.max_request_bytes = 4096;
    StartServer(o);
    ExpectAnsweredThenClosed(*server_, RawClient::Frame(1000, 0, 9, {}));  // unknown key
    ExpectAnsweredThenClosed(*server_, Bytes{0x7f, 0, 0, 0});              // too large
    ExpectAnsweredThenClosed(*server_, RawClient::Frame(0, 1, 9, {}));     // Produce v1
    ExpectAnsweredThenClosed(*server_, Bytes{0, 0, 0, 3, 0, 3, 0});        // short header
    server_->Stop();
  }
}

TEST_F(ServerTest, UnsupportedVersionOfOtherApiClosesConnection) {
  StartServer();
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send(1, RawClient::Command('e', "x"), ApiKey::kProduce, 2));  // min is 3
  EXPECT_TRUE(c.ClosedByServer());
  ExpectServing();
}

TEST_F(ServerTest, UndecodableHeaderClosesConnection) {
  StartServer();
  RawClient c(server_->port());
  // api key, version, correlation id, then a client id longer than the frame.
  Bytes f = {0, 0, 0, 10, 0, 3, 0, 1, 0, 0, 0, 1, 0x7f, 0x00};
  ASSERT_TRUE(c.SendRaw(f));
  EXPECT_TRUE(c.ClosedByServer());
  ExpectServing();
}

TEST_F(ServerTest, HandlerErrorClosesOnlyThatConnectionAfterEarlierAnswers) {
  StartServer();
  RawClient bystander(server_->port());
  for (char cmd : {'x', 't'}) {
    SCOPED_TRACE(std::string("command ") + cmd);
    RawClient c(server_->port());
    ASSERT_TRUE(c.Send(1, RawClient::Command('e', "before")));
    ASSERT_TRUE(c.Send(2, RawClient::Command(cmd)));
    ASSERT_TRUE(c.Send(3, RawClient::Command('e', "after")));
    auto f = c.ReadFrame();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(ParseTest(*f).correlation_id, 1);
    EXPECT_FALSE(c.ReadFrame().has_value());
  }
  ASSERT_TRUE(bystander.Send(4, RawClient::Command('e', "fine")));
  auto b = bystander.ReadFrame();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(ParseTest(*b).body, "fine");
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout_ms = 50;
  StartServer(o);
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send(1, RawClient::Command('e', "hi")));
  ASSERT_TRUE(c.ReadFrame().has_value());
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(ServerTest, StopAnswersInFlightRequestsThenCloses) {
  StartServer();
  RawClient idle(server_->port());
  RawClient busy(server_->port());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(busy.Send(1, RawClient::Command('s', std::string(1, char{40}))));
  // Make sure the request is being handled before stopping.
  while (handler_->calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->Stop();
  auto f = busy.ReadFrame();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(ParseTest(*f).correlation_id, 1);
  EXPECT_TRUE(busy.ClosedByServer());
  EXPECT_TRUE(idle.ClosedByServer());
  RawClient late(server_->port());
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, RunReturnsAfterStop) {
  StartServer();
  std::thread runner([&] { server_->Run(); });
  server_->Stop();
  runner.join();
  server_->Stop();  // idempotent
}

TEST(ServerConfigTest, RejectsBadHandlerLists) {
  {
    std::vector<std::unique_ptr<Handler>> handlers;
    handlers.push_back(std::make_unique<ScriptedHandler>(kTestKey));
    handlers.push_back(std::make_unique<ScriptedHandler>(kTestKey));
    ServerOptions o;
    o.port = 0;
    Server s(o, std::move(handlers));
    EXPECT_FALSE(s.Start().ok());
  }
  {
    std::vector<std::unique_ptr<Handler>> handlers;
    handlers.push_back(std::make_unique<ScriptedHandler>(ApiKey::kApiVersions));
    ServerOptions o;
    o.port = 0;
    Server s(o, std::move(handlers));
    EXPECT_FALSE(s.Start().ok());
  }
}

TEST(ServerConfigTest, BindFailureNamesTheAddress) {
  ServerOptions o;
  o.port = 0;
  Server first(o, {});
  ASSERT_TRUE(first.Start().ok());
  o.port = first.port();
  Server second(o, {});
  Status st = second.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << st.ToString();
}

}  // namespace
}  // namespace sh::kafka
