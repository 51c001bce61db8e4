#include "wal/wal_recovery.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "objstore/faulty_object_store.h"
#include "objstore/local_object_store.h"
#include "objstore/memory_object_store.h"
#include "objstore/test_temp_dir.h"
#include "records/record_batch.h"
#include "wal/wal_reader.h"
#include "wal/wal_test_util.h"
#include "wal/wal_writer.h"

namespace sh::wal {
namespace {

using testing::Encode;
using testing::MakeBatch;
using testing::MakeEntry;

const std::string kAgent = "agent-1";

void PutObject(ObjectStore& store, uint64_t seq, const std::vector<WalEntry>& entries) {
  ASSERT_TRUE(store.Put(WalObjectKey(kAgent, seq), Encode(kAgent, seq, entries)).ok());
}

SealedEndFn SealedAt(std::map<TopicPartition, int64_t> ends) {
  return [ends](const std::string& topic, int32_t partition) {
    auto it = ends.find({topic, partition});
    return it == ends.end() ? 0 : it->second;
  };
}
const SealedEndFn kNothingSealed = SealedAt({});

// Offsets of every record in the partition's batches, decoded, with their values.
std::vector<std::pair<int64_t, std::string>> RecordsOf(const RecoveredPartition& p) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const RecoveredBatch& b : p.batches) {
    auto view = records::RecordBatchView::Parse(b.bytes);
    EXPECT_TRUE(view.ok());
    EXPECT_EQ(view->base_offset(), b.base_offset);
    EXPECT_EQ(view->last_offset(), b.last_offset);
    Result<std::vector<records::Record>> decoded = view->DecodeRecords();
    EXPECT_TRUE(decoded.ok());
    if (!decoded.ok()) continue;
    for (const records::Record& r : *decoded) {
      out.emplace_back(r.offset, r.value.value_or(""));
    }
  }
  return out;
}

// Checks the partition holds exactly offsets [from, to) with values "{tag}-{offset}".
void ExpectOffsets(const RecoveredLog& log, const std::string& topic, int32_t partition,
                   int64_t from, int64_t to, const std::string& tag = "v") {
  auto it = log.partitions.find({topic, partition});
  ASSERT_NE(it, log.partitions.end()) << topic << "/" << partition;
  EXPECT_EQ(it->second.start_offset, from);
  EXPECT_EQ(it->second.next_offset, to);
  auto recs = RecordsOf(it->second);
  ASSERT_EQ(recs.size(), static_cast<size_t>(to - from));
  for (int64_t o = from; o < to; ++o) {
    EXPECT_EQ(recs[o - from].first, o);
    EXPECT_EQ(recs[o - from].second, tag + "-" + std::to_string(o));
  }
}

TEST(WalRecovery, EmptyWalRecoversNothing) {
  MemoryObjectStore store;
  Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->partitions.empty());
  EXPECT_FALSE(log->max_sequence.has_value());
  EXPECT_EQ(log->next_sequence(), 0u);
}

TEST(WalRecovery, RebuildsEachPartitionInOffsetOrderAcrossObjects) {
  MemoryObjectStore store;
  PutObject(store, 3, {MakeEntry("a", 0, 0, 2, 2), MakeEntry("b", 1, 0, 1, 3)});
  PutObject(store, 4, {MakeEntry("b", 1, 3, 1, 3), MakeEntry("a", 0, 4, 1, 2)});
  PutObject(store, 5, {MakeEntry("a", 0, 6, 3, 1)});
  // Another agent's objects are not ours.
  ASSERT_TRUE(
      store.Put(WalObjectKey("agent-2", 9), Encode("agent-2", 9, {MakeEntry("a", 0, 9)})).ok());
  Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->partitions.size(), 2u);
  ExpectOffsets(*log, "a", 0, 0, 9);
  ExpectOffsets(*log, "b", 1, 0, 6);
  EXPECT_EQ(log->max_sequence, 5u);
  EXPECT_EQ(log->next_sequence(), 6u);
  ASSERT_EQ(log->objects.size(), 3u);
  EXPECT_EQ(log->objects[0].key, WalObjectKey(kAgent, 3));
  EXPECT_EQ((log->objects[0].max_offset.at({"a", 0})), 3);
  EXPECT_EQ((log->objects[0].max_offset.at({"b", 1})), 2);
  EXPECT_EQ(log->partitions.at({"a", 0}).batches[0].sequence, 3u);
  EXPECT_EQ(log->partitions.at({"a", 0}).batches[0].leader_epoch, 7);
}

