// Tests of InitProducerIdHandler: requests encoded with the generated codec at
// several versions, answered by the handler with a fake producer id
// allocator, and the decoded responses checked.
#include "kafka/server/handlers/init_producer_id_handler.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/handler_test_util.h"

namespace sh::kafka {
namespace {

int16_t E(KafkaError e) { return Code(e); }

class InitProducerIdHandlerTest : public ::testing::Test {
 protected:
  // Hands out 5000, 5001, ... unless told to fail.
  InitProducerIdHandler handler_{[this]() -> Result<int64_t> {
    ++calls_;
    if (!fail_with_.ok()) return fail_with_;
    if (negative_) return int64_t{-3};
    return next_id_++;
  }};

  Result<std::optional<Bytes>> Run(const Bytes& body, int16_t version) {
    return testing::RunHandler(handler_, body, version, blocking_, "idempotent-test");
  }

  InitProducerIdResponse Call(const InitProducerIdRequest& req, int16_t version) {
    return testing::CallDecoded<InitProducerIdResponse>(handler_, req, version, blocking_,
                                                        "idempotent-test");
  }

  static InitProducerIdRequest Idempotent() {
    InitProducerIdRequest req;
    req.transactional_id = std::nullopt;
    req.transaction_timeout_ms = 60'000;
    return req;
  }

  BlockingExecutor blocking_{1};
  std::atomic<int> calls_{0};
  int64_t next_id_ = 5000;
  Status fail_with_;
  bool negative_ = false;
};

TEST_F(InitProducerIdHandlerTest, AdvertisesVersionsZeroToFour) {
  EXPECT_EQ(handler_.api_key(), ApiKey::kInitProducerId);
  EXPECT_EQ(handler_.min_version(), 0);
  EXPECT_EQ(handler_.max_version(), 4);
}

TEST_F(InitProducerIdHandlerTest, EachIdempotentProducerGetsANewIdAtEpochZero) {
  std::set<int64_t> ids;
  for (int16_t version : {0, 1, 2, 3, 4}) {
    SCOPED_TRACE("version " + std::to_string(version));
    InitProducerIdResponse resp = Call(Idempotent(), version);
    EXPECT_EQ(resp.error_code, E(KafkaError::kNone));
    EXPECT_EQ(resp.producer_epoch, 0);
    EXPECT_EQ(resp.throttle_time_ms, 0);
    EXPECT_GE(resp.producer_id, 5000);
    EXPECT_TRUE(ids.insert(resp.producer_id).second) << "id " << resp.producer_id << " reused";
  }
  EXPECT_EQ(calls_.load(), 5);
  EXPECT_EQ(*ids.rbegin(), next_id_ - 1);  // the allocator's ids, not made up
}

TEST_F(InitProducerIdHandlerTest, AProducerAskingForAnEpochBumpGetsAFreshId) {
  // KIP-360 fields (v3+) with a null transactional id: Kafka answers with a
  // new producer id at epoch 0, and so do we, also when epoch + 1 would overflow.
  for (int16_t version : {3, 4}) {
    for (int16_t epoch : {int16_t{0}, int16_t{7}, int16_t{32767}}) {
      SCOPED_TRACE("version " + std::to_string(version) + " epoch " + std::to_string(epoch));
      InitProducerIdRequest req = Idempotent();
      req.producer_id = 4000;
      req.producer_epoch = epoch;
      int before = calls_.load();
      InitProducerIdResponse resp = Call(req, version);
      EXPECT_EQ(resp.error_code, E(KafkaError::kNone));
      EXPECT_EQ(resp.producer_id, next_id_ - 1);
      EXPECT_NE(resp.producer_id, 4000);
      EXPECT_EQ(resp.producer_epoch, 0);
      EXPECT_EQ(calls_.load(), before + 1);
    }
  }
}

TEST_F(InitProducerIdHandlerTest, IdWithoutEpochOrEpochWithoutIdIsInvalid) {
  InitProducerIdRequest id_only = Idempotent();
  id_only.producer_id = 4000;
  InitProducerIdRequest epoch_only = Idempotent();
  epoch_only.producer_epoch = 3;
  for (const InitProducerIdRequest& req : {id_only, epoch_only}) {
    InitProducerIdResponse resp = Call(req, 4);
    EXPECT_EQ(resp.error_code, E(KafkaError::kInvalidRequest));
    EXPECT_EQ(resp.producer_id, -1);
    EXPECT_EQ(resp.producer_epoch, -1);
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(InitProducerIdHandlerTest, TransactionalProducersAreRefused) {
  for (int16_t version : {0, 2, 4}) {
    SCOPED_TRACE("version " + std::to_string(version));
    InitProducerIdRequest req = Idempotent();
    req.transactional_id = "payments-tx";
    InitProducerIdResponse resp = Call(req, version);
    EXPECT_EQ(resp.error_code, E(KafkaError::kTransactionalIdAuthorizationFailed));
    EXPECT_EQ(resp.producer_id, -1);
    EXPECT_EQ(resp.producer_epoch, -1);

    req.transactional_id = "";
    EXPECT_EQ(Call(req, version).error_code, E(KafkaError::kInvalidRequest));
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(InitProducerIdHandlerTest, AllocationFailuresAreRetriableOnlyWhenTheCauseIs) {
  fail_with_ = Status::Unavailable("metadata store sqlite:///x.db is busy");
  for (int16_t version : {0, 2, 4}) {
    InitProducerIdResponse resp = Call(Idempotent(), version);
    EXPECT_EQ(resp.error_code, E(KafkaError::kCoordinatorLoadInProgress));
    EXPECT_EQ(resp.producer_id, -1);
  }
  fail_with_ = Status::Internal("producer id counter row missing");
  EXPECT_EQ(Call(Idempotent(), 2).error_code, E(KafkaError::kUnknownServerError));
  fail_with_ = Status::OK();
  negative_ = true;
  EXPECT_EQ(Call(Idempotent(), 2).error_code, E(KafkaError::kUnknownServerError));
  negative_ = false;
  EXPECT_EQ(Call(Idempotent(), 2).error_code, E(KafkaError::kNone));
}

TEST_F(InitProducerIdHandlerTest, UndecodableRequestIsAnErrorNotAResponse) {
  Bytes truncated = {0x00, 0x05};  // a nullable string length with nothing after it
  Result<std::optional<Bytes>> out = Run(truncated, 2);
  EXPECT_FALSE(out.ok());
  Result<std::optional<Bytes>> empty = Run(Bytes{}, 0);
  EXPECT_FALSE(empty.ok());
  EXPECT_EQ(calls_.load(), 0);
}

}  // namespace
}  // namespace sh::kafka
