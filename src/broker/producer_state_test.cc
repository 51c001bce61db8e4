// Tests of ProducerStateTable against Kafka's idempotence rules
// (ProducerStateManager / ProducerAppendInfo; docs/idempotent-producers.md).
#include "broker/producer_state.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "records/record_batch.h"

namespace sh::broker {
namespace {

using V = SequenceVerdict;

ProducerBatchHeader H(int64_t pid, int16_t epoch, int32_t seq, int32_t count) {
  ProducerBatchHeader h;
  h.producer_id = pid;
  h.producer_epoch = epoch;
  h.base_sequence = seq;
  h.record_count = count;
  return h;
}

// One batch as written: its header and the offsets it got.
struct Written {
  ProducerBatchHeader header;
  int64_t first_offset;
  int64_t last_offset;
  int64_t time_ms;
};

// A partition log in miniature: assigns offsets as a leader would and keeps
// the batches so that they can be replayed.
class ProducerStateTest : public ::testing::Test {
 protected:
  // Checks (expecting kAccept) and commits h at the next offsets.
  Written Write(ProducerStateTable& table, const ProducerBatchHeader& h) {
    SequenceCheck c = table.Check(h);
    EXPECT_EQ(c.verdict, V::kAccept) << SequenceVerdictName(c.verdict) << ": " << c.message
                                     << " (seq " << h.base_sequence << ")";
    Written w{h, next_offset_, next_offset_ + h.record_count - 1, now_ms_};
    table.Commit(h, w.first_offset, w.last_offset, now_ms_);
    next_offset_ += h.record_count;
    now_ms_ += 10;
    log_.push_back(w);
    return w;
  }

  // Another producer's non-idempotent batch takes offsets too.
  void WritePlain(int32_t count) { next_offset_ += count; }

  static void ExpectDuplicateOf(const ProducerStateTable& table, const Written& w) {
    SequenceCheck c = table.Check(w.header);
    EXPECT_EQ(c.verdict, V::kDuplicate) << SequenceVerdictName(c.verdict) << ": " << c.message;
    EXPECT_EQ(c.first_offset, w.first_offset);
    EXPECT_EQ(c.last_offset, w.last_offset);
  }

  // The verdicts of a fixed set of probes: two tables that answer them alike
  // behave alike for the producers probed.
  static std::vector<std::pair<V, int64_t>> Probe(const ProducerStateTable& table,
                                                  const std::vector<Written>& log) {
    std::vector<std::pair<V, int64_t>> out;
    for (const Written& w : log) {
      for (const ProducerBatchHeader& h :
           {w.header,
            H(w.header.producer_id, w.header.producer_epoch, w.header.base_sequence + 1,
              w.header.record_count),
            H(w.header.producer_id, w.header.producer_epoch, w.header.last_sequence() + 1, 1),
            H(w.header.producer_id, static_cast<int16_t>(w.header.producer_epoch + 1), 0, 1)}) {
        SequenceCheck c = table.Check(h);
        out.emplace_back(c.verdict, c.first_offset);
      }
    }
    return out;
  }

