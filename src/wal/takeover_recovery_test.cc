#include "wal/takeover_recovery.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "objstore/memory_object_store.h"
#include "records/record_batch.h"
#include "wal/wal_test_util.h"

namespace sh::wal {
namespace {

using testing::Encode;
using testing::MakeEntry;

const TopicPartition kT0{"t", 0};

// One batch of `count` records at `base`, written at `epoch`; record values
// are "e{epoch}-{offset}" so the copy that was kept shows.
WalEntry At(const TopicPartition& tp, int64_t base, int count, int64_t epoch,
            const std::string& tag = "") {
  return MakeEntry(tp.first, tp.second, base, 1, count,
                   tag.empty() ? "e" + std::to_string(epoch) : tag, epoch);
}

std::string Put(ObjectStore& store, const std::string& agent, uint64_t seq,
                const std::vector<WalEntry>& entries) {
  std::string key = WalObjectKey(agent, seq);
  EXPECT_TRUE(store.Put(key, Encode(agent, seq, entries)).ok());
  return key;
}

TakeoverPartition Request(const TopicPartition& tp, int64_t epoch, int64_t sealed_end,
                          std::map<int64_t, int64_t> starts = {}) {
  return TakeoverPartition{tp, epoch, sealed_end, std::move(starts)};
}

using Kept = std::tuple<int64_t, int64_t, int64_t>;  // base, last, epoch

// The tail holds exactly `want` and ends at next; every record's value names
// its offset and the epoch of the batch.
void ExpectTail(const TakeoverLog& log, const TopicPartition& tp, const std::vector<Kept>& want,
                int64_t next) {
  auto it = log.partitions.find(tp);
  ASSERT_NE(it, log.partitions.end()) << PartitionName(tp);
  const RecoveredPartition& tail = it->second.tail;
  std::vector<Kept> got;
  for (const RecoveredBatch& b : tail.batches) {
    got.emplace_back(b.base_offset, b.last_offset, b.leader_epoch);
    auto view = records::RecordBatchView::Parse(b.bytes);
    ASSERT_TRUE(view.ok());
    auto records = view->DecodeRecords();
    ASSERT_TRUE(records.ok());
    for (const records::Record& r : *records) {
      EXPECT_EQ(r.value.value_or(""),
                "e" + std::to_string(b.leader_epoch) + "-" + std::to_string(r.offset));
    }
  }
  EXPECT_EQ(got, want) << PartitionName(tp);
  EXPECT_EQ(tail.next_offset, next) << PartitionName(tp);
}

void ExpectError(const Result<TakeoverLog>& log, ErrorCode code,
                 const std::vector<std::string>& parts) {
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), code) << log.status().ToString();
  for (const std::string& p : parts) {
    EXPECT_NE(log.status().message().find(p), std::string::npos)
        << "missing '" << p << "' in " << log.status().ToString();
  }
}

// docs/cluster.md §6 worked example: A led at 5, B at 6 (S(6) = 110), A's
// late Put of [110,115) landed after B started; N takes over at 7.
void PutWorkedExample(ObjectStore& store) {
  Put(store, "A", 1, {At(kT0, 90, 10, 5)});  // sealed already
  Put(store, "A", 2, {At(kT0, 100, 10, 5)});
  Put(store, "B", 1, {At(kT0, 110, 2, 6)});
  Put(store, "A", 3, {At(kT0, 110, 5, 5)});  // the late write
}

TEST(TakeoverRecovery, WorkedExampleWithRecordedStart) {
  MemoryObjectStore store;
  PutWorkedExample(store);
  auto log = RecoverForTakeover(store, {Request(kT0, 7, 100, {{6, 110}})});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 109, 5}, {110, 111, 6}}, 112);
  const TakeoverTail& t = log->partitions.at(kT0);
  EXPECT_EQ(t.superseded_batches, 1u);
  EXPECT_EQ(t.tail.start_offset, 100);
  EXPECT_EQ(t.tail.batches[0].object_key, WalObjectKey("A", 2));
  EXPECT_EQ(t.tail.batches[1].object_key, WalObjectKey("B", 1));
  EXPECT_EQ(t.object_keys, (std::vector<std::string>{WalObjectKey("A", 1), WalObjectKey("A", 2),
                                                     WalObjectKey("A", 3), WalObjectKey("B", 1)}));
  ASSERT_EQ(log->objects.size(), 2u);
  EXPECT_EQ(log->objects.at("A").size(), 3u);
  EXPECT_EQ(log->objects.at("A")[2].max_offset.at(kT0), 114);
  EXPECT_EQ(log->objects.at("B").size(), 1u);
  EXPECT_TRUE(log->discarded_keys.empty());
}

