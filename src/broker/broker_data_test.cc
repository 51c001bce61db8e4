// Produce, fetch, offsets and listeners.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "broker/broker_test_util.h"
#include "broker/partition_leader.h"
#include "broker/topic_settings.h"
#include "storage/segment_cache.h"

namespace sh::broker {
namespace {

using records::Compression;

// The produced batch as the log must hold it: only base offset and leader
// epoch (both outside the CRC) differ from what the producer sent.
Bytes AsStored(Bytes batch, int64_t base_offset, int32_t epoch) {
  records::SetBaseOffset(batch.data(), base_offset);
  records::SetPartitionLeaderEpoch(batch.data(), epoch);
  return batch;
}

TEST_F(BrokerTest, ProduceFetchRoundTripIsByteExactAcrossSegmentsAndTail) {
  OpenBroker();
  CreateTopic("t");  // segment.bytes 4096
  auto epoch = broker_->LeaderEpoch("t", 0);
  ASSERT_TRUE(epoch.ok()) << epoch.status().ToString();
  Bytes expected;
  int64_t next = 0;
  const Compression codecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                Compression::kLz4, Compression::kZstd};
  for (int i = 0; i < 40; ++i) {
    Bytes batch = MakeBatch(1 + i % 7, 1'600'000'000'000 + i * 100, 3, 150, codecs[i % 5],
                            "b" + std::to_string(i));
    auto r = broker_->Produce("t", 0, batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->base_offset, next);
    EXPECT_EQ(r->log_append_time_ms, -1);
    Bytes stored = AsStored(batch, next, *epoch);
    expected.insert(expected.end(), stored.begin(), stored.end());
    next += 1 + i % 7;
  }
  ASSERT_TRUE(broker_->SealFullTails().ok());
  // Some sealed by size, the rest still in the tail.
  std::vector<SegmentInfo> segments = Segments("t");
  ASSERT_GE(segments.size(), 2u);
  ASSERT_LT(segments.back().end_offset, next);

  auto offsets = broker_->Offsets("t", 0);
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->high_watermark, next);
  EXPECT_EQ(offsets->log_start_offset, 0);

  EXPECT_EQ(FetchAll(*broker_, "t", 0, 0), expected);
  EXPECT_EQ(FetchAll(*broker_, "t", 0, 0, 1), expected);  // one batch per fetch
  // One fetch starting in the last sealed segment runs on into the tail.
  auto spanning = broker_->Fetch("t", 0, segments.back().base_offset, 1 << 20);
  ASSERT_TRUE(spanning.ok());
  auto views = Batches(spanning->batches);
  ASSERT_FALSE(views.empty());
  EXPECT_EQ(views.front().base_offset(), segments.back().base_offset);
  EXPECT_EQ(views.back().last_offset(), next - 1);
  EXPECT_EQ(spanning->high_watermark, next);

  // After sealing everything the same bytes come from segments alone.
  ASSERT_TRUE(broker_->Stop().ok());
  EXPECT_EQ(Segments("t").back().end_offset, next);
  EXPECT_EQ(FetchAll(*broker_, "t", 0, 0), expected);
}

TEST_F(BrokerTest, RecordsKeepKeysHeadersAndTimestamps) {
  OpenBroker();
  CreateTopic("t");
  Bytes batch = MakeBatch(6, 1'650'000'000'123, -7);  // timestamps need not rise
  ASSERT_TRUE(broker_->Produce("t", 0, batch).ok());
  auto original = records::RecordBatchView::Parse(batch);
  ASSERT_TRUE(original.ok());
  auto want = original->DecodeRecords();
  ASSERT_TRUE(want.ok());
  for (bool sealed : {false, true}) {
    if (sealed) {
      ASSERT_TRUE(broker_->Stop().ok());
    }
    auto got = Decode(FetchAll(*broker_, "t", 0, 0));
    ASSERT_EQ(got.size(), 6u);
    EXPECT_EQ(got, *want);
    EXPECT_FALSE(got[0].key.has_value());
    ASSERT_TRUE(got[1].key.has_value());
    EXPECT_EQ(*got[1].key, "");
    ASSERT_EQ(got[3].headers.size(), 2u);
    EXPECT_FALSE(got[3].headers[0].value.has_value());
    EXPECT_EQ(got[3].headers[1].value, std::optional<std::string>(""));
  }
}

TEST_F(BrokerTest, FetchInsideABatchReturnsThatBatch) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(5, 1000)).ok());
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(5, 2000)).ok());
  for (bool sealed : {false, true}) {
    if (sealed) {
      ASSERT_TRUE(broker_->Stop().ok());
    }
    auto r = broker_->Fetch("t", 0, 7, 1 << 20);
    ASSERT_TRUE(r.ok());
    auto views = Batches(r->batches);
    ASSERT_EQ(views.size(), 1u);
    EXPECT_EQ(views[0].base_offset(), 5);
    EXPECT_EQ(views[0].last_offset(), 9);
  }
}

