// Durable acknowledgement (docs/durability.md): the WAL on the produce path,
// failed / slow / torn WAL writes, restart recovery, idempotent producers.
#include <chrono>
#include <future>
#include <thread>

#include "broker/broker_test_util.h"
#include "wal/wal_format.h"

namespace sh::broker {
namespace {

using namespace std::chrono_literals;

// An idempotent producer's batch of n records starting at sequence seq.
Bytes IdempotentBatch(int64_t pid, int16_t epoch, int32_t seq, int n,
                      const std::string& tag = "i") {
  records::BatchOptions opts;
  opts.producer_id = pid;
  opts.producer_epoch = epoch;
  opts.base_sequence = seq;
  records::BatchBuilder b(opts);
  for (int i = 0; i < n; ++i) b.Add(std::nullopt, tag + std::to_string(seq + i), 1000 + i, {});
  Result<Bytes> built = b.Build();
  EXPECT_TRUE(built.ok());
  return built.ok() ? *built : Bytes{};
}

class DurabilityTest : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    options_.wal_flush_interval_ms = 1;
  }

  // The agent dies: nothing it does from now on reaches the store (no seal,
  // no WAL delete). Its successor opens on the same data.
  void CrashAndReopen() {
    store_.FailAlways(ObjectOp::kPut);
    store_.FailAlways(ObjectOp::kDelete);
    auto reopened = Broker::Open(options_, *metadata_, second_, clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    crashed_.push_back(std::move(broker_));
    broker_ = std::move(reopened).value();
  }

  // A graceful restart on whichever store view is still alive.
  void Restart() {
    ASSERT_TRUE(broker_->Stop().ok());
    broker_.reset();
    auto b = Broker::Open(options_, *metadata_, crashed_.empty() ? store_ : second_, clock_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    broker_ = std::move(b).value();
  }

  size_t WalObjects() {
    auto listed = memory_.List("wal/");
    EXPECT_TRUE(listed.ok());
    return listed.ok() ? listed->size() : 0;
  }

  int64_t HighWatermark(const std::string& topic, int32_t partition = 0) {
    auto o = broker_->Offsets(topic, partition);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? o->high_watermark : -1;
  }

  // Offsets of every record of the partition, in order.
  std::vector<int64_t> RecordOffsets(const std::string& topic, int32_t partition = 0) {
    std::vector<int64_t> out;
    for (const records::Record& r : Decode(FetchAll(*broker_, topic, partition, 0))) {
      out.push_back(r.offset);
    }
    return out;
  }

  void TearDown() override {
    broker_.reset();
    crashed_.clear();
  }

  FaultyObjectStore second_{memory_};  // the restarted agent's view of the store
  std::vector<std::unique_ptr<Broker>> crashed_;
};

TEST_F(DurabilityTest, RecordsAreInvisibleAndUnacknowledgedUntilTheWalObjectIsDurable) {
  OpenBroker();
  CreateTopic("t");
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  store_.SetDelay(ObjectOp::kPut, 1ns);
  store_.SetSleepFunction([released](std::chrono::nanoseconds) { released.wait(); });
  std::promise<Result<ProduceResult>> acked;
  broker_->ProduceAsync("t", 0, MakeBatch(3, 1),
                        [&](Result<ProduceResult> r) { acked.set_value(std::move(r)); });
  auto ack = acked.get_future();
  EXPECT_EQ(ack.wait_for(50ms), std::future_status::timeout);  // not durable: no answer
  EXPECT_EQ(HighWatermark("t"), 0);                            // and not visible
  release.set_value();
  Result<ProduceResult> r = ack.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->base_offset, 0);
  EXPECT_EQ(HighWatermark("t"), 3);
  store_.Reset();
  EXPECT_EQ(WalObjects(), 1u);
}

TEST_F(DurabilityTest, ManyProducesShareOneGroupCommit) {
  options_.wal_flush_interval_ms = 200;
  OpenBroker();
  CreateTopic("t", 4);
  store_.ResetCounters();
  std::vector<std::future<Result<ProduceResult>>> acks;
  for (int i = 0; i < 8; ++i) {
    auto p = std::make_shared<std::promise<Result<ProduceResult>>>();
    acks.push_back(p->get_future());
    broker_->ProduceAsync("t", i % 4, MakeBatch(2, i),
                          [p](Result<ProduceResult> r) { p->set_value(std::move(r)); });
  }
  for (auto& a : acks) ASSERT_TRUE(a.get().ok());
  EXPECT_EQ(store_.calls(ObjectOp::kPut), 1u);  // one WAL object for all eight
  for (int p = 0; p < 4; ++p) EXPECT_EQ(HighWatermark("t", p), 4);
}

TEST_F(DurabilityTest, FailedWalWriteFailsTheProduceAndLeavesNoGap) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(2, 1)).ok());
  store_.FailNext(ObjectOp::kPut, 1);
  Result<ProduceResult> failed = broker_->Produce("t", 0, MakeBatch(3, 2));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().retriable()) << failed.status().ToString();
  EXPECT_EQ(HighWatermark("t"), 2);  // the HW never passes the failed records
  // Until the failed entry is written again, the partition refuses writes.
  Result<ProduceResult> refused = broker_->Produce("t", 0, MakeBatch(1, 3));
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  ASSERT_TRUE(broker_->RunMaintenance().ok());  // resumes the WAL, re-appends
  Result<ProduceResult> next = broker_->Produce("t", 0, MakeBatch(4, 4));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  // The failed batch kept its offsets (2..4): nothing was given out twice.
  EXPECT_EQ(next->base_offset, 5);
  std::vector<int64_t> offsets = RecordOffsets("t");
  ASSERT_EQ(offsets.size(), 9u);
  for (size_t i = 0; i < offsets.size(); ++i) EXPECT_EQ(offsets[i], static_cast<int64_t>(i));
  // And a restart finds the same log.
  CrashAndReopen();
  EXPECT_EQ(RecordOffsets("t").size(), 9u);
}

