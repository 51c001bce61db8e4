// streamctl's group commands on a data directory (no agent, so no members):
// the offsets committed in the metadata store, described, reset and deleted.
// The same commands against a running agent with live members are covered by
// streamctl_group_test.sh.
#include "cli/group_commands.h"

#include <gtest/gtest.h>

#include "cli/commands_test_fixture.h"
#include "cli/consumer_assignment.h"
#include "records/record_batch.h"

namespace sh::cli {
namespace {

class GroupCommandsTest : public CommandsTest {
 protected:
  // Topic "orders": partition 0 holds three records stamped 1000, 2000 and
  // 3000 ms; partition 1 one record stamped 5000.
  void MakeOrders() {
    ASSERT_EQ(Run({"topic", "create", "orders", "--partitions", "2"}), 0) << err_.str();
    Append(0, {1000, 2000, 3000});
    Append(1, {5000});
  }
  void Append(int32_t partition, const std::vector<int64_t>& timestamps) {
    records::BatchBuilder builder(records::BatchOptions{});
    for (int64_t ts : timestamps) builder.Add(std::nullopt, "v" + std::to_string(ts), ts, {});
    auto batch = builder.Build();
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_TRUE(client_->Produce("orders", partition, *batch).ok());
  }
};

TEST_F(GroupCommandsTest, ListAndDescribeCommittedOffsets) {
  MakeOrders();
  ASSERT_EQ(Run({"group", "list"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "group_id  state  protocol_type\n");
  // What a consumer would have committed through an agent.
  ASSERT_TRUE(
      client_->CommitOffsets("billing", {{"orders", 0, 1, "m0"}, {"orders", 1, 1, ""}}).ok());
  ASSERT_TRUE(client_->CommitOffsets("audit", {{"orders", 0, 3, ""}}).ok());
  Reopen();  // committed offsets are stored, not kept in the client
  ASSERT_EQ(Run({"group", "list"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "group_id  state  protocol_type\n"
            "audit  Empty  consumer\n"
            "billing  Empty  consumer\n");
  ASSERT_EQ(Run({"group", "describe", "billing"}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "group billing  state Empty  protocol_type consumer  members 0\n"
            "  member_id  client_id  host  assignment\n"
            "  topic  partition  committed_offset  log_end_offset  lag  metadata\n"
            "  orders  0  1  3  2  m0\n"
            "  orders  1  1  1  0  \n");
}

TEST_F(GroupCommandsTest, ResetOffsetsEveryWay) {
  MakeOrders();
  ASSERT_TRUE(client_->CommitOffsets("g", {{"orders", 0, 2, "old"}}).ok());
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-earliest"}), 0)
      << err_.str();
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n"
            "  partition  new_offset\n"
            "  0  0\n"
            "  1  0\n");
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-latest"}), 0);
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n  partition  new_offset\n"
            "  0  3\n  1  1\n");
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--partition", "0",
                 "--to-offset", "1"}),
            0);
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n  partition  new_offset\n"
            "  0  1\n");
  ASSERT_EQ(Run({"group", "describe", "g"}), 0);
  EXPECT_NE(out_.str().find("  orders  0  1  3  2  \n"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("  orders  1  1  1  0  \n"), std::string::npos) << out_.str();

  // Outside the log: clamped, and the output says so.
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-offset", "99"}), 0);
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n  partition  new_offset\n"
            "  0  3  (asked 99: clamped to the log end 3)\n"
            "  1  1  (asked 99: clamped to the log end 1)\n");
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--partition", "0",
                 "--to-offset", "-4"}),
            0);
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n  partition  new_offset\n"
            "  0  0  (asked -4: clamped to the log start 0)\n");
}

TEST_F(GroupCommandsTest, ResetToDatetimeFindsFirstRecordAtOrAfter) {
  MakeOrders();
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-datetime", "2000"}), 0)
      << err_.str();
  // Partition 0: the record stamped 2000 is offset 1; partition 1: 5000 >= 2000, offset 0.
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n  partition  new_offset\n"
            "  0  1\n  1  0\n");
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-datetime",
                 "1970-01-01T00:00:02.500Z"}),
            0);
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n  partition  new_offset\n"
            "  0  2\n  1  0\n");
  // After every record of partition 0: its log end.
  ASSERT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-datetime", "4000"}), 0);
  EXPECT_EQ(out_.str(),
            "group g  topic orders: offsets reset\n  partition  new_offset\n"
            "  0  3  (no record at or after that time: the log end)\n  1  0\n");
}