TEST_F(BrokerTest, FetchRangeChecks) {
  OpenBroker();
  CreateTopic("t");
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(3, 1000)).ok());
  auto at_hw = broker_->Fetch("t", 0, 3, 1 << 20);
  ASSERT_TRUE(at_hw.ok());
  EXPECT_TRUE(at_hw->batches.empty());
  EXPECT_EQ(at_hw->high_watermark, 3);
  EXPECT_EQ(broker_->Fetch("t", 0, 4, 1 << 20).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(broker_->Fetch("t", 0, -1, 1 << 20).status().code(), ErrorCode::kOutOfRange);
  // max_bytes smaller than one batch still returns that batch.
  auto tiny = broker_->Fetch("t", 0, 0, 1);
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(Batches(tiny->batches).size(), 1u);
}

TEST_F(BrokerTest, MaxBytesLimitsWholeBatches) {
  OpenBroker();
  CreateTopic("t");
  Bytes batch = MakeBatch(2, 1000);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(broker_->Produce("t", 0, batch).ok());
  auto r = broker_->Fetch("t", 0, 0, batch.size() * 2 + batch.size() / 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Batches(r->batches).size(), 2u);
}

TEST_F(BrokerTest, UnknownTopicOrPartitionIsNotFound) {
  OpenBroker();
  CreateTopic("t", 2);
  EXPECT_EQ(broker_->Produce("nope", 0, MakeBatch(1, 1)).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(broker_->Produce("t", 2, MakeBatch(1, 1)).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(broker_->Produce("t", -1, MakeBatch(1, 1)).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(broker_->Fetch("t", 5, 0, 100).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(broker_->Offsets("nope", 0).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(broker_->Produce("t", 1, MakeBatch(1, 1)).ok());
}

TEST_F(BrokerTest, MaxMessageBytesIsEnforcedPerBatch) {
  OpenBroker();
  CreateTopic("t", 1, {{"max.message.bytes", "300"}});
  Bytes small = MakeBatch(1, 1000, 1, 10);
  Bytes big = MakeBatch(1, 1000, 1, 400);
  auto r = broker_->Produce("t", 0, big);
  ASSERT_EQ(r.status().code(), ErrorCode::kTooLarge);
  EXPECT_EQ(r.status().subcode(), SubCode::kRecordTooLarge);
  EXPECT_NE(r.status().message().find("300"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(std::to_string(big.size())), std::string::npos);
  // A good batch followed by a big one: nothing is appended.
  Bytes both = small;
  both.insert(both.end(), big.begin(), big.end());
  EXPECT_EQ(broker_->Produce("t", 0, both).status().code(), ErrorCode::kTooLarge);
  EXPECT_EQ(broker_->Offsets("t", 0)->high_watermark, 0);
  EXPECT_TRUE(broker_->Produce("t", 0, small).ok());
}

TEST_F(BrokerTest, BadBatchesAreRejected) {
  OpenBroker();
  CreateTopic("t");
  Bytes batch = MakeBatch(2, 1000);
  Bytes corrupt = batch;
  corrupt.back() ^= 0x01;
  EXPECT_EQ(broker_->Produce("t", 0, corrupt).status().code(), ErrorCode::kCorruption);
  Bytes old_magic = batch;
  old_magic[records::kMagicOffset] = 1;
  auto r = broker_->Produce("t", 0, old_magic);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().subcode(), SubCode::kInvalidRecord);
  EXPECT_NE(r.status().message().find("magic 1"), std::string::npos);
  Bytes truncated(batch.begin(), batch.end() - 3);
  EXPECT_EQ(broker_->Produce("t", 0, truncated).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(broker_->Produce("t", 0, Bytes{}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(broker_->Offsets("t", 0)->high_watermark, 0);
}

TEST_F(BrokerTest, LogAppendTimeRewritesTimestampsWithAValidCrc) {
  OpenBroker();
  CreateTopic("t", 1, {{"message.timestamp.type", "LogAppendTime"}});
  clock_.AdvanceMs(12345);
  Bytes batch = MakeBatch(4, 1000, 5, 10, Compression::kLz4);
  auto r = broker_->Produce("t", 0, batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->log_append_time_ms, clock_.NowMs());
  for (bool sealed : {false, true}) {
    if (sealed) {
      ASSERT_TRUE(broker_->Stop().ok());
    }
    auto fetched = broker_->Fetch("t", 0, 0, 1 << 20);
    ASSERT_TRUE(fetched.ok());
    auto views = Batches(fetched->batches);  // Parse checks the CRC
    ASSERT_EQ(views.size(), 1u);
    EXPECT_EQ(views[0].timestamp_type(), records::TimestampType::kLogAppendTime);
    EXPECT_EQ(views[0].max_timestamp(), r->log_append_time_ms);
    auto recs = views[0].DecodeRecords();
    ASSERT_TRUE(recs.ok());
    for (const auto& rec : *recs) EXPECT_EQ(rec.timestamp, r->log_append_time_ms);
  }
}

TEST_F(BrokerTest, OffsetForTimestampMatchesABruteForceScan) {
  OpenBroker();
  CreateTopic("t");
  // Timestamps go up and down, across several segments and the tail.
  std::vector<std::pair<int64_t, int64_t>> all;  // (offset, timestamp)
  int64_t next = 0;
  for (int i = 0; i < 30; ++i) {
    int64_t ts0 = 10'000 + ((i * 37) % 23) * 100;
    int n = 1 + i % 5;
    ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(n, ts0, (i % 2) ? 7 : -3, 200)).ok());
    for (int j = 0; j < n; ++j) all.emplace_back(next + j, ts0 + j * ((i % 2) ? 7 : -3));
    next += n;
  }
  ASSERT_TRUE(broker_->SealFullTails().ok());
  ASSERT_GE(Segments("t").size(), 2u);
  ASSERT_LT(Segments("t").back().end_offset, next);
  for (int64_t ts = 9'900; ts <= 12'400; ts += 13) {
    std::optional<std::pair<int64_t, int64_t>> want;
    for (const auto& [off, t] : all) {
      if (t >= ts) {
        want = std::make_pair(off, t);
        break;
      }
    }
    auto got = broker_->OffsetForTimestamp("t", 0, ts);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want) << "timestamp " << ts;
  }
}

TEST_F(BrokerTest, OffsetOfMaxTimestampAcrossSegmentsTailAndLogStart) {
  OpenBroker();
  CreateTopic("t");
  auto none = broker_->OffsetOfMaxTimestamp("t", 0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  std::vector<std::pair<int64_t, int64_t>> all;  // (offset, timestamp)
  int64_t next = 0;
  for (int i = 0; i < 24; ++i) {
    int64_t ts0 = 5'000 + ((i * 41) % 19) * 50;
    int n = 1 + i % 4;
    ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(n, ts0, -2, 300)).ok());
    for (int j = 0; j < n; ++j) all.emplace_back(next + j, ts0 - 2 * j);
    next += n;
  }
  ASSERT_TRUE(broker_->SealFullTails().ok());
  ASSERT_GE(Segments("t").size(), 2u);
  ASSERT_LT(Segments("t").back().end_offset, next);
  auto expect_max_from = [&](int64_t start) {
    std::optional<std::pair<int64_t, int64_t>> want;
    for (const auto& [off, ts] : all) {
      if (off >= start && (!want || ts > want->second)) want = std::make_pair(off, ts);
    }
    auto got = broker_->OffsetOfMaxTimestamp("t", 0);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want) << "log start " << start;
  };
  expect_max_from(0);
  // Log starts inside batches and segments, past the maximum, into the tail.
  for (int64_t start : {1, 9, 17, 30, 45, 55}) {
    if (start >= next) break;
    ASSERT_TRUE(broker_->DeleteRecords("t", 0, start).ok());
    expect_max_from(start);
  }
}

TEST_F(BrokerTest, OffsetForTimestampRespectsLogStartAndLogAppendTime) {
  OpenBroker();
  CreateTopic("t", 1, {{"message.timestamp.type", "LogAppendTime"}});
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(4, 1)).ok());
  int64_t first = clock_.NowMs();
  clock_.AdvanceMs(100);
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(4, 1)).ok());
  int64_t second = clock_.NowMs();
  auto r = broker_->OffsetForTimestamp("t", 0, first + 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::make_optional(std::make_pair<int64_t, int64_t>(4, int64_t{second})));
  ASSERT_TRUE(broker_->DeleteRecords("t", 0, 2).ok());
  r = broker_->OffsetForTimestamp("t", 0, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::make_optional(std::make_pair<int64_t, int64_t>(2, int64_t{first})));
  r = broker_->OffsetForTimestamp("t", 0, second + 1);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(BrokerTest, DeleteRecordsRaisesLogStart) {
  OpenBroker();
  CreateTopic("t");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(5, i, 1, 300)).ok());
  ASSERT_TRUE(broker_->SealFullTails().ok());
  std::vector<SegmentInfo> before = Segments("t");
  ASSERT_GE(before.size(), 2u);
  int64_t cut = before[1].base_offset + 1;  // inside the second segment
  auto r = broker_->DeleteRecords("t", 0, cut);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, cut);
  EXPECT_EQ(broker_->Offsets("t", 0)->log_start_offset, cut);
  EXPECT_EQ(metadata_->GetPartition("t", 0)->log_start_offset, cut);
  EXPECT_EQ(broker_->Fetch("t", 0, cut - 1, 100).status().code(), ErrorCode::kOutOfRange);
  auto at = broker_->Fetch("t", 0, cut, 100);
  ASSERT_TRUE(at.ok());
  EXPECT_LE(Batches(at->batches).front().base_offset(), cut);
  // The first segment is wholly below: row and object gone; the second stays.
  EXPECT_EQ(Segments("t").front().base_offset, before[1].base_offset);
  EXPECT_FALSE(memory_.Get(before[0].object_key).ok());
  EXPECT_TRUE(memory_.Get(before[1].object_key).ok());
  // Lower is a no-op; beyond the HW is out of range; -1 means the HW.
  EXPECT_EQ(*broker_->DeleteRecords("t", 0, 1), cut);
  EXPECT_EQ(broker_->DeleteRecords("t", 0, 101).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(*broker_->DeleteRecords("t", 0, -1), 100);
  EXPECT_TRUE(broker_->Fetch("t", 0, 100, 100)->batches.empty());
}