TEST(WalRecovery, SealedEndCutsInsideAndBetweenObjects) {
  MemoryObjectStore store;
  // a/0: object 1 holds [0,6) in three batches, object 2 holds [6,10).
  PutObject(store, 1, {MakeEntry("a", 0, 0, 3, 2), MakeEntry("b", 0, 0, 1, 4)});
  PutObject(store, 2, {MakeEntry("a", 0, 6, 2, 2), MakeEntry("b", 0, 4, 1, 4)});
  for (int64_t cut : {0, 2, 4, 6, 8, 10}) {
    Result<RecoveredLog> log = RecoverWal(store, kAgent, SealedAt({{{"a", 0}, cut}}));
    ASSERT_TRUE(log.ok()) << cut << ": " << log.status().ToString();
    if (cut == 10) {
      EXPECT_EQ(log->partitions.count({"a", 0}), 0u);  // all sealed
    } else {
      ExpectOffsets(*log, "a", 0, cut, 10);
    }
    ExpectOffsets(*log, "b", 0, 0, 8);
  }
  // b sealed past object 1 (between objects): only object 2's batch remains.
  Result<RecoveredLog> log = RecoverWal(store, kAgent, SealedAt({{{"b", 0}, 4}}));
  ASSERT_TRUE(log.ok());
  ExpectOffsets(*log, "b", 0, 4, 8);
}

TEST(WalRecovery, SealedEndInsideABatchIsCorruption) {
  MemoryObjectStore store;
  PutObject(store, 1, {MakeEntry("a", 0, 0, 2, 4)});
  Result<RecoveredLog> log = RecoverWal(store, kAgent, SealedAt({{{"a", 0}, 2}}));
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(log.status().message().find("a/0"), std::string::npos);
}

TEST(WalRecovery, RetriedEntriesInTwoObjectsAreKeptOnce) {
  MemoryObjectStore store;
  // Object 1's write was reported failed but landed; the entries were
  // re-appended into object 2 (with a newer one).
  PutObject(store, 1, {MakeEntry("a", 0, 0, 2, 2), MakeEntry("b", 0, 0)});
  PutObject(store, 2, {MakeEntry("a", 0, 0, 2, 2), MakeEntry("b", 0, 0), MakeEntry("a", 0, 4)});
  Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectOffsets(*log, "a", 0, 0, 6);
  ExpectOffsets(*log, "b", 0, 0, 2);
  EXPECT_EQ(log->partitions.at({"a", 0}).batches[0].sequence, 1u);  // the first copy
}

TEST(WalRecovery, SameOffsetWithDifferentBytesIsCorruption) {
  MemoryObjectStore store;
  PutObject(store, 1, {MakeEntry("a", 0, 0, 1, 2, "first")});
  PutObject(store, 2, {MakeEntry("a", 0, 0, 1, 2, "other")});
  Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(log.status().message().find("a/0: offset 0"), std::string::npos)
      << log.status().ToString();
}

TEST(WalRecovery, OverlappingBatchesThatDoNotLineUpAreCorruption) {
  MemoryObjectStore store;
  PutObject(store, 1, {MakeEntry("a", 0, 0, 1, 4)});
  PutObject(store, 2, {MakeEntry("a", 0, 2, 1, 4)});
  Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("overlaps"), std::string::npos);
}

TEST(WalRecovery, AGapIsCorruptionNamingPartitionAndOffsets) {
  MemoryObjectStore store;
  PutObject(store, 1, {MakeEntry("a", 0, 0, 1, 2)});
  PutObject(store, 3, {MakeEntry("a", 0, 5, 1, 2)});  // [2, 5) lost
  Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(log.status().message().find("a/0: offsets [2, 5) are missing"), std::string::npos)
      << log.status().ToString();
  // A hole right after the sealed end too.
  Result<RecoveredLog> after_seal = RecoverWal(store, kAgent, SealedAt({{{"a", 0}, 1}}));
  EXPECT_FALSE(after_seal.ok());
  // Sealed past the hole: nothing is missing.
  Result<RecoveredLog> sealed = RecoverWal(store, kAgent, SealedAt({{{"a", 0}, 5}}));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  ExpectOffsets(*sealed, "a", 0, 5, 7);
}

