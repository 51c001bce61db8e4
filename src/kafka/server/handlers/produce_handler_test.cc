// The Produce handler waits for durability without holding a worker thread
// (docs/durability.md): requests wait on the WAL together, acks=0 is written
// the same way, idempotent-producer refusals map to their Kafka errors.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "broker/broker.h"
#include "kafka/protocol/generated/produce.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/produce_handler.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/faulty_object_store.h"
#include "objstore/memory_object_store.h"
#include "records/record_batch.h"

namespace sh::kafka {
namespace {

using namespace std::chrono_literals;

Bytes Batch(int n, int64_t producer_id = -1, int32_t sequence = -1) {
  records::BatchOptions opts;
  opts.producer_id = producer_id;
  opts.producer_epoch = producer_id >= 0 ? 0 : -1;
  opts.base_sequence = sequence;
  records::BatchBuilder b(opts);
  for (int i = 0; i < n; ++i) b.Add(std::nullopt, "v" + std::to_string(i), 1'000'000 + i, {});
  return b.Build().value();
}

class ProduceHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    metadata_ = SqliteMetadataStore::Open(":memory:").value();
    broker_ = broker::Broker::Open({}, *metadata_, store_, *SystemClock::Get()).value();
    ASSERT_TRUE(broker_->CreateTopic("t", 3, {}, false).ok());
    produce_ = std::make_unique<ProduceHandler>(*broker_);
    runner_ = std::thread([this] {
      auto work = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    io_.stop();
    runner_.join();
  }

  // Starts the request on io_; the future gets the handler's result.
  std::future<Result<std::optional<Bytes>>> Start(int16_t acks, int32_t partition, Bytes records) {
    auto req = std::make_shared<ProduceRequest>();
    req->acks = acks;
    req->timeout_ms = 1000;
    req->topic_data.push_back({"t", {{partition, std::move(records)}}});
    ByteWriter w;
    EXPECT_TRUE(req->Encode(w, 9).ok());
    auto body = std::make_shared<Bytes>(w.Take());
    auto header = std::make_shared<RequestHeader>();
    header->request_api_key = ProduceRequest::kApiKey;
    header->request_api_version = 9;
    auto promise = std::make_shared<std::promise<Result<std::optional<Bytes>>>>();
    auto future = promise->get_future();
    asio::co_spawn(
        io_,
        [this, body, header, promise]() -> asio::awaitable<void> {
          RequestContext ctx{*header, *body, "test", blocking_, nullptr};
          promise->set_value(co_await produce_->Handle(ctx));
        },
        asio::detached);
    return future;
  }

  static ProduceResponse::PartitionProduceResponse Decoded(const Bytes& raw) {
    ProduceResponse resp;
    EXPECT_TRUE(DecodeExact(raw, 9, resp).ok());
    return resp.responses.at(0).partition_responses.at(0);
  }

  int64_t HighWatermark(int32_t partition) {
    return broker_->Offsets("t", partition).value().high_watermark;
  }

  std::unique_ptr<SqliteMetadataStore> metadata_;
  MemoryObjectStore memory_;
  FaultyObjectStore store_{memory_};
  std::unique_ptr<broker::Broker> broker_;
  BlockingExecutor blocking_{1};  // one worker: a waiting request must not hold it
  asio::io_context io_;
  std::thread runner_;
  std::unique_ptr<ProduceHandler> produce_;
};

TEST_F(ProduceHandlerTest, RequestsWaitForTheWalTogetherWithoutHoldingTheWorker) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  store_.SetDelay(ObjectOp::kPut, 1ns);
  store_.SetSleepFunction([released](std::chrono::nanoseconds) { released.wait(); });
  auto a = Start(-1, 0, Batch(2));
  auto b = Start(1, 1, Batch(3));
  auto c = Start(0, 2, Batch(4));  // acks=0: no response, written all the same
  EXPECT_EQ(a.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(b.wait_for(0ms), std::future_status::timeout);
  // The only worker is free while they wait.
  std::promise<int> ran;
  asio::post(blocking_.executor(), [&ran] { ran.set_value(1); });
  auto ran_future = ran.get_future();
  ASSERT_EQ(ran_future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(HighWatermark(0), 0);  // nothing visible before it is durable
  release.set_value();
  Result<std::optional<Bytes>> ra = a.get(), rb = b.get(), rc = c.get();
  ASSERT_TRUE(ra.ok() && ra->has_value());
  ASSERT_TRUE(rb.ok() && rb->has_value());
  ASSERT_TRUE(rc.ok());
  EXPECT_FALSE(rc->has_value());
  EXPECT_EQ(Decoded(**ra).error_code, 0);
  EXPECT_EQ(Decoded(**ra).base_offset, 0);
  EXPECT_EQ(Decoded(**rb).base_offset, 0);
  EXPECT_EQ(HighWatermark(0), 2);
  EXPECT_EQ(HighWatermark(1), 3);
  EXPECT_EQ(HighWatermark(2), 4);
  store_.Reset();
}

TEST_F(ProduceHandlerTest, FailedWalWriteIsARetriableStorageError) {
  store_.FailNext(ObjectOp::kPut, 1);
  Result<std::optional<Bytes>> r = Start(-1, 0, Batch(2)).get();
  ASSERT_TRUE(r.ok() && r->has_value());
  ProduceResponse::PartitionProduceResponse p = Decoded(**r);
  EXPECT_EQ(p.error_code, Code(KafkaError::kKafkaStorageError));
  EXPECT_EQ(p.base_offset, -1);
  EXPECT_EQ(HighWatermark(0), 0);
}

TEST_F(ProduceHandlerTest, IdempotentDuplicatesAndSequenceErrors) {
  Bytes first = Batch(2, 5, 0);
  Result<std::optional<Bytes>> r = Start(-1, 0, first).get();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(Decoded(**r).base_offset, 0);
  r = Start(-1, 0, first).get();  // the retry: original offsets, not written again
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(Decoded(**r).error_code, 0);
  EXPECT_EQ(Decoded(**r).base_offset, 0);
  EXPECT_EQ(HighWatermark(0), 2);
  r = Start(-1, 0, Batch(1, 5, 7)).get();  // sequences 2..6 missing
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(Decoded(**r).error_code, Code(KafkaError::kOutOfOrderSequenceNumber));
  EXPECT_EQ(HighWatermark(0), 2);
}

}  // namespace
}  // namespace sh::kafka