TEST_F(BrokerTest, ListenersFireAfterAppendOutsideLocks) {
  OpenBroker();
  CreateTopic("t", 2);
  std::atomic<int> fired{0}, other{0};
  int64_t seen_hw = -1;
  uint64_t id = 0;
  id = broker_->AddDataListener("t", 0, [&] {
    ++fired;
    // The broker may be called back from a listener: no lock is held.
    seen_hw = broker_->Offsets("t", 0)->high_watermark;
  });
  broker_->AddDataListener("t", 1, [&] { ++other; });
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(3, 1)).ok());
  EXPECT_EQ(fired.load(), 1);
  EXPECT_EQ(seen_hw, 3);
  EXPECT_EQ(other.load(), 0);
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(1, 1)).ok());
  EXPECT_EQ(fired.load(), 2);
  EXPECT_FALSE(broker_->Produce("t", 0, Bytes{1, 2, 3}).ok());  // failed: no call
  EXPECT_EQ(fired.load(), 2);
  broker_->RemoveDataListener(id);
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(1, 1)).ok());
  EXPECT_EQ(fired.load(), 2);
}

TEST_F(BrokerTest, LeaderEpochIsTheLeaseEpoch) {
  OpenBroker();
  CreateTopic("t");
  auto epoch = broker_->LeaderEpoch("t", 0);
  ASSERT_TRUE(epoch.ok());
  auto lease = metadata_->GetLease("t", 0);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_EQ((*lease)->leader_epoch, *epoch);
  EXPECT_EQ((*lease)->leader_agent_id, options_.agent_id);
  ASSERT_TRUE(broker_->Produce("t", 0, MakeBatch(1, 1)).ok());
  auto fetched = broker_->Fetch("t", 0, 0, 100);
  EXPECT_EQ(Batches(fetched->batches)[0].partition_leader_epoch(), *epoch);
}

