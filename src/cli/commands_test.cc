// streamctl's commands end to end on a real data directory: SQLite metadata,
// local object store, segments written and read back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/commands_test_fixture.h"
#include "objstore/memory_object_store.h"
#include "wal/wal_format.h"

namespace sh::cli {
namespace {

TEST_F(CommandsTest, CreateProduceConsumeRoundTrip) {
  ASSERT_EQ(Run({"topic", "create", "orders", "--partitions", "3"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "created topic orders with 3 partitions\n");
  ASSERT_EQ(Run({"produce", "orders", "--partition", "1", "--key", "k1", "--header", "src=t",
                 "--header", "n=2"},
                "first\nsecond\n\nfourth\n"),
            0)
      << err_.str();
  EXPECT_EQ(out_.str(), "produced 4 records to orders/1 at offsets 0..3\n");
  ASSERT_EQ(
      Run({"produce", "orders", "--partition", "1", "--value", "fifth", "--compression", "zstd"}),
      0)
      << err_.str();
  EXPECT_EQ(out_.str(), "produced 1 record to orders/1 at offset 4\n");

  ASSERT_EQ(Run({"consume", "orders", "--partition", "1", "--from-beginning"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "1\t0\tk1\tsrc=t,n=2\tfirst\n"
            "1\t1\tk1\tsrc=t,n=2\tsecond\n"
            "1\t2\tk1\tsrc=t,n=2\t\n"
            "1\t3\tk1\tsrc=t,n=2\tfourth\n"
            "1\t4\t(null)\t\tfifth\n");

  // From an offset inside the first batch, and with a limit.
  ASSERT_EQ(Run({"consume", "orders", "--partition", "1", "--offset", "2", "--max", "2"}), 0);
  EXPECT_EQ(out_.str(), "1\t2\tk1\tsrc=t,n=2\t\n1\t3\tk1\tsrc=t,n=2\tfourth\n");
}

TEST_F(CommandsTest, DataSurvivesReopen) {
  ASSERT_EQ(Run({"topic", "create", "t", "--partitions", "1", "--config", "retention.ms=1000"}), 0);
  ASSERT_EQ(Run({"produce", "t", "--partition", "0"}, "a\nb\n"), 0);
  Reopen();
  ASSERT_EQ(Run({"consume", "t"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "0\t0\t(null)\t\ta\n0\t1\t(null)\t\tb\n");
  ASSERT_EQ(Run({"topic", "describe", "t"}), 0);
  EXPECT_NE(out_.str().find("config retention.ms=1000"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("  0  0  2  1  "), std::string::npos) << out_.str();
  ASSERT_EQ(Run({"segments", "list", "t"}), 0);
  EXPECT_NE(out_.str().find("topics/t/0/seg_00000000000000000000.bin"), std::string::npos)
      << out_.str();
}

TEST_F(CommandsTest, KeyedRecordsFollowKafkasPartitioner) {
  ASSERT_EQ(Run({"topic", "create", "k", "--partitions", "7"}), 0);
  ASSERT_EQ(Run({"produce", "k", "--key", "foobar", "--value", "v"}), 0) << err_.str();
  // murmur2("foobar") = -790332482 -> (x & 0x7fffffff) % 7
  std::string expected = "to k/" + std::to_string((-790332482 & 0x7fffffff) % 7) + " ";
  EXPECT_NE(out_.str().find(expected), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, ListAndDelete) {
  ASSERT_EQ(Run({"topic", "create", "b"}), 0);
  ASSERT_EQ(Run({"topic", "create", "a"}), 0);
  ASSERT_EQ(Run({"produce", "a", "--partition", "0", "--value", "x"}), 0);
  ASSERT_EQ(Run({"topic", "list"}), 0);
  EXPECT_EQ(out_.str(), "a\nb\n");
  ASSERT_EQ(Run({"topic", "delete", "a"}), 0) << err_.str();
  ASSERT_EQ(Run({"topic", "list"}), 0);
  EXPECT_EQ(out_.str(), "b\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "topics/a/0/seg_00000000000000000000.bin"));
}

TEST_F(CommandsTest, ErrorsAreClearAndNonZero) {
  EXPECT_EQ(Run({"consume", "missing"}), 1);
  EXPECT_NE(err_.str().find("missing"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"produce", "missing", "--value", "x"}), 1);
  EXPECT_EQ(Run({"topic", "describe", "missing"}), 1);
  EXPECT_EQ(Run({"topic", "delete", "missing"}), 1);
  EXPECT_EQ(Run({"topic", "create", "bad/name"}), 2);
  EXPECT_EQ(Run({"topic", "create", "x", "--partitions", "0"}), 2);
  EXPECT_EQ(Run({"topic", "create", "x", "--bogus", "1"}), 2);
  EXPECT_EQ(Run({"frobnicate"}), 2);
  ASSERT_EQ(Run({"topic", "create", "x"}), 0);
  EXPECT_EQ(Run({"topic", "create", "x"}), 1);  // exists
  EXPECT_EQ(Run({"produce", "x", "--partition", "5", "--value", "v"}), 1);
  EXPECT_EQ(Run({"produce", "x", "--partition", "0"}, ""), 2);               // nothing to produce
  EXPECT_EQ(Run({"consume", "x", "--partition", "0", "--offset", "7"}), 1);  // out of range
  EXPECT_NE(err_.str().find("outside"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, CorruptSegmentIsAnErrorNotWrongRecords) {
  ASSERT_EQ(Run({"topic", "create", "c"}), 0);
  ASSERT_EQ(Run({"produce", "c", "--partition", "0"}, "hello\nworld\n"), 0);
  Reopen();  // closing seals the tail into a segment
  auto path = dir_ / "topics/c/0/seg_00000000000000000000.bin";
  ASSERT_TRUE(std::filesystem::exists(path));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);  // inside the first block
    char b = 0;
    f.read(&b, 1);
    f.seekp(40);
    b = static_cast<char>(b ^ 0x5a);
    f.write(&b, 1);
  }
  Reopen();
  EXPECT_EQ(Run({"consume", "c"}), 1);
  EXPECT_NE(err_.str().find("seg_00000000000000000000.bin"), std::string::npos) << err_.str();
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, SecondClientOnSameDirectoryIsRefused) {
  auto second = EmbeddedClient::Open(dir_.string());
  EXPECT_EQ(second.status().code(), ErrorCode::kUnavailable);
}

// streamctl stands in for the agent whose WAL the directory holds.
TEST(EmbeddedAgentIdTest, TheOneAgentWithWalObjectsElseTheDefault) {
  MemoryObjectStore store;
  EXPECT_EQ(EmbeddedClient::AgentIdFor(store, "agent-0").value(), "agent-0");
  ASSERT_TRUE(store.Put(wal::WalObjectKey("blue", 7), Bytes{}).ok());
  ASSERT_TRUE(store.Put("wal/not-a-wal-key", Bytes{}).ok());
  EXPECT_EQ(EmbeddedClient::AgentIdFor(store, "agent-0").value(), "blue");
  ASSERT_TRUE(store.Put(wal::WalObjectKey("green", 1), Bytes{}).ok());
  Result<std::string> several = EmbeddedClient::AgentIdFor(store, "agent-0");
  EXPECT_EQ(several.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(several.status().message().find("blue, green"), std::string::npos);
  EXPECT_NE(several.status().message().find("--bootstrap"), std::string::npos);
}

}  // namespace
}  // namespace sh::cli
