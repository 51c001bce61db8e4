// Broker::SweepDepartedWal (docs/cluster.md "WAL objects of departed
// agents"): another agent deletes what sealed segments cover of a departed
// agent's WAL, keeps the rest and the agent's newest object, and a later
// takeover still finds every unsealed record. Agents a1 and a2 share one
// metadata store and one object store, each through its own FaultyObjectStore.
#include <algorithm>
#include <set>

#include "broker/broker_cluster_test_util.h"
#include "wal/wal_format.h"

namespace sh::broker {
namespace {

class WalSweepTest : public TwoAgentTest {
 protected:
  void SetUp() override { SetUpAgents(1); }

  // The agent's WAL keys in the store, sorted (by sequence: keys are padded).
  std::vector<std::string> WalKeys(const std::string& agent) {
    auto listed = memory_.List(wal::WalPrefix(agent));
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    std::vector<std::string> keys;
    if (listed.ok()) {
      for (const ObjectInfo& o : *listed) keys.push_back(o.key);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  // a1 leads t/0 and writes two objects that a seal covers. Its own deletes
  // fail: it dies right after sealing, before its clean-up.
  void WriteCovered() {
    std::vector<Status> led = a1_->Lead({{"t", 0}});
    ASSERT_TRUE(led.size() == 1 && led[0].ok());
    view1_.FailAlways(ObjectOp::kDelete);
    Produce(*a1_, 3, "big1", 1500);
    Produce(*a1_, 3, "big2", 1500);
    ASSERT_TRUE(a1_->SealFullTails().ok());
    auto sealed = metadata_->GetPartition("t", 0);  // the background may have sealed too
    ASSERT_TRUE(sealed.ok() && sealed->high_watermark == 6);
  }

  // WriteCovered, then two objects that stay unsealed. Returns a1's keys,
  // oldest first.
  std::vector<std::string> WriteCoveredAndUncovered() {
    WriteCovered();
    Produce(*a1_, 4, "w1");
    Produce(*a1_, 2, "w2");
    view1_.FailAlways(ObjectOp::kPut);  // a1 is gone
    std::vector<std::string> keys = WalKeys("a1");
    EXPECT_EQ(keys.size(), 4u);
    return keys;
  }
};

TEST_F(WalSweepTest, DeletesCoveredObjectsOfDepartedAgentsOnly) {
  std::vector<std::string> keys = WriteCoveredAndUncovered();
  ASSERT_EQ(keys.size(), 4u);
  a2_ = Agent("a2", view2_);
  ASSERT_NE(a2_, nullptr);

  // a1 still counts as live: nothing of it is touched.
  Status st = a2_->SweepDepartedWal({"a1", "a2"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(WalKeys("a1"), keys);

  // a1 departed: its two covered objects go, the unsealed ones stay.
  view2_.ResetCounters();
  st = a2_->SweepDepartedWal({"a2"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[2], keys[3]}));
  EXPECT_EQ(view2_.calls(ObjectOp::kGet), 4u);
  EXPECT_EQ(view2_.calls(ObjectOp::kDelete), 2u);

  // Again: the summaries are cached, nothing is read or deleted.
  ASSERT_TRUE(a2_->SweepDepartedWal({"a2"}).ok());
  EXPECT_EQ(view2_.calls(ObjectOp::kGet), 4u);
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[2], keys[3]}));

  // The takeover still recovers every acknowledged record.
  clock_.AdvanceMs(kLeaseMs + 1);
  std::vector<Status> led = a2_->Lead({{"t", 0}});
  ASSERT_EQ(led.size(), 1u);
  ASSERT_TRUE(led[0].ok()) << led[0].ToString();
  EXPECT_EQ(Served(*a2_), acked_);
  EXPECT_EQ(acked_.size(), 12u);

  // Once a2 seals the tail, all of a1's objects are covered; its newest stays
  // (a1 would learn its next sequence from it), read from the cache.
  ASSERT_TRUE(a2_->HandOver("t", 0).ok());
  uint64_t gets = view2_.calls(ObjectOp::kGet);
  ASSERT_TRUE(a2_->SweepDepartedWal({"a2"}).ok());
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[3]}));
  EXPECT_EQ(view2_.calls(ObjectOp::kGet), gets);
}

TEST_F(WalSweepTest, TheSweeperSkipsItsOwnDirectory) {
  ASSERT_NO_FATAL_FAILURE(WriteCovered());
  std::vector<std::string> keys = WalKeys("a1");
  ASSERT_EQ(keys.size(), 2u);
  // Nobody is live, yet a1 never sweeps itself (its own clean-up does that).
  ASSERT_TRUE(a1_->SweepDepartedWal({}).ok());
  EXPECT_EQ(WalKeys("a1"), keys);
}