  int64_t next_offset_ = 100;
  int64_t now_ms_ = 1'000'000;
  std::vector<Written> log_;
};

TEST_F(ProducerStateTest, NonIdempotentBatchesAreNotTracked) {
  ProducerStateTable table;
  EXPECT_EQ(table.Check(H(-1, -1, -1, 3)).verdict, V::kNotIdempotent);
  // Kafka's hasProducerId(): any negative id is "no producer id".
  EXPECT_EQ(table.Check(H(-2, 0, 0, 1)).verdict, V::kNotIdempotent);
  table.Commit(H(-2, 0, 0, 1), 0, 0, 0);
  table.Commit(H(-1, -1, -1, 3), 0, 2, 0);
  table.Replay(H(-1, -1, -1, 3), 0, 2, 0);
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(ProducerStateTest, MalformedProducerFieldsAreInvalid) {
  ProducerStateTable table;
  EXPECT_EQ(table.Check(H(5, -1, 0, 1)).verdict, V::kInvalid);
  EXPECT_EQ(table.Check(H(5, 0, -1, 1)).verdict, V::kInvalid);
  EXPECT_EQ(table.Check(H(5, 0, 0, 0)).verdict, V::kInvalid);
  SequenceCheck c = table.Check(H(5, 0, -7, 1));
  EXPECT_NE(c.message.find("producer id 5"), std::string::npos) << c.message;
  // Committing or replaying them anyway changes nothing and does not crash.
  table.Commit(H(5, 0, -1, 1), 0, 0, 0);
  table.Replay(H(5, -3, 0, 1), 0, 0, 0);
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(ProducerStateTest, UnknownProducerIsAcceptedAtAnySequence) {
  // Kafka 2.5+: no UNKNOWN_PRODUCER_ID; a producer without state starts anywhere.
  ProducerStateTable table;
  EXPECT_EQ(table.Check(H(7, 0, 0, 1)).verdict, V::kAccept);
  EXPECT_EQ(table.Check(H(7, 0, 12345, 4)).verdict, V::kAccept);
  EXPECT_EQ(table.Check(H(7, 9, 42, 1)).verdict, V::kAccept);
  Write(table, H(7, 3, 500, 5));
  EXPECT_EQ(table.Check(H(7, 3, 505, 1)).verdict, V::kAccept);
  EXPECT_EQ(table.Check(H(7, 3, 0, 1)).verdict, V::kOutOfOrder);
}

TEST_F(ProducerStateTest, SequencesMustFollowWithoutGapOrOverlap) {
  ProducerStateTable table;
  Write(table, H(7, 0, 0, 5));
  Write(table, H(7, 0, 5, 3));
  EXPECT_EQ(table.Check(H(7, 0, 8, 1)).verdict, V::kAccept);
  SequenceCheck gap = table.Check(H(7, 0, 9, 1));
  EXPECT_EQ(gap.verdict, V::kOutOfOrder);
  EXPECT_NE(gap.message.find("does not follow 7"), std::string::npos) << gap.message;
  // Overlapping a written batch without being a retry of it.
  EXPECT_EQ(table.Check(H(7, 0, 3, 5)).verdict, V::kOutOfOrder);
  EXPECT_EQ(table.Check(H(7, 0, 5, 2)).verdict, V::kOutOfOrder);
  EXPECT_EQ(table.Check(H(7, 0, 7, 2)).verdict, V::kOutOfOrder);
}

TEST_F(ProducerStateTest, ProducersAreIndependent) {
  ProducerStateTable table;
  Write(table, H(1, 0, 0, 10));
  WritePlain(4);
  Write(table, H(2, 0, 0, 3));
  Write(table, H(1, 0, 10, 1));
  EXPECT_EQ(table.Check(H(2, 0, 3, 1)).verdict, V::kAccept);
  EXPECT_EQ(table.Check(H(2, 0, 11, 1)).verdict, V::kOutOfOrder);
  EXPECT_EQ(table.Check(H(1, 0, 11, 1)).verdict, V::kAccept);
  EXPECT_EQ(table.size(), 2u);
}

TEST_F(ProducerStateTest, RetryOfEachOfTheLastFiveBatchesIsADuplicate) {
  ProducerStateTable table;
  std::vector<Written> written;
  int32_t seq = 0;
  for (int i = 0; i < 7; ++i) {
    int32_t count = i + 1;  // different sizes, so offsets and sequences differ
    written.push_back(Write(table, H(7, 2, seq, count)));
    seq += count;
    WritePlain(2);  // offsets of this producer's batches are not contiguous
  }
  std::vector<ProducerEntry> before = table.Entries();
  for (size_t i = written.size() - kRetainedBatches; i < written.size(); ++i) {
    SCOPED_TRACE("batch " + std::to_string(i));
    ExpectDuplicateOf(table, written[i]);
  }
  // Older than the last five: Kafka answers OUT_OF_ORDER_SEQUENCE_NUMBER.
  EXPECT_EQ(table.Check(written[0].header).verdict, V::kOutOfOrder);
  EXPECT_EQ(table.Check(written[1].header).verdict, V::kOutOfOrder);
  // Checking a duplicate changes nothing.
  EXPECT_EQ(table.Entries(), before);
  EXPECT_EQ(table.Check(H(7, 2, seq, 1)).verdict, V::kAccept);
}

TEST_F(ProducerStateTest, EpochBumpRestartsTheSequenceAtZero) {
  ProducerStateTable table;
  Written old_batch = Write(table, H(7, 0, 0, 5));
  Write(table, H(7, 0, 5, 5));
  // A new epoch must start at 0 ...
  SequenceCheck not_zero = table.Check(H(7, 1, 10, 1));
  EXPECT_EQ(not_zero.verdict, V::kOutOfOrder);
  EXPECT_NE(not_zero.message.find("new epoch 1"), std::string::npos) << not_zero.message;
  // ... and may skip epochs (the Java client bumps its epoch on its own).
  EXPECT_EQ(table.Check(H(7, 3, 0, 1)).verdict, V::kAccept);
  Written bumped = Write(table, H(7, 1, 0, 2));
  EXPECT_EQ(table.Find(7)->producer_epoch, 1);
  EXPECT_EQ(table.Find(7)->batches.size(), 1u);
  EXPECT_EQ(table.Check(H(7, 1, 2, 1)).verdict, V::kAccept);
  ExpectDuplicateOf(table, bumped);
  // The old epoch is fenced, retries of its batches included.
  SequenceCheck stale = table.Check(H(7, 0, 10, 1));
  EXPECT_EQ(stale.verdict, V::kStaleEpoch);
  EXPECT_NE(stale.message.find("older than the current epoch 1"), std::string::npos);
  EXPECT_EQ(table.Check(old_batch.header).verdict, V::kStaleEpoch);
}

TEST_F(ProducerStateTest, LastSequenceWrapsAtInt32Max) {
  EXPECT_EQ(H(1, 0, 10, 5).last_sequence(), 14);
  EXPECT_EQ(H(1, 0, INT32_MAX, 1).last_sequence(), INT32_MAX);
  EXPECT_EQ(H(1, 0, INT32_MAX - 1, 3).last_sequence(), 0);
  EXPECT_EQ(H(1, 0, INT32_MAX, 4).last_sequence(), 2);
  EXPECT_EQ(H(1, 0, INT32_MAX, INT32_MAX).last_sequence(), INT32_MAX - 2);
}

TEST_F(ProducerStateTest, SequenceWrapsFromInt32MaxToZero) {
  ProducerStateTable table;
  Write(table, H(7, 0, INT32_MAX - 4, 5));  // ends at INT32_MAX
  EXPECT_EQ(table.Check(H(7, 0, INT32_MAX, 1)).verdict, V::kOutOfOrder);
  Written wrapped = Write(table, H(7, 0, 0, 3));
  ExpectDuplicateOf(table, wrapped);
  EXPECT_EQ(table.Check(H(7, 0, 3, 1)).verdict, V::kAccept);

  // A batch that itself crosses the wrap.
  ProducerStateTable spanning;
  Written span = Write(spanning, H(9, 0, INT32_MAX - 1, 3));  // sequences MAX-1, MAX, 0
  EXPECT_EQ(spanning.Check(H(9, 0, 1, 1)).verdict, V::kAccept);
  EXPECT_EQ(spanning.Check(H(9, 0, 0, 1)).verdict, V::kOutOfOrder);
  ExpectDuplicateOf(spanning, span);
}

TEST_F(ProducerStateTest, IdleProducersExpire) {
  EXPECT_EQ(ProducerStateTable().producer_id_expiration_ms(), 86'400'000);
  ProducerStateTable table(1000);
  now_ms_ = 5000;
  Write(table, H(1, 0, 0, 5));  // at 5000
  now_ms_ = 5500;
  Write(table, H(2, 0, 0, 5));  // at 5500
  EXPECT_EQ(table.ExpireIdle(5999), 0u);
  EXPECT_EQ(table.ExpireIdle(6000), 1u);  // idle exactly 1000 ms: gone
  EXPECT_EQ(table.Find(1), nullptr);
  ASSERT_NE(table.Find(2), nullptr);
  // Expired: accepted at any sequence, as a producer never seen.
  EXPECT_EQ(table.Check(H(1, 0, 77, 1)).verdict, V::kAccept);
  // A write refreshes the producer.
  now_ms_ = 6400;
  Write(table, H(2, 0, 5, 1));
  EXPECT_EQ(table.ExpireIdle(6600), 0u);
  EXPECT_EQ(table.ExpireIdle(7400), 1u);
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(ProducerStateTest, TruncateForgetsBatchesWhoseOffsetsAreGivenBack) {
  ProducerStateTable table;
  Write(table, H(1, 0, 0, 5));
  Written kept = Write(table, H(2, 0, 0, 2));
  Written lost = Write(table, H(1, 0, 5, 5));
  Write(table, H(3, 0, 40, 1));
  table.TruncateFrom(lost.first_offset);
  // The lost batch may be sent again and is accepted, not a duplicate.
  EXPECT_EQ(table.Check(lost.header).verdict, V::kAccept);
  ExpectDuplicateOf(table, kept);
  // Producer 3's only batch is gone: it is forgotten.
  EXPECT_EQ(table.Find(3), nullptr);
  EXPECT_EQ(table.size(), 2u);
}

TEST_F(ProducerStateTest, FullSnapshotRestoresTheSameTable) {
  ProducerStateTable table;
  for (int i = 0; i < 8; ++i) Write(table, H(1, 0, i * 3, 3));
  Write(table, H(2, 4, 9, 2));
  Write(table, H(1, 1, 0, 1));
  ProducerStateTable restored;
  ASSERT_TRUE(restored.RestoreEntries(table.Entries()).ok());
  EXPECT_EQ(restored.Entries(), table.Entries());
  EXPECT_EQ(Probe(restored, log_), Probe(table, log_));
}

TEST_F(ProducerStateTest, ReplayRebuildsTheTableCommitsBuilt) {
  ProducerStateTable table;
  int32_t seq1 = 0;
  for (int i = 0; i < 9; ++i) {
    Write(table, H(1, 0, seq1, i % 3 + 1));
    seq1 += i % 3 + 1;
    if (i == 4) Write(table, H(2, 0, 100, 5));
  }
  Write(table, H(2, 1, 0, 2));  // epoch bump
  Write(table, H(3, 0, INT32_MAX - 1, 3));
  Write(table, H(3, 0, 1, 3));

  ProducerStateTable replayed;
  for (const Written& w : log_) {
    replayed.Replay(w.header, w.first_offset, w.last_offset, w.time_ms);
  }
  EXPECT_EQ(replayed.Entries(), table.Entries());

  // A snapshot taken part-way, then a replay that starts before it (the WAL
  // tail overlaps what the snapshot covers): the same table again.
  ProducerStateTable partial;
  for (size_t i = 0; i < 8; ++i) {
    partial.Replay(log_[i].header, log_[i].first_offset, log_[i].last_offset, log_[i].time_ms);
  }
  ProducerStateTable recovered;
  ASSERT_TRUE(recovered.RestoreEntries(partial.Entries()).ok());
  for (size_t i = 5; i < log_.size(); ++i) {
    recovered.Replay(log_[i].header, log_[i].first_offset, log_[i].last_offset, log_[i].time_ms);
  }
  EXPECT_EQ(recovered.Entries(), table.Entries());
  EXPECT_EQ(Probe(recovered, log_), Probe(table, log_));

  // The same from a snapshot of the full table cut at a seal point.
  for (size_t seal = 0; seal <= log_.size(); ++seal) {
    SCOPED_TRACE("sealed up to batch " + std::to_string(seal));
    int64_t cut = seal < log_.size() ? log_[seal].first_offset : next_offset_;
    ProducerStateTable restarted;
    ASSERT_TRUE(restarted.RestoreEntries(table.Entries(cut)).ok());
    for (size_t i = seal; i < log_.size(); ++i) {
      restarted.Replay(log_[i].header, log_[i].first_offset, log_[i].last_offset, log_[i].time_ms);
    }
    EXPECT_EQ(Probe(restarted, log_), Probe(table, log_));
  }
}

TEST_F(ProducerStateTest, SnapshotBelowAnOffsetLeavesOutLaterBatches) {
  ProducerStateTable table;
  Written durable = Write(table, H(1, 0, 0, 3));
  Write(table, H(2, 0, 0, 1));
  Written pending = Write(table, H(1, 0, 3, 3));
  std::vector<ProducerEntry> cut = table.Entries(pending.first_offset);
  ASSERT_EQ(cut.size(), 2u);
  ASSERT_EQ(cut[0].batches.size(), 1u);
  EXPECT_EQ(cut[0].batches[0].last_offset, durable.last_offset);
  EXPECT_EQ(table.Entries(durable.last_offset).size(), 0u);
  EXPECT_EQ(table.Find(1)->batches.size(), 2u);  // the table itself is unchanged

  std::vector<ProducerState> states = table.Snapshot("t", 0, pending.first_offset);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].last_sequence, 2);
  EXPECT_EQ(states[0].last_offset, durable.last_offset);
  ProducerStateTable restored;
  ASSERT_TRUE(restored.Restore(states).ok());
  // The batch that was not durable is a new write after the restart.
  EXPECT_EQ(restored.Check(pending.header).verdict, V::kAccept);
}

TEST_F(ProducerStateTest, MetadataSnapshotKeepsTheLastBatch) {
  ProducerStateTable table;
  Write(table, H(1, 2, 0, 4));
  Written last = Write(table, H(1, 2, 4, 3));
  now_ms_ = 2'000'000;
  Written other = Write(table, H(5, 0, 10, 1));

  std::vector<ProducerState> states = table.Snapshot("orders", 3);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].topic, "orders");
  EXPECT_EQ(states[0].partition, 3);
  EXPECT_EQ(states[0].producer_id, 1);
  EXPECT_EQ(states[0].producer_epoch, 2);
  EXPECT_EQ(states[0].last_sequence, 6);
  EXPECT_EQ(states[0].last_offset, last.last_offset);
  EXPECT_EQ(states[1].producer_id, 5);
  EXPECT_EQ(states[1].updated_at_ms, 2'000'000);