TEST(WalRecovery, TheFirstBatchMustStartAtTheSealedEnd) {
  MemoryObjectStore store;
  PutObject(store, 1, {MakeEntry("a", 0, 10, 1, 2)});
  Result<RecoveredLog> log = RecoverWal(store, kAgent, SealedAt({{{"a", 0}, 8}}));
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("[8, 10)"), std::string::npos);
}

TEST(WalRecovery, TornFinalObjectIsDiscarded) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  PutObject(faulty, 1, {MakeEntry("a", 0, 0)});
  // A store that lies: keeps a prefix and reports success.
  faulty.TruncateNextPutsFraction(1, 0.6, TornPut::kReportSuccess);
  PutObject(faulty, 2, {MakeEntry("a", 0, 2)});
  Result<RecoveredLog> log = RecoverWal(faulty, kAgent, kNothingSealed);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectOffsets(*log, "a", 0, 0, 2);
  EXPECT_EQ(log->discarded_key, WalObjectKey(kAgent, 2));
  EXPECT_EQ(log->max_sequence, 2u);  // the writer must not reuse 2
  EXPECT_EQ(log->objects.size(), 1u);
}

TEST(WalRecovery, TornObjectThatIsNotTheLastIsAnError) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  PutObject(faulty, 1, {MakeEntry("a", 0, 0)});
  faulty.TruncateNextPuts(1, 60, TornPut::kReportSuccess);
  PutObject(faulty, 2, {MakeEntry("a", 0, 2)});
  PutObject(faulty, 3, {MakeEntry("a", 0, 4)});
  Result<RecoveredLog> log = RecoverWal(faulty, kAgent, kNothingSealed);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(log.status().message().find(WalObjectKey(kAgent, 2) + ": torn"), std::string::npos)
      << log.status().ToString();
}

// Any changed byte of any object (the final one included: a corrupt final
// object is not torn and must not be dropped) fails recovery with
// Corruption naming the object; recovery never returns other records.
TEST(WalRecovery, EveryChangedByteFailsRecoveryLoudly) {
  MemoryObjectStore store;
  PutObject(store, 1, {MakeEntry("a", 0, 0, 2, 2), MakeEntry("b", 0, 0)});
  PutObject(store, 2, {MakeEntry("a", 0, 4, 1, 2)});
  for (uint64_t seq : {1, 2}) {
    const std::string key = WalObjectKey(kAgent, seq);
    Bytes good = store.Get(key).value();
    for (size_t pos = 0; pos < good.size(); ++pos) {
      Bytes bad = good;
      bad[pos] ^= 0x20;
      ASSERT_TRUE(store.Put(key, bad).ok());
      Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
      ASSERT_FALSE(log.ok()) << key << " byte " << pos;
      EXPECT_EQ(log.status().code(), ErrorCode::kCorruption);
      EXPECT_NE(log.status().message().find(key + ": corrupt: "), std::string::npos)
          << log.status().ToString();
    }
    ASSERT_TRUE(store.Put(key, good).ok());
  }
  ASSERT_TRUE(RecoverWal(store, kAgent, kNothingSealed).ok());
}

TEST(WalRecovery, ReadsWhatTheWriterWroteIncludingATimedOutPutThatLanded) {
  MemoryObjectStore mem;
  FaultyObjectStore faulty(mem);
  WalIndex index;
  {
    WalWriter writer(faulty, kAgent, *SystemClock::Get(),
                     {.flush_interval_ms = 1, .put_timeout_ms = 20, .index = &index});
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    faulty.SetDelay(ObjectOp::kPut, std::chrono::nanoseconds(1));
    faulty.SetSleepFunction([released](std::chrono::nanoseconds) { released.wait(); });
    std::promise<Status> first;
    ASSERT_TRUE(writer.Append(MakeEntry("a", 0, 0), [&](Status st) { first.set_value(st); }).ok());
    EXPECT_EQ(first.get_future().get().code(), ErrorCode::kTimeout);
    faulty.Reset();
    release.set_value();
    writer.Resume();
    // The broker re-appends the failed entry unchanged, then goes on.
    std::promise<Status> again, next;
    ASSERT_TRUE(writer.Append(MakeEntry("a", 0, 0), [&](Status st) { again.set_value(st); }).ok());
    ASSERT_TRUE(writer.Append(MakeEntry("a", 0, 2), [&](Status st) { next.set_value(st); }).ok());
    EXPECT_TRUE(again.get_future().get().ok());
    EXPECT_TRUE(next.get_future().get().ok());
    writer.Stop();
  }
  Result<RecoveredLog> log = RecoverWal(mem, kAgent, kNothingSealed);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectOffsets(*log, "a", 0, 0, 4);
  EXPECT_EQ(log->objects.front().key, WalObjectKey(kAgent, 0));  // the late one is kept
  EXPECT_EQ(index.max_sequence(), log->max_sequence);
}