TEST(TakeoverRecovery, WorkedExampleWithStartInferredFromTheWal) {
  MemoryObjectStore store;
  PutWorkedExample(store);
  auto log = RecoverForTakeover(store, {Request(kT0, 7, 100)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 109, 5}, {110, 111, 6}}, 112);
  EXPECT_EQ(log->partitions.at(kT0).epoch_starts, (std::map<int64_t, int64_t>{{5, 90}, {6, 110}}));
}

TEST(TakeoverRecovery, RecordedStartDecidesWhenTheNewerEpochLeftNoWal) {
  // B (epoch 6) recorded S(6) = 110 and wrote nothing (or its objects were
  // sealed and deleted): only the record tells that A's [110,115) is late.
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 10, 5)});
  Put(store, "A", 2, {At(kT0, 110, 5, 5)});
  auto recorded = RecoverForTakeover(store, {Request(kT0, 7, 100, {{6, 110}})});
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  ExpectTail(*recorded, kT0, {{100, 109, 5}}, 110);
  EXPECT_EQ(recorded->partitions.at(kT0).superseded_batches, 1u);
  // Without the record nothing newer started: A's batches are the log.
  auto inferred = RecoverForTakeover(store, {Request(kT0, 7, 100)});
  ASSERT_TRUE(inferred.ok()) << inferred.status().ToString();
  ExpectTail(*inferred, kT0, {{100, 109, 5}, {110, 114, 5}}, 115);
  // A start recorded for an epoch above ours plays no part.
  auto above = RecoverForTakeover(store, {Request(kT0, 5, 100, {{6, 110}})});
  ASSERT_TRUE(above.ok()) << above.status().ToString();
  ExpectTail(*above, kT0, {{100, 109, 5}, {110, 114, 5}}, 115);
}

TEST(TakeoverRecovery, OwnEpochAfterItsRecordedStartIsKept) {
  // The same holder re-took its lapsed lease (epoch unchanged, S(6) already
  // recorded): its own batches from S(6) on stay, epoch 5's are dropped.
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 10, 5), At(kT0, 110, 3, 5)});
  Put(store, "B", 1, {At(kT0, 110, 2, 6)});
  Put(store, "B", 2, {At(kT0, 112, 2, 6)});
  auto log = RecoverForTakeover(store, {Request(kT0, 6, 100, {{5, 100}, {6, 110}})});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 109, 5}, {110, 111, 6}, {112, 113, 6}}, 114);
}

TEST(TakeoverRecovery, ABatchAboveOurEpochIsFenced) {
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 10, 5)});
  std::string newer = Put(store, "C", 4, {At(kT0, 110, 2, 8)});
  ExpectError(RecoverForTakeover(store, {Request(kT0, 7, 100)}), ErrorCode::kFenced,
              {newer, "t/0", "[110, 111]", "epoch 8", "epoch 7"});
  // At epoch 8 the same WAL is this holder's own log.
  auto log = RecoverForTakeover(store, {Request(kT0, 8, 100)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 109, 5}, {110, 111, 8}}, 112);
}