TEST_F(DurabilityTest, TimedOutWalWriteThatLandsLaterIsSafeAfterRestart) {
  options_.wal_put_timeout_ms = 30;
  OpenBroker();
  CreateTopic("t");
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  store_.SetDelay(ObjectOp::kPut, 1ns);
  store_.SetSleepFunction([released](std::chrono::nanoseconds) { released.wait(); });
  Result<ProduceResult> slow = broker_->Produce("t", 0, MakeBatch(3, 1, 1, 10, {}, "slow"));
  EXPECT_EQ(slow.status().code(), ErrorCode::kTimeout) << slow.status().ToString();
  EXPECT_EQ(HighWatermark("t"), 0);
  store_.Reset();
  release.set_value();  // the slow Put lands after all
  ASSERT_TRUE(broker_->RunMaintenance().ok());
  Result<ProduceResult> next = broker_->Produce("t", 0, MakeBatch(2, 5));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->base_offset, 3);
  // Wait for the late Put to land (it runs on the writer's abandoned thread).
  const std::string late = wal::WalObjectKey(options_.agent_id, 0);
  for (int i = 0; i < 500 && !memory_.Size(late).ok(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(memory_.Size(late).ok());
  Bytes before = FetchAll(*broker_, "t", 0, 0);
  CrashAndReopen();  // both copies of the slow batch are in the WAL: they agree
  EXPECT_EQ(FetchAll(*broker_, "t", 0, 0), before);
  EXPECT_EQ(HighWatermark("t"), 5);
}

TEST_F(DurabilityTest, RestartRecoversEveryAcknowledgedRecordAtItsOffset) {
  OpenBroker();
  CreateTopic("t", 3);  // segment.bytes 4096: some batches get sealed, some not
  std::map<int32_t, std::vector<std::pair<int64_t, Bytes>>> acked;
  for (int i = 0; i < 60; ++i) {
    int32_t p = i % 3;
    Bytes batch = MakeBatch(1 + i % 4, i, 1, 100);
    Result<ProduceResult> r = broker_->Produce("t", p, batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    acked[p].push_back({r->base_offset, batch});
  }
  ASSERT_TRUE(broker_->SealFullTails().ok());
  std::map<int32_t, Bytes> before;
  for (int32_t p = 0; p < 3; ++p) before[p] = FetchAll(*broker_, "t", p, 0);
  ASSERT_FALSE(Segments("t", 0).empty());
  CrashAndReopen();
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(FetchAll(*broker_, "t", p, 0), before[p]) << "partition " << p;
    std::vector<records::RecordBatchView> batches = Batches(before[p]);
    ASSERT_EQ(batches.size(), acked[p].size());
    for (size_t i = 0; i < batches.size(); ++i) {
      EXPECT_EQ(batches[i].base_offset(), acked[p][i].first);
    }
    // The log goes on at the next unused offset.
    int64_t hw = HighWatermark("t", p);
    Result<ProduceResult> more = broker_->Produce("t", p, MakeBatch(1, 99));
    ASSERT_TRUE(more.ok());
    EXPECT_EQ(more->base_offset, hw);
  }
}

TEST_F(DurabilityTest, SealedWalObjectsAreDeletedAndAGracefulRestartReplaysNothing) {
  options_.flush_ms = 0;  // every maintenance pass seals
  OpenBroker();
  CreateTopic("t", 2, {{"segment.bytes", "1048576"}});
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(broker_->Produce("t", i % 2, MakeBatch(3, i)).ok());
    ASSERT_TRUE(broker_->RunMaintenance().ok());
    EXPECT_LE(WalObjects(), 1u) << "round " << round;  // only the newest object stays
  }
  ASSERT_TRUE(broker_->Stop().ok());
  broker_.reset();
  OpenBroker();
  EXPECT_EQ(HighWatermark("t", 0), 180);  // 20 rounds of 3 batches of 3
  EXPECT_EQ(HighWatermark("t", 1), 120);
  EXPECT_EQ(WalObjects(), 1u);
}