TEST_F(WalSweepTest, EntriesOfADeletedTopicCountAsCovered) {
  ASSERT_TRUE(a1_->CreateTopic("gone", 1, {}, false).ok());
  std::vector<Status> led = a1_->Lead({{"gone", 0}, {"t", 0}});
  ASSERT_EQ(led.size(), 2u);
  ASSERT_TRUE(led[0].ok() && led[1].ok());
  Produce(*a1_, 2, "g1", 10, 0, "gone");
  Produce(*a1_, 2, "g2", 10, 0, "gone");
  Produce(*a1_, 2, "t1");  // unsealed, newest
  view1_.FailAlways(ObjectOp::kPut);
  view1_.FailAlways(ObjectOp::kDelete);
  std::vector<std::string> keys = WalKeys("a1");
  ASSERT_EQ(keys.size(), 3u);
  a2_ = Agent("a2", view2_);
  ASSERT_NE(a2_, nullptr);
  // Nothing is sealed yet: nothing goes.
  ASSERT_TRUE(a2_->SweepDepartedWal({"a2"}).ok());
  EXPECT_EQ(WalKeys("a1"), keys);
  // The topic's records can never be served again.
  ASSERT_TRUE(a2_->DeleteTopic("gone").ok());
  ASSERT_TRUE(a2_->SweepDepartedWal({"a2"}).ok());
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[2]}));
}

TEST_F(WalSweepTest, DamagedObjectIsKeptAndTheOthersAreDeleted) {
  std::vector<std::string> keys = WriteCoveredAndUncovered();
  ASSERT_EQ(keys.size(), 4u);
  // The oldest covered object gets a flipped byte in its middle.
  auto bytes = memory_.Get(keys[0]);
  ASSERT_TRUE(bytes.ok());
  Bytes damaged = *bytes;
  damaged[damaged.size() / 2] ^= 0x5a;
  ASSERT_TRUE(memory_.Put(keys[0], damaged).ok());
  a2_ = Agent("a2", view2_);
  ASSERT_NE(a2_, nullptr);
  view2_.ResetCounters();
  Status st = a2_->SweepDepartedWal({"a2"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[0], keys[2], keys[3]}));
  // The damaged object is not read again.
  ASSERT_TRUE(a2_->SweepDepartedWal({"a2"}).ok());
  EXPECT_EQ(view2_.calls(ObjectOp::kGet), 4u);
}

TEST_F(WalSweepTest, TornLastObjectIsTheMarkerAndTheCoveredRestGoes) {
  // a1 was killed while writing its next object: on a store without atomic
  // PUTs an empty object is left under its highest sequence.
  ASSERT_NO_FATAL_FAILURE(WriteCovered());
  std::vector<std::string> keys = WalKeys("a1");
  ASSERT_EQ(keys.size(), 2u);
  const std::string torn = wal::WalObjectKey("a1", 99);
  ASSERT_TRUE(memory_.Put(torn, Bytes{}).ok());
  a2_ = Agent("a2", view2_);
  ASSERT_NE(a2_, nullptr);
  ASSERT_TRUE(a2_->SweepDepartedWal({"a2"}).ok());
  // Both covered objects go (the newer one too: the torn object keeps the
  // sequence); the torn one stays.
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{torn}));
}

TEST_F(WalSweepTest, StoreErrorsAreReturnedAndKeepWhatTheyConcern) {
  std::vector<std::string> keys = WriteCoveredAndUncovered();
  ASSERT_EQ(keys.size(), 4u);
  a2_ = Agent("a2", view2_);
  ASSERT_NE(a2_, nullptr);
  view2_.FailNext(ObjectOp::kList, 1);
  EXPECT_EQ(a2_->SweepDepartedWal({"a2"}).code(), ErrorCode::kIOError);
  EXPECT_EQ(WalKeys("a1"), keys);
  // A failed GET keeps its object (and is returned); the others are swept.
  view2_.FailNext(ObjectOp::kGet, 1);
  EXPECT_EQ(a2_->SweepDepartedWal({"a2"}).code(), ErrorCode::kIOError);
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[0], keys[2], keys[3]}));
  // An object gone between LIST and GET is no error; it is read next time.
  view2_.FailNext(ObjectOp::kGet, 1, Status::NotFound("deleted meanwhile"));
  Status st = a2_->SweepDepartedWal({"a2"});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[0], keys[2], keys[3]}));
  // A failed delete is returned; a later sweep deletes the object.
  view2_.FailNext(ObjectOp::kDelete, 1);
  EXPECT_EQ(a2_->SweepDepartedWal({"a2"}).code(), ErrorCode::kIOError);
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[0], keys[2], keys[3]}));
  st = a2_->SweepDepartedWal({"a2"});
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(WalKeys("a1"), (std::vector<std::string>{keys[2], keys[3]}));
}

}  // namespace
}  // namespace sh::broker