TEST(TakeoverRecovery, SeveralAgentsAndPartitionsInOnePass) {
  MemoryObjectStore store;
  const TopicPartition t1{"t", 1}, u0{"u", 0};
  // a1 led t/0 and t/1 at epoch 1; a2 took both over at epoch 2; u/0 (led
  // elsewhere at epoch 99) is not requested and must not matter.
  Put(store, "a1", 1, {At(kT0, 0, 2, 1), At(t1, 0, 4, 1), At(u0, 0, 5, 99)});
  Put(store, "a2", 7, {At(kT0, 4, 2, 2), At(u0, 5, 1, 99)});
  Put(store, "a1", 2, {At(kT0, 2, 2, 1), At(t1, 4, 2, 1)});
  Put(store, "a2", 8, {At(t1, 6, 2, 2), At(kT0, 6, 1, 2)});
  Put(store, "a3", 1, {At(u0, 6, 3, 99)});
  auto log = RecoverForTakeover(store, {Request(kT0, 3, 0), Request(t1, 2, 4, {{2, 6}})});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->partitions.size(), 2u);
  ExpectTail(*log, kT0, {{0, 1, 1}, {2, 3, 1}, {4, 5, 2}, {6, 6, 2}}, 7);
  ExpectTail(*log, t1, {{4, 5, 1}, {6, 7, 2}}, 8);
  EXPECT_EQ(log->partitions.at(t1).object_keys.size(), 3u);
  // Every object of every agent is summarised, unrequested partitions too.
  ASSERT_EQ(log->objects.size(), 3u);
  EXPECT_EQ(log->objects.at("a1").size(), 2u);
  EXPECT_EQ(log->objects.at("a2")[0].sequence, 7u);
  EXPECT_EQ(log->objects.at("a3")[0].max_offset.at(u0), 8);
}

TEST(TakeoverRecovery, AgentDirectoriesWithoutObjects) {
  MemoryObjectStore store;
  // Nothing under wal/ at all: every requested partition ends at its H.
  auto none = RecoverForTakeover(store, {Request(kT0, 2, 40)});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  ExpectTail(*none, kT0, {}, 40);
  EXPECT_TRUE(none->objects.empty());
  // A directory holding no WAL object keys contributes no agent.
  ASSERT_TRUE(store.Put("wal/a3/notes.txt", Bytes{1, 2, 3}).ok());
  Put(store, "a1", 1, {At(kT0, 40, 2, 1)});
  auto log = RecoverForTakeover(store, {Request(kT0, 2, 40)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{40, 41, 1}}, 42);
  EXPECT_EQ(log->objects.count("a3"), 0u);
  // No partitions asked for: nothing is read.
  auto empty = RecoverForTakeover(store, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->partitions.empty() && empty->objects.empty());
}

TEST(TakeoverRecovery, ReAppendedDuplicatesAreKeptOnce) {
  MemoryObjectStore store;
  // A's object 1 was reported failed but landed; its entries were
  // re-appended, unchanged, into object 2.
  Put(store, "A", 1, {At(kT0, 100, 4, 5), At(kT0, 104, 2, 5)});
  Put(store, "A", 2, {At(kT0, 100, 4, 5), At(kT0, 104, 2, 5), At(kT0, 106, 2, 5)});
  auto log = RecoverForTakeover(store, {Request(kT0, 6, 100)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 103, 5}, {104, 105, 5}, {106, 107, 5}}, 108);
  EXPECT_EQ(log->partitions.at(kT0).tail.batches[0].sequence, 1u);  // the first copy
}

TEST(TakeoverRecovery, ADifferingDuplicateIsCorruption) {
  MemoryObjectStore store;
  std::string first = Put(store, "A", 1, {At(kT0, 100, 4, 5)});
  std::string other = Put(store, "A", 2, {At(kT0, 100, 4, 5, "other")});
  ExpectError(RecoverForTakeover(store, {Request(kT0, 6, 100)}), ErrorCode::kCorruption,
              {"t/0: offset 100", first, other, "epoch 6"});
}

TEST(TakeoverRecovery, AGapIsCorruptionNamingTheOffsets) {
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 4, 5)});
  std::string after = Put(store, "B", 1, {At(kT0, 106, 2, 6)});  // [104, 106) lost
  ExpectError(RecoverForTakeover(store, {Request(kT0, 7, 100)}), ErrorCode::kCorruption,
              {"t/0: offsets [104, 106) are missing", after});
  // The first kept batch must start at H.
  ExpectError(RecoverForTakeover(store, {Request(kT0, 7, 98)}), ErrorCode::kCorruption,
              {"t/0: offsets [98, 100) are missing"});
  // Sealed past the hole: nothing is missing.
  auto log = RecoverForTakeover(store, {Request(kT0, 7, 106)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{106, 107, 6}}, 108);
}