TEST_F(DurabilityTest, TornWalObjectReportedAsWrittenIsCaughtAtRestart) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(2, 1)).ok());
  store_.TruncateNextPuts(1, 60, TornPut::kReportSuccess);  // the store lies
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(2, 2)).ok());
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(2, 3)).ok());
  // A crash now: the torn object is not the last one, so it cannot be a
  // write that was never acknowledged; the agent refuses to start, naming it.
  store_.FailAlways(ObjectOp::kPut);
  store_.FailAlways(ObjectOp::kDelete);
  auto reopened = Broker::Open(options_, *metadata_, second_, clock_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(reopened.status().message().find(wal::WalObjectKey(options_.agent_id, 1)),
            std::string::npos)
      << reopened.status().ToString();
  // The memory tail still holds every acknowledged record: a graceful stop
  // seals them and deletes the WAL objects they cover, torn one included.
  store_.Reset();
  ASSERT_TRUE(broker_->Stop().ok());
  broker_.reset();
  OpenBroker();
  EXPECT_EQ(RecordOffsets("t"), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
}

TEST_F(DurabilityTest, TornFinalWalObjectIsDiscarded) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(2, 1)).ok());
  // The last write was torn and reported failed (the process died in it).
  store_.TruncateNextPuts(1, 60, TornPut::kReportFailure);
  store_.FailAlways(ObjectOp::kDelete);  // so the torn object stays
  EXPECT_FALSE(broker_->Produce("t", 0, MakeBatch(2, 2)).ok());
  auto wal = second_.List("wal/");
  ASSERT_TRUE(wal.ok() && !wal->empty());
  const std::string torn = wal->back().key;
  CrashAndReopen();
  EXPECT_EQ(RecordOffsets("t"), (std::vector<int64_t>{0, 1}));
  // Deleted, so that it is not a torn object in the middle of the WAL after
  // the next crash (a store whose writes are not atomic can leave one).
  EXPECT_EQ(second_.Size(torn).status().code(), ErrorCode::kNotFound) << torn;
  Result<ProduceResult> next = broker_->Produce("t", 0, MakeBatch(1, 3));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->base_offset, 2);
}

TEST_F(DurabilityTest, IdempotentDuplicatesAreNotWrittenTwiceAcrossRestarts) {
  OpenBroker();
  CreateTopic("t");
  Bytes first = IdempotentBatch(7, 0, 0, 3);
  Bytes second = IdempotentBatch(7, 0, 3, 2);
  ASSERT_EQ(broker_->Produce("t", 0, first)->base_offset, 0);
  ASSERT_EQ(broker_->Produce("t", 0, second)->base_offset, 3);
  Result<ProduceResult> dup = broker_->Produce("t", 0, second);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(dup->base_offset, 3);
  EXPECT_EQ(HighWatermark("t"), 5);
  // After a crash the state comes back from the WAL.
  CrashAndReopen();
  dup = broker_->Produce("t", 0, second);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(dup->base_offset, 3);
  EXPECT_EQ(HighWatermark("t"), 5);
  // After a graceful stop (sealed, WAL deleted) from the saved snapshot.
  Restart();
  dup = broker_->Produce("t", 0, second);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(dup->base_offset, 3);
  Result<ProduceResult> next = broker_->Produce("t", 0, IdempotentBatch(7, 0, 5, 1));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->verdict, SequenceVerdict::kAccept);
  EXPECT_EQ(next->base_offset, 5);
  EXPECT_EQ(RecordOffsets("t").size(), 6u);
}

TEST_F(DurabilityTest, SequenceGapsAndStaleEpochsAreRefusedWithoutWriting) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, IdempotentBatch(9, 1, 0, 2)).ok());
  Result<ProduceResult> gap = broker_->Produce("t", 0, IdempotentBatch(9, 1, 5, 1));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(gap.status().subcode(), SubCode::kOutOfOrderSequence) << gap.status().ToString();
  Result<ProduceResult> stale = broker_->Produce("t", 0, IdempotentBatch(9, 0, 2, 1));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().subcode(), SubCode::kStaleProducerEpoch) << stale.status().ToString();
  EXPECT_EQ(HighWatermark("t"), 2);
}

TEST_F(DurabilityTest, FailedWalWriteOfAnIdempotentBatchThenItsRetryIsWrittenOnce) {
  OpenBroker();
  CreateTopic("t");
  Bytes batch = IdempotentBatch(11, 0, 0, 4);
  store_.FailNext(ObjectOp::kPut, 1);
  EXPECT_FALSE(broker_->Produce("t", 0, batch).ok());
  ASSERT_TRUE(broker_->RunMaintenance().ok());  // the failed entry is written again
  // The client's retry: the same batch. It is answered from the original.
  Result<ProduceResult> retry = broker_->Produce("t", 0, batch);
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(retry->base_offset, 0);
  EXPECT_EQ(RecordOffsets("t"), (std::vector<int64_t>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace sh::broker