TEST_F(GroupCommandsTest, DeleteGroup) {
  MakeOrders();
  ASSERT_TRUE(client_->CommitOffsets("g", {{"orders", 0, 2, ""}}).ok());
  ASSERT_EQ(Run({"group", "delete", "g"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "deleted group g\n");
  ASSERT_EQ(Run({"group", "list"}), 0);
  EXPECT_EQ(out_.str(), "group_id  state  protocol_type\n");
  EXPECT_EQ(Run({"group", "delete", "g"}), 1);
  EXPECT_NE(err_.str().find("group g does not exist"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"group", "describe", "g"}), 1);
  EXPECT_NE(err_.str().find("group g does not exist"), std::string::npos) << err_.str();
}

TEST_F(GroupCommandsTest, BadUsageAndErrors) {
  MakeOrders();
  EXPECT_EQ(Run({"group", "frobnicate"}), 2);
  EXPECT_EQ(Run({"group", "describe"}), 2);                                 // no name
  EXPECT_EQ(Run({"group", "reset-offsets", "g", "--to-earliest"}), 2);      // no topic
  EXPECT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders"}), 2);  // no mode
  EXPECT_EQ(
      Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-earliest", "--to-latest"}), 2);
  EXPECT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--to-datetime", "yesterday"}),
            2);
  EXPECT_NE(err_.str().find("ISO-8601"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"group", "reset-offsets", "g", "--topic", "nosuch", "--to-earliest"}), 1);
  EXPECT_EQ(Run({"group", "reset-offsets", "g", "--topic", "orders", "--partition", "5",
                 "--to-earliest"}),
            1);
  // Nothing was committed by the failed resets.
  ASSERT_EQ(Run({"group", "list"}), 0);
  EXPECT_EQ(out_.str(), "group_id  state  protocol_type\n");
}

TEST(ParseDateTimeTest, IsoAndEpochMillis) {
  EXPECT_EQ(*ParseDateTime("2026-11-26T10:00:00Z"), 1795687200000);
  EXPECT_EQ(*ParseDateTime("2026-11-26T11:00:00.250+01:00"), 1795687200250);
  EXPECT_EQ(*ParseDateTime("2026-11-26T09:30:00-00:30"), 1795687200000);
  EXPECT_EQ(*ParseDateTime("1795687200000"), 1795687200000);
  for (const char* bad : {"", "2026-11-26", "2026-11-26T10:00:00", "2026-13-01T00:00:00Z",
                          "2026-11-26T10:00:00Zjunk", "-5", "12ab"}) {
    EXPECT_EQ(ParseDateTime(bad).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(ConsumerAssignmentTest, RoundTripAndDamage) {
  std::vector<AssignedPartitions> assignment = {{"orders", {0, 2}}, {"clicks", {1}}};
  Bytes bytes = EncodeConsumerAssignment(assignment);
  auto parsed = ParseConsumerAssignment(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, assignment);
  EXPECT_TRUE(ParseConsumerAssignment({})->empty());  // a member not yet synced
  // Version 1 with user data "ab" (as librdkafka's sticky assignor may send).
  Bytes v1 = {0, 1, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 2, 'a', 'b'};
  auto with_user_data = ParseConsumerAssignment(v1);
  ASSERT_TRUE(with_user_data.ok()) << with_user_data.status().ToString();
  EXPECT_EQ(*with_user_data, (std::vector<AssignedPartitions>{{"t", {7}}}));
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    Bytes damaged(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_EQ(ParseConsumerAssignment(damaged).status().code(), ErrorCode::kCorruption) << cut;
  }
  Bytes huge_count = {0, 0, 0x7f, 0xff, 0xff, 0xff};
  EXPECT_EQ(ParseConsumerAssignment(huge_count).status().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace sh::cli