TEST(TakeoverRecovery, ABatchStraddlingTheSealedEndIsCorruption) {
  MemoryObjectStore store;
  std::string key = Put(store, "A", 1, {At(kT0, 100, 4, 5)});
  ExpectError(RecoverForTakeover(store, {Request(kT0, 6, 102)}), ErrorCode::kCorruption,
              {"t/0: sealed end 102 falls inside batch [100, 103] of " + key});
}

TEST(TakeoverRecovery, ASupersededBatchStraddlingTheSealedEndIsDropped) {
  // B (epoch 6) sealed [100,112); A's late [110,115)@5 straddles H = 112 but
  // is not part of the log (S(6) = 110), so it is dropped, not Corruption.
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 10, 5)});
  Put(store, "B", 1, {At(kT0, 110, 2, 6)});
  Put(store, "A", 2, {At(kT0, 110, 5, 5)});
  Put(store, "B", 2, {At(kT0, 112, 3, 6)});
  for (const auto& starts : {std::map<int64_t, int64_t>{}, std::map<int64_t, int64_t>{{6, 110}}}) {
    auto log = RecoverForTakeover(store, {Request(kT0, 7, 112, starts)});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ExpectTail(*log, kT0, {{112, 114, 6}}, 115);
    EXPECT_EQ(log->partitions.at(kT0).superseded_batches, 1u);
  }
}

TEST(TakeoverRecovery, EverythingBelowTheSealedEndIsIgnored) {
  MemoryObjectStore store;
  // Below H = 200: a hole, a differing duplicate and an epoch-5 batch after
  // S(6): none of it matters, it is in segments.
  Put(store, "A", 1, {At(kT0, 100, 4, 5), At(kT0, 110, 4, 5)});
  Put(store, "A", 2, {At(kT0, 100, 4, 5, "other")});
  Put(store, "B", 1, {At(kT0, 150, 50, 6)});
  Put(store, "A", 3, {At(kT0, 160, 5, 5)});
  auto log = RecoverForTakeover(store, {Request(kT0, 7, 200)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {}, 200);
  EXPECT_EQ(log->partitions.at(kT0).superseded_batches, 0u);
  EXPECT_EQ(log->partitions.at(kT0).object_keys.size(), 4u);
}

// The first `keep` bytes of an encoded object, stored under its key.
void PutTorn(ObjectStore& store, const std::string& agent, uint64_t seq,
             const std::vector<WalEntry>& entries) {
  Bytes full = Encode(agent, seq, entries);
  Bytes prefix(full.begin(), full.begin() + static_cast<ptrdiff_t>(full.size() * 6 / 10));
  ASSERT_TRUE(store.Put(WalObjectKey(agent, seq), prefix).ok());
}

TEST(TakeoverRecovery, TornLastObjectOfAnAgentIsDiscarded) {
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 4, 5)});
  PutTorn(store, "A", 2, {At(kT0, 104, 4, 5)});
  Put(store, "B", 1, {At(kT0, 104, 2, 6)});
  auto log = RecoverForTakeover(store, {Request(kT0, 7, 100)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 103, 5}, {104, 105, 6}}, 106);
  EXPECT_EQ(log->discarded_keys, std::vector<std::string>{WalObjectKey("A", 2)});
  EXPECT_EQ(log->objects.at("A").size(), 1u);
}

TEST(TakeoverRecovery, TornMiddleObjectIsAnError) {
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 4, 5)});
  PutTorn(store, "A", 2, {At(kT0, 104, 4, 5)});
  Put(store, "A", 3, {At(kT0, 108, 4, 5)});
  ExpectError(RecoverForTakeover(store, {Request(kT0, 7, 100)}), ErrorCode::kCorruption,
              {WalObjectKey("A", 2) + ": torn", "agent A"});
  // A torn object of an agent holding only other partitions is as fatal.
  MemoryObjectStore other;
  PutTorn(other, "C", 1, {At({"x", 0}, 0, 4, 1)});
  Put(other, "C", 2, {At({"x", 0}, 4, 4, 1)});
  ExpectError(RecoverForTakeover(other, {Request(kT0, 7, 100)}), ErrorCode::kCorruption,
              {WalObjectKey("C", 1) + ": torn"});
}

