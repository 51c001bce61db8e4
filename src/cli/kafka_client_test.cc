#include "cli/kafka_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <thread>

#include "cli/kafka_connection.h"
#include "kafka/protocol/generated/api_table.h"
#include "kafka/protocol/generated/create_topics.h"
#include "kafka/protocol/generated/delete_topics.h"
#include "kafka/protocol/generated/describe_configs.h"
#include "kafka/protocol/generated/fetch.h"
#include "kafka/protocol/generated/list_offsets.h"
#include "kafka/protocol/generated/metadata.h"
#include "kafka/protocol/generated/produce.h"
#include "records/record_batch.h"

namespace sh::cli {
namespace {

Bytes MakeBatch(const std::string& value, int n = 1) {
  records::BatchBuilder builder;
  for (int i = 0; i < n; ++i) builder.Add(std::nullopt, value + std::to_string(i), 1000);
  Result<Bytes> batch = builder.Build();
  EXPECT_TRUE(batch.ok());
  return batch.ok() ? *batch : Bytes();
}

TEST(ParseHostPortTest, AcceptsHostPortAndBracketedV6) {
  auto a = ParseHostPort("localhost:9092");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->first, "localhost");
  EXPECT_EQ(a->second, 9092);
  auto b = ParseHostPort("[::1]:19092");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->first, "::1");
  EXPECT_EQ(b->second, 19092);
}