  ProducerStateTable restored;
  ASSERT_TRUE(restored.Restore(states).ok());
  // The last batch is still recognised, with its original offsets.
  ExpectDuplicateOf(restored, last);
  ExpectDuplicateOf(restored, other);
  EXPECT_EQ(restored.Check(H(1, 2, 7, 1)).verdict, V::kAccept);
  EXPECT_EQ(restored.Check(H(1, 2, 8, 1)).verdict, V::kOutOfOrder);
  EXPECT_EQ(restored.Check(H(1, 1, 7, 1)).verdict, V::kStaleEpoch);
  // The idle time survives the snapshot: producer 1 wrote last at last.time_ms.
  EXPECT_EQ(restored.ExpireIdle(last.time_ms + kDefaultProducerIdExpirationMs), 1u);
  EXPECT_EQ(restored.Find(1), nullptr);
  EXPECT_NE(restored.Find(5), nullptr);

  // Replay of what followed the snapshot brings back those batches in full.
  ProducerStateTable recovered;
  ASSERT_TRUE(recovered.Restore(states).ok());
  Written after = Write(table, H(1, 2, 7, 2));
  recovered.Replay(after.header, after.first_offset, after.last_offset, after.time_ms);
  ExpectDuplicateOf(recovered, after);
  ExpectDuplicateOf(recovered, last);
  EXPECT_EQ(recovered.Check(H(1, 2, 9, 1)).verdict, V::kAccept);
}

TEST_F(ProducerStateTest, CorruptSnapshotsAreRejectedAndChangeNothing) {
  ProducerStateTable table;
  Write(table, H(1, 0, 0, 1));
  const std::vector<ProducerEntry> before = table.Entries();

  ProducerEntry good{9, 0, 0, {{0, 0, 10, 10}}};
  std::vector<std::vector<ProducerEntry>> bad;
  bad.push_back({good, ProducerEntry{-5, 0, 0, {}}});
  bad.push_back({ProducerEntry{9, -1, 0, {}}});
  bad.push_back({good, good});
  ProducerEntry too_many{9, 0, 0, {}};
  for (int i = 0; i < 6; ++i) too_many.batches.push_back({i, i, 10 + i, 10 + i});
  bad.push_back({too_many});
  bad.push_back({ProducerEntry{9, 0, 0, {{0, 0, 20, 20}, {1, 1, 15, 15}}}});  // offsets go back
  bad.push_back({ProducerEntry{9, 0, 0, {{0, 3, 20, 10}}}});  // first offset after last
  bad.push_back({ProducerEntry{9, 0, 0, {{0, -4, 20, 20}}}});
  for (size_t i = 0; i < bad.size(); ++i) {
    Status st = table.RestoreEntries(bad[i]);
    EXPECT_EQ(st.code(), ErrorCode::kCorruption) << i;
    EXPECT_NE(st.message().find("producer"), std::string::npos) << st.message();
  }
  // Any time stamps: expiry must not overflow on them.
  ProducerStateTable odd_times(1000);
  ASSERT_TRUE(
      odd_times
          .RestoreEntries({ProducerEntry{1, 0, INT64_MIN, {}}, ProducerEntry{2, 0, INT64_MAX, {}}})
          .ok());
  EXPECT_EQ(odd_times.ExpireIdle(5000), 1u);
  EXPECT_NE(odd_times.Find(2), nullptr);

  ProducerState negative;
  negative.producer_id = 3;
  negative.producer_epoch = -2;
  EXPECT_EQ(table.Restore({negative}).code(), ErrorCode::kCorruption);
  EXPECT_EQ(table.Entries(), before);
}

TEST_F(ProducerStateTest, HeaderIsReadFromABatch) {
  records::BatchOptions options;
  options.producer_id = 4242;
  options.producer_epoch = 3;
  options.base_sequence = 17;
  records::BatchBuilder builder(options);
  for (int i = 0; i < 4; ++i) builder.Add("k", "v", 1000 + i);
  Result<Bytes> bytes = builder.Build();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  Result<records::RecordBatchView> view = records::RecordBatchView::Parse(ByteView(*bytes));
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ProducerBatchHeader h = ProducerBatchHeader::Of(*view);
  EXPECT_EQ(h.producer_id, 4242);
  EXPECT_EQ(h.producer_epoch, 3);
  EXPECT_EQ(h.base_sequence, 17);
  EXPECT_EQ(h.record_count, 4);
  EXPECT_EQ(h.last_sequence(), 20);
}

}  // namespace
}  // namespace sh::broker