TEST(TakeoverRecovery, CorruptLastObjectIsAnError) {
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 4, 5)});
  Bytes bytes = Encode("A", 2, {At(kT0, 104, 4, 5)});
  bytes[bytes.size() - 30] ^= 0x01;  // inside the entry: complete but changed
  ASSERT_TRUE(store.Put(WalObjectKey("A", 2), bytes).ok());
  ExpectError(RecoverForTakeover(store, {Request(kT0, 7, 100)}), ErrorCode::kCorruption,
              {WalObjectKey("A", 2) + ": corrupt"});
}

TEST(TakeoverRecovery, BadRequestsAreInvalidArgument) {
  MemoryObjectStore store;
  auto twice = RecoverForTakeover(store, {Request(kT0, 2, 0), Request(kT0, 3, 0)});
  EXPECT_EQ(twice.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(RecoverForTakeover(store, {Request(kT0, 0, 0)}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RecoverForTakeover(store, {Request(kT0, 1, -1)}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(RecoverForTakeover(store, {Request({"", 0}, 1, 0)}).status().code(),
            ErrorCode::kInvalidArgument);
}

// Lists one more object than it holds: an object deleted between the LIST and
// the GET, as WAL clean-up after a seal does while another agent takes over.
class ListsAGhost final : public ObjectStore {
 public:
  explicit ListsAGhost(std::string ghost) : ghost_(std::move(ghost)) {}
  Status Put(std::string_view key, ByteView data) override { return inner_.Put(key, data); }
  Result<Bytes> Get(std::string_view key) override { return inner_.Get(key); }
  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return inner_.GetRange(key, offset, length);
  }
  Result<uint64_t> Size(std::string_view key) override { return inner_.Size(key); }
  Status Delete(std::string_view key) override { return inner_.Delete(key); }
  std::string Describe() const override { return "ghost"; }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    SH_ASSIGN_OR_RETURN(std::vector<ObjectInfo> out, inner_.List(prefix));
    if (ghost_.starts_with(prefix)) out.push_back({ghost_, 100});
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

 private:
  MemoryObjectStore inner_;
  std::string ghost_;
};

TEST(TakeoverRecovery, ObjectDeletedAfterListingIsSkipped) {
  ListsAGhost store(WalObjectKey("A", 1));  // [90,100) was sealed and cleaned up
  Put(store, "A", 2, {At(kT0, 100, 10, 5)});
  auto log = RecoverForTakeover(store, {Request(kT0, 6, 100)});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 109, 5}}, 110);
}

TEST(TakeoverRecovery, DeletedObjectThatWasNeededShowsAsAGap) {
  ListsAGhost store(WalObjectKey("A", 2));  // [100,110) gone, though above the sealed end
  Put(store, "A", 3, {At(kT0, 110, 5, 5)});
  ExpectError(RecoverForTakeover(store, {Request(kT0, 6, 100)}), ErrorCode::kCorruption, {"100"});
}

TEST(TakeoverRecovery, KnownObjectsWithoutTheRequestedPartitionsAreNotRead) {
  MemoryObjectStore store;
  Put(store, "A", 1, {At(kT0, 100, 10, 5)});
  // The taker's own object, known to hold only another partition; its bytes
  // are garbage, so reading it would fail the takeover.
  const std::string own = WalObjectKey("B", 7);
  ASSERT_TRUE(store.Put(own, Bytes(100, 0x5a)).ok());
  std::map<std::string, WalObjectSummary> known;
  known[own].key = own;
  known[own].sequence = 7;
  known[own].max_offset[TopicPartition{"other", 3}] = 41;
  auto log = RecoverForTakeover(store, {Request(kT0, 6, 100)}, &known);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ExpectTail(*log, kT0, {{100, 109, 5}}, 110);
  // Known to hold the partition: read, and its damage is reported.
  known[own].max_offset[kT0] = 120;
  EXPECT_FALSE(RecoverForTakeover(store, {Request(kT0, 6, 100)}, &known).ok());
}

}  // namespace
}  // namespace sh::wal