TEST(WalRecovery, RecoversConcurrentAppendsThroughALocalDirectory) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  LocalObjectStore store(dir.path());
  constexpr int kPartitions = 4, kPerPartition = 50;
  {
    WalWriter writer(store, kAgent, *SystemClock::Get(), {.flush_interval_ms = 2});
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int p = 0; p < kPartitions; ++p) {
      threads.emplace_back([&, p] {
        for (int i = 0; i < kPerPartition; ++i) {
          Status st = writer.Append(MakeEntry("orders", p, i * 3, 1, 3), [&](Status s) {
            if (s.ok()) ok++;
          });
          ASSERT_TRUE(st.ok());
        }
      });
    }
    for (auto& t : threads) t.join();
    writer.Stop();
    ASSERT_EQ(ok.load(), kPartitions * kPerPartition);
  }
  Result<RecoveredLog> log = RecoverWal(store, kAgent, SealedAt({{{"orders", 2}, 30}}));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  for (int p = 0; p < kPartitions; ++p) {
    ExpectOffsets(*log, "orders", p, p == 2 ? 30 : 0, kPerPartition * 3);
  }
}

TEST(WalRecovery, CoveredObjectsAreThoseBelowEverySealedEndExceptTheNewest) {
  MemoryObjectStore store;
  PutObject(store, 1, {MakeEntry("a", 0, 0), MakeEntry("b", 0, 0)});
  PutObject(store, 2, {MakeEntry("a", 0, 2)});
  PutObject(store, 3, {MakeEntry("b", 0, 2)});
  Result<RecoveredLog> log = RecoverWal(store, kAgent, kNothingSealed);
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(CoveredObjects(log->objects, kNothingSealed).empty());
  // a sealed to 4, b to 2: object 1 and 2 covered; 3 holds b [2,4).
  auto ends = SealedAt({{{"a", 0}, 4}, {{"b", 0}, 2}});
  EXPECT_EQ(CoveredObjects(log->objects, ends),
            (std::vector<std::string>{WalObjectKey(kAgent, 1), WalObjectKey(kAgent, 2)}));
  // b sealed only to 1: object 1 still holds b's offset 1, nothing is covered.
  EXPECT_EQ(CoveredObjects(log->objects, SealedAt({{{"a", 0}, 2}, {{"b", 0}, 1}})),
            std::vector<std::string>{});
  // Everything sealed: the newest object stays.
  auto all = SealedAt({{{"a", 0}, 100}, {{"b", 0}, 100}});
  EXPECT_EQ(CoveredObjects(log->objects, all).size(), 2u);
  WalIndex index;
  for (const WalObjectSummary& s : log->objects) index.Add(s);
  EXPECT_EQ(CoveredObjects(index, all), CoveredObjects(log->objects, all));
  index.Remove(WalObjectKey(kAgent, 1));
  EXPECT_EQ(CoveredObjects(index, all), std::vector<std::string>{WalObjectKey(kAgent, 2)});
  // After deleting the covered ones a restart replays nothing and keeps the sequence.
  for (const std::string& k : CoveredObjects(log->objects, all)) ASSERT_TRUE(store.Delete(k).ok());
  Result<RecoveredLog> again = RecoverWal(store, kAgent, all);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->partitions.empty());
  EXPECT_EQ(again->next_sequence(), 4u);
}

}  // namespace
}  // namespace sh::wal