TEST(ParseHostPortTest, RejectsMalformedAddresses) {
  for (const char* bad : {"localhost", ":9092", "h:0", "h:65536", "h:port", "::1:9092", "[::1]"}) {
    auto r = ParseHostPort(bad);
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

// The frame a client sends must be what a server reading it decodes: header
// (v1 or v2 by flexibility) and body, field for field.
template <typename Request>
void ExpectRequestRoundTrip(const Request& request, int16_t version) {
  auto frame = EncodeRequestFrame(request, version, 77, "streamctl");
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  ByteReader r(*frame);
  kafka::RequestHeader header;
  ASSERT_TRUE(kafka::DecodeRequestHeader(r, &header).ok());
  EXPECT_EQ(header.request_api_key, Request::kApiKey);
  EXPECT_EQ(header.request_api_version, version);
  EXPECT_EQ(header.correlation_id, 77);
  EXPECT_EQ(header.client_id, "streamctl");
  Request decoded;
  ASSERT_TRUE(kafka::DecodeExact(ByteView(*frame).subspan(r.position()), version, decoded).ok());
  Request expected = request;
  EXPECT_EQ(decoded, expected) << "api " << Request::kApiKey << " v" << version;
}

TEST(RequestFrameTest, ProduceRoundTripsInClassicAndFlexibleVersions) {
  kafka::ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 30000;
  request.topic_data.push_back({"orders", {{.index = 2, .records = MakeBatch("v", 3)}}});
  for (int16_t v : {3, 8, 9, 11}) ExpectRequestRoundTrip(request, v);
}

TEST(RequestFrameTest, FetchAndMetadataRoundTrip) {
  kafka::FetchRequest fetch;
  fetch.replica_id = -1;
  fetch.min_bytes = 1;
  fetch.max_bytes = 1 << 20;
  fetch.session_epoch = -1;
  fetch.topics.push_back(
      {.topic = "orders",
       .topic_id = {},
       .partitions = {{.partition = 1, .fetch_offset = 5, .partition_max_bytes = 1 << 20}}});
  for (int16_t v : {4, 11, 12}) ExpectRequestRoundTrip(fetch, v);

  kafka::MetadataRequest metadata;
  metadata.topics.emplace().push_back({.topic_id = {}, .name = "orders"});
  metadata.allow_auto_topic_creation = false;
  for (int16_t v : {4, 8, 9, 12}) ExpectRequestRoundTrip(metadata, v);
}

TEST(ResponseFrameTest, DecodesAndChecksCorrelationId) {
  kafka::MetadataResponse response;
  response.brokers.push_back({.node_id = 0, .host = "localhost", .port = 9092, .rack = {}});
  for (int16_t v : {4, 9, 12}) {
    ByteWriter w;
    ASSERT_TRUE(kafka::EncodeResponseHeader(5, kafka::MetadataResponse::kApiKey, v, w).ok());
    ASSERT_TRUE(response.Encode(w, v).ok());
    auto good = DecodeResponseFrame<kafka::MetadataResponse>(w.buffer(), v, 5);
    ASSERT_TRUE(good.ok()) << good.status().ToString();
    EXPECT_EQ(good->brokers, response.brokers);
    auto wrong = DecodeResponseFrame<kafka::MetadataResponse>(w.buffer(), v, 6);
    EXPECT_EQ(wrong.status().code(), ErrorCode::kCorruption);
    w.PutU8(0);
    auto trailing = DecodeResponseFrame<kafka::MetadataResponse>(w.buffer(), v, 5);
    EXPECT_EQ(trailing.status().code(), ErrorCode::kCorruption);
  }
}

TEST(KafkaErrorStatusTest, MapsCodesToStatusWithKafkaNames) {
  EXPECT_TRUE(KafkaErrorStatus(0, "x").ok());
  Status unknown_topic = KafkaErrorStatus(3, "produce to t/0");
  EXPECT_EQ(unknown_topic.code(), ErrorCode::kNotFound);
  EXPECT_NE(unknown_topic.message().find("produce to t/0: UNKNOWN_TOPIC_OR_PARTITION (3)"),
            std::string::npos)
      << unknown_topic.message();
  EXPECT_EQ(KafkaErrorStatus(1, "f").code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(KafkaErrorStatus(36, "c").code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(KafkaErrorStatus(40, "c").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(KafkaErrorStatus(10, "p").code(), ErrorCode::kTooLarge);
  EXPECT_EQ(KafkaErrorStatus(6, "p").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(KafkaErrorStatus(7, "p").code(), ErrorCode::kTimeout);
  EXPECT_EQ(KafkaErrorStatus(35, "p").code(), ErrorCode::kUnsupported);
  Status odd = KafkaErrorStatus(9999, "p", std::string("agent says why"));
  EXPECT_EQ(odd.code(), ErrorCode::kInternal);
  EXPECT_NE(odd.message().find("UNKNOWN_ERROR_CODE (9999): agent says why"), std::string::npos)
      << odd.message();
  EXPECT_STREQ(KafkaErrorName(36), "TOPIC_ALREADY_EXISTS");
}

TEST(KafkaErrorStatusTest, InvalidRecordIsNotRetried) {
  // 87 is what the agent sends for a bad batch: a fault of the data, not of the
  // moment, so it is not Unavailable (which streamctl retries).
  EXPECT_STREQ(KafkaErrorName(87), "INVALID_RECORD");
  Status bad_batch = KafkaErrorStatus(87, "produce to t/0");
  EXPECT_EQ(bad_batch.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_batch.message().find("INVALID_RECORD (87)"), std::string::npos)
      << bad_batch.message();
  EXPECT_STREQ(KafkaErrorName(85), "NO_REASSIGNMENT_IN_PROGRESS");
  EXPECT_STREQ(KafkaErrorName(89), "THROTTLING_QUOTA_EXCEEDED");
  EXPECT_EQ(KafkaErrorStatus(89, "p").code(), ErrorCode::kUnavailable);
  EXPECT_STREQ(KafkaErrorName(90), "PRODUCER_FENCED");
  EXPECT_EQ(KafkaErrorStatus(90, "p").code(), ErrorCode::kFenced);
  EXPECT_STREQ(KafkaErrorName(91), "RESOURCE_NOT_FOUND");
  EXPECT_EQ(KafkaErrorStatus(91, "p").code(), ErrorCode::kNotFound);
}

TEST(NegotiateVersionTest, PicksHighestCommonVersion) {
  kafka::ApiVersionsResponse server;
  server.api_keys = {{0, 0, 9}, {1, 0, 17}, {3, 0, 3}};
  EXPECT_EQ(*NegotiateVersion(server, 0, 3, 11), 9);
  EXPECT_EQ(*NegotiateVersion(server, 1, 4, 12), 12);
  Status none = NegotiateVersion(server, 3, 4, 12).status();
  EXPECT_EQ(none.code(), ErrorCode::kUnsupported);
  EXPECT_NE(none.message().find("Metadata"), std::string::npos) << none.message();
  EXPECT_EQ(NegotiateVersion(server, 19, 4, 7).status().code(), ErrorCode::kUnsupported);
}

TEST(WholeBatchesTest, DropsATrailingPartialBatch) {
  Bytes a = MakeBatch("a", 2);
  Bytes b = MakeBatch("b", 3);
  Bytes c = MakeBatch("c", 4);
  Bytes data = a;
  data.insert(data.end(), b.begin(), b.end());
  const size_t whole = data.size();
  data.insert(data.end(), c.begin(), c.begin() + static_cast<long>(c.size() / 2));
  Bytes trimmed = WholeBatches(data);
  ASSERT_EQ(trimmed.size(), whole);
  EXPECT_TRUE(std::equal(trimmed.begin(), trimmed.end(), data.begin()));
  EXPECT_TRUE(WholeBatches(Bytes(5, 0)).empty());
  EXPECT_EQ(WholeBatches(a), a);
}

// A Kafka-protocol server on loopback answering from a function, one
// connection at a time, for tests of the whole request path.
class FakeAgent {
 public:
  // Returns the response body for a request (header already read).
  using Handler = std::function<Bytes(const kafka::RequestHeader&, ByteView body)>;

  explicit FakeAgent(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    SH_CHECK(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    SH_CHECK(::listen(listen_fd_, 4) == 0);
    SH_CHECK(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeAgent() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  static bool ReadAll(int fd, uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t got = ::recv(fd, p, n, 0);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  void Serve() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      while (ServeOne(fd)) {
      }
      ::close(fd);
    }
  }
  bool ServeOne(int fd) {
    uint8_t size_bytes[4];
    if (!ReadAll(fd, size_bytes, 4)) return false;
    ByteReader size_reader(ByteView(size_bytes, 4));
    Bytes frame(size_reader.ReadBE32());
    if (!ReadAll(fd, frame.data(), frame.size())) return false;
    ByteReader r(frame);
    kafka::RequestHeader header;
    if (!kafka::DecodeRequestHeader(r, &header).ok()) return false;
    Bytes body = handler_(header, ByteView(frame).subspan(r.position()));
    ByteWriter out;
    out.PutBE32(0);
    SH_CHECK(kafka::EncodeResponseHeader(header.correlation_id, header.request_api_key,
                                         header.request_api_version, out)
                 .ok());
    out.PutBytes(body);
    out.PatchBE32(0, static_cast<uint32_t>(out.size() - 4));
    return ::send(fd, out.buffer().data(), out.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(out.size());
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

template <typename Message>
Bytes Encode(const Message& m, int16_t version) {
  ByteWriter w;
  SH_CHECK(m.Encode(w, version).ok());
  return w.Take();
}

template <typename Message>
Message Decode(ByteView body, int16_t version) {
  Message m;
  SH_CHECK(kafka::DecodeExact(body, version, m).ok());
  return m;
}

// A one-broker agent with topic "t" (2 partitions, retention.ms set on it).
// Produce stores the batch and answers base offset 42; Fetch returns it plus
// half a batch, or OFFSET_OUT_OF_RANGE past offset 100.
class FakeTopicAgent {
 public:
  explicit FakeTopicAgent(int16_t api_versions_max = 3)
      : api_versions_max_(api_versions_max),
        agent_([this](const kafka::RequestHeader& h, ByteView body) { return Handle(h, body); }) {}

  std::string address() const { return agent_.address(); }
  int16_t VersionUsed(int16_t api_key) {
    std::lock_guard lock(mu_);
    return used_[api_key];
  }
  Bytes produced() {
    std::lock_guard lock(mu_);
    return produced_;
  }

 private:
  Bytes Handle(const kafka::RequestHeader& h, ByteView body) {
    std::lock_guard lock(mu_);
    const int16_t v = h.request_api_version;
    used_[h.request_api_key] = v;
    switch (static_cast<kafka::ApiKey>(h.request_api_key)) {
      case kafka::ApiKey::kApiVersions:
        return ApiVersions(v);
      case kafka::ApiKey::kMetadata:
        return Metadata(body, v);
      case kafka::ApiKey::kDescribeConfigs:
        return DescribeConfigs(v);
      case kafka::ApiKey::kListOffsets:
        return ListOffsets(body, v);
      case kafka::ApiKey::kProduce:
        return Produce(body, v);
      case kafka::ApiKey::kFetch:
        return Fetch(body, v);
      default:
        return {};
    }
  }
  Bytes ApiVersions(int16_t v) {
    kafka::ApiVersionsResponse r;
    if (v > api_versions_max_) {  // as Kafka: v0 body, UNSUPPORTED_VERSION, our range
      r.error_code = 35;
      r.api_keys = {{18, 0, api_versions_max_}};
      return Encode(r, 0);
    }
    r.api_keys = {{0, 0, 9},  {1, 0, 17}, {2, 0, 7}, {3, 0, 12}, {18, 0, api_versions_max_},
                  {19, 0, 7}, {20, 0, 6}, {32, 0, 4}};
    return Encode(r, v);
  }
  Bytes Metadata(ByteView body, int16_t v) {
    auto request = Decode<kafka::MetadataRequest>(body, v);
    kafka::MetadataResponse r;
    // An address nobody listens on: with one broker the client must stay on
    // the bootstrap connection.
    r.brokers.push_back({.node_id = 7, .host = "unreachable.invalid", .port = 1, .rack = {}});
    for (const auto& t : request.topics.value_or(
             std::vector<kafka::MetadataRequest::MetadataRequestTopic>{{{}, "t"}})) {
      auto& out = r.topics.emplace_back();
      out.name = t.name;
      if (t.name != "t") {
        out.error_code = 3;
        continue;
      }
      for (int32_t p = 0; p < 2; ++p) {
        auto& partition = out.partitions.emplace_back();
        partition.partition_index = p;
        partition.leader_id = 7;
        // Partition 1's lease is changing hands: advisory, its leader is named.
        if (p == 1) partition.error_code = 5;
      }
    }
    return Encode(r, v);
  }
  Bytes DescribeConfigs(int16_t v) {
    kafka::DescribeConfigsResponse r;
    auto& result = r.results.emplace_back();
    result.resource_type = 2;
    result.resource_name = "t";
    auto& set = result.configs.emplace_back();
    set.name = "retention.ms";
    set.value = "1000";
    set.config_source = 1;
    auto& unset = result.configs.emplace_back();
    unset.name = "segment.bytes";
    unset.value = "67108864";
    unset.is_default = true;
    unset.config_source = 5;
    return Encode(r, v);
  }
  Bytes ListOffsets(ByteView body, int16_t v) {
    auto request = Decode<kafka::ListOffsetsRequest>(body, v);
    kafka::ListOffsetsResponse r;
    for (const auto& t : request.topics) {
      auto& out = r.topics.emplace_back();
      out.name = t.name;
      for (const auto& p : t.partitions) {
        int64_t offset = p.timestamp == -2 ? 5 : 10 + p.partition_index;
        auto& answer = out.partitions.emplace_back();
        answer.partition_index = p.partition_index;
        answer.offset = offset;
      }
    }
    return Encode(r, v);
  }
  Bytes Produce(ByteView body, int16_t v) {
    auto request = Decode<kafka::ProduceRequest>(body, v);
    kafka::ProduceResponse r;
    for (const auto& t : request.topic_data) {
      auto& out = r.responses.emplace_back();
      out.name = t.name;
      for (const auto& p : t.partition_data) {
        produced_ = p.records.value_or(Bytes());
        auto& answer = out.partition_responses.emplace_back();
        answer.index = p.index;
        answer.base_offset = 42;
      }
    }
    EXPECT_EQ(request.acks, -1);
    return Encode(r, v);
  }
  Bytes Fetch(ByteView body, int16_t v) {
    auto request = Decode<kafka::FetchRequest>(body, v);
    kafka::FetchResponse r;
    for (const auto& t : request.topics) {
      auto& out = r.responses.emplace_back();
      out.topic = t.topic;
      for (const auto& p : t.partitions) {
        auto& pd = out.partitions.emplace_back();
        pd.partition_index = p.partition;
        pd.high_watermark = 12;
        pd.log_start_offset = 5;
        if (p.fetch_offset > 100) {
          pd.error_code = 1;
          continue;
        }
        Bytes data = produced_;
        Bytes extra = MakeBatch("cut", 5);
        data.insert(data.end(), extra.begin(), extra.begin() + 20);
        pd.records = data;
      }
    }
    return Encode(r, v);
  }

  int16_t api_versions_max_;
  std::mutex mu_;
  std::map<int16_t, int16_t> used_;
  Bytes produced_;
  FakeAgent agent_;  // last: its thread calls Handle, which uses the members above
};

TEST(KafkaClientTest, DescribeUsesMetadataConfigsAndOffsets) {
  FakeTopicAgent agent;
  auto client = KafkaClient::Connect(agent.address());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto d = (*client)->DescribeTopic("t");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->partition_count, 2);
  EXPECT_EQ(d->config, (std::map<std::string, std::string>{{"retention.ms", "1000"}}));
  ASSERT_EQ(d->partitions.size(), 2u);
  EXPECT_EQ(d->partitions[1].log_start_offset, 5);
  EXPECT_EQ(d->partitions[1].high_watermark, 11);
  EXPECT_EQ(agent.VersionUsed(3), 12);  // Metadata: both sides go to 12
  EXPECT_EQ(agent.VersionUsed(2), 7);   // ListOffsets: the agent's max

  auto missing = (*client)->DescribeTopic("nope");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("UNKNOWN_TOPIC_OR_PARTITION (3)"), std::string::npos);

  auto names = (*client)->ListTopics();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, std::vector<std::string>{"t"});
}

TEST(KafkaClientTest, ProduceAndFetchGoThroughTheLeader) {
  FakeTopicAgent agent;
  auto client = KafkaClient::Connect(agent.address());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Bytes batch = MakeBatch("x", 3);
  auto base = (*client)->Produce("t", 1, batch);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(*base, 42);
  EXPECT_EQ(agent.produced(), batch);
  EXPECT_EQ(agent.VersionUsed(0), 9);  // Produce: the agent's max

  auto fetched = (*client)->Fetch("t", 1, 0, 1 << 20);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->batches, batch);  // the partial batch after it is dropped
  EXPECT_EQ(fetched->high_watermark, 12);
  EXPECT_EQ(agent.VersionUsed(1), 12);  // Fetch: ours stops at 12

  EXPECT_EQ((*client)->Fetch("t", 1, 500, 1 << 20).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ((*client)->Produce("t", 2, batch).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ((*client)->ListSegments("t", 0).status().code(), ErrorCode::kUnsupported);
}

TEST(KafkaClientTest, FallsBackToApiVersionsV0) {
  FakeTopicAgent agent(/*api_versions_max=*/0);
  auto client = KafkaClient::Connect(agent.address());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ(agent.VersionUsed(18), 0);
  auto d = (*client)->DescribeTopic("t");
  EXPECT_TRUE(d.ok()) << d.status().ToString();
}

TEST(KafkaClientTest, ConnectFailsCleanlyWithNoAgent) {
  // A port bound but not listening refuses connections, and stays ours meanwhile.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto client = KafkaClient::Connect("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  EXPECT_EQ(client.status().code(), ErrorCode::kUnavailable) << client.status().ToString();
  ::close(fd);
}

}  // namespace
}  // namespace sh::cli