// Broker::Produce tries again when the leader it reached was retired
// meanwhile: it knows the case by the sub-code, whatever the message says.
TEST_F(BrokerTest, AHandedBackLeaderRefusesWithItsSubCode) {
  OpenBroker();
  CreateTopic("t");
  Result<TopicInfo> info = metadata_->GetTopic("t");
  ASSERT_TRUE(info.ok());
  Result<TopicSettings> settings = ResolveTopicSettings(options_, *info);
  ASSERT_TRUE(settings.ok());
  storage::SegmentCache cache(1 << 20);
  auto leader = PartitionLeader::Open("t", 0, options_, *settings, *metadata_, store_, cache,
                                      clock_, WalContext{});
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  ASSERT_TRUE((*leader)->Retire(1000).ok());
  Status refused;
  (*leader)->ProduceAsync(MakeBatch(1, 1), *settings,
                          [&](Result<ProduceResult> r) { refused = r.status(); });
  EXPECT_EQ(refused.code(), ErrorCode::kUnavailable) << refused.ToString();
  EXPECT_EQ(refused.subcode(), SubCode::kLeadershipHandedBack) << refused.ToString();
  // The broker itself opens a new leader and serves the produce.
  EXPECT_TRUE(broker_->Produce("t", 0, MakeBatch(1, 1)).ok());
}

}  // namespace
}  // namespace sh::broker
