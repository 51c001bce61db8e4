// streamctl agents list / leases list on a SQLite metadata store, read both
// through a data directory (EmbeddedClient) and through --metadata-url
// sqlite://... (MetadataClient), at a fixed "now" so the ages and expiries
// are exact. Over --bootstrap: streamctl_bootstrap_test.sh; on PostgreSQL:
// streamctl_postgres_test.
#include "cli/cluster_commands.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "cli/commands.h"
#include "cli/embedded_client.h"
#include "cli/metadata_client.h"
#include "metadata/sqlite_metadata_store.h"

namespace sh::cli {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

class ClusterCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("streamctl_cluster_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    FillStore();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string DbPath() const { return (dir_ / "metadata.db").string(); }

  // Three agents (one fresh, one silent for 7 s, one for 2 min and without a
  // node id); topics orders (3 partitions) and clicks (1). Leases: orders/0
  // held by agent-a, orders/1 expired (agent-b, epoch 2 after agent-a had
  // it), orders/2 never leased, clicks/0 held by agent-b.
  void FillStore() {
    auto opened = SqliteMetadataStore::Open(DbPath());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    MetadataStore& store = **opened;
    ASSERT_TRUE(
        store.UpsertAgent({"agent-b", "10.0.0.2:9092", "eu-1b", kNow - 3'600'000, kNow - 500, 2})
            .ok());
    ASSERT_TRUE(
        store.UpsertAgent({"agent-a", "10.0.0.1:9092", "", kNow - 7'200'000, kNow - 7'000, 1})
            .ok());
    ASSERT_TRUE(
        store.UpsertAgent({"agent-c", "10.0.0.3:9092", "eu-1c", kNow - 600'000, kNow - 120'000, -1})
            .ok());
    ASSERT_TRUE(store.CreateTopic({"orders", 3, "{}", kNow}).ok());
    ASSERT_TRUE(store.CreateTopic({"clicks", 1, "{}", kNow}).ok());
    ASSERT_TRUE(store.AcquireLease("orders", 0, "agent-a", kNow - 1'000, 5'000).ok());
    ASSERT_TRUE(store.AcquireLease("orders", 1, "agent-a", kNow - 30'000, 5'000).ok());
    auto taken = store.AcquireLease("orders", 1, "agent-b", kNow - 20'000, 5'000);
    ASSERT_TRUE(taken.ok()) << taken.status().ToString();
    ASSERT_EQ(taken->leader_epoch, 2);
    ASSERT_TRUE(store.AcquireLease("clicks", 0, "agent-b", kNow, 10'000).ok());
  }

  // Runs "streamctl ARGS" on client at kNow; returns OK or the error.
  Status Run(StreamClient& client, std::vector<std::string> args) {
    std::vector<char*> argv;
    static char prog[] = "streamctl";
    argv.push_back(prog);
    for (std::string& a : args) argv.push_back(a.data());
    auto cmd = CommandLine::Parse(static_cast<int>(argv.size()), argv.data(), BoolFlags());
    if (!cmd.ok()) return cmd.status();
    out_.str("");
    ManualClock clock(kNow);
    return RunClusterCommand(client, *cmd, out_, clock);
  }

  // Both ways of reading the store: a data directory and --metadata-url.
  void ForEachClient(const std::function<void(StreamClient&)>& check) {
    {
      auto embedded = EmbeddedClient::Open(dir_.string());
      ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
      SCOPED_TRACE("data directory");
      check(**embedded);
    }
    auto by_url = MetadataClient::Open("sqlite://" + DbPath());
    ASSERT_TRUE(by_url.ok()) << by_url.status().ToString();
    SCOPED_TRACE("--metadata-url");
    check(**by_url);
  }

  std::filesystem::path dir_;
  std::ostringstream out_;
};

TEST_F(ClusterCommandsTest, AgentsListShowsLivenessAndPartitionsLed) {
  ForEachClient([&](StreamClient& client) {
    ASSERT_TRUE(Run(client, {"agents", "list"}).ok());
    // agent-a leads orders/0; agent-b clicks/0 (its orders/1 lease expired).
    EXPECT_EQ(out_.str(),
              "agent_id  node_id  address  zone  started_at  heartbeat_age  state  leads\n"
              "agent-a  1  10.0.0.1:9092  -  2023-11-14T20:13:20Z  7000ms  gone  1\n"
              "agent-b  2  10.0.0.2:9092  eu-1b  2023-11-14T21:13:20Z  500ms  live  1\n"
              "agent-c  -  10.0.0.3:9092  eu-1c  2023-11-14T22:03:20Z  120s  gone  0\n");
  });
}

TEST_F(ClusterCommandsTest, AgentTimeoutDecidesLiveOrGone) {
  ForEachClient([&](StreamClient& client) {
    ASSERT_TRUE(Run(client, {"agents", "list", "--agent-timeout-ms", "7001"}).ok());
    EXPECT_NE(out_.str().find("\nagent-a  1  10.0.0.1:9092  -  2023-11-14T20:13:20Z  7000ms  live"),
              std::string::npos)
        << out_.str();
    ASSERT_TRUE(Run(client, {"agents", "list", "--agent-timeout-ms", "500"}).ok());
    EXPECT_NE(
        out_.str().find("\nagent-b  2  10.0.0.2:9092  eu-1b  2023-11-14T21:13:20Z  500ms  gone"),
        std::string::npos)
        << out_.str();
    EXPECT_EQ(Run(client, {"agents", "list", "--agent-timeout-ms", "0"}).code(),
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(Run(client, {"agents", "list", "--agent-timeout-ms", "soon"}).code(),
              ErrorCode::kInvalidArgument);
  });
}

TEST_F(ClusterCommandsTest, LeasesListShowsEveryPartition) {
  ForEachClient([&](StreamClient& client) {
    ASSERT_TRUE(Run(client, {"leases", "list"}).ok());
    EXPECT_EQ(out_.str(),
              "topic  partition  leader  epoch  expires_in  state\n"
              "clicks  0  agent-b  1  10000ms  held\n"
              "orders  0  agent-a  1  4000ms  held\n"
              "orders  1  agent-b  2  -15000ms  expired\n"
              "orders  2  -  -  -  none\n");
  });
}

TEST_F(ClusterCommandsTest, LeasesListOfOneTopic) {
  ForEachClient([&](StreamClient& client) {
    ASSERT_TRUE(Run(client, {"leases", "list", "clicks"}).ok());
    EXPECT_EQ(out_.str(),
              "topic  partition  leader  epoch  expires_in  state\n"
              "clicks  0  agent-b  1  10000ms  held\n");
    EXPECT_EQ(Run(client, {"leases", "list", "nosuch"}).code(), ErrorCode::kNotFound);
    EXPECT_EQ(Run(client, {"leases", "list", "a", "b"}).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(Run(client, {"leases", "list", "--bogus", "1"}).code(), ErrorCode::kInvalidArgument);
  });
}

TEST_F(ClusterCommandsTest, RunCommandDispatchesClusterCommands) {
  auto client = MetadataClient::Open("sqlite://" + DbPath());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::vector<std::string> args = {"streamctl", "leases", "list", "orders"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  auto cmd = CommandLine::Parse(static_cast<int>(argv.size()), argv.data(), BoolFlags());
  ASSERT_TRUE(cmd.ok());
  std::istringstream in;
  std::ostringstream out, err;
  ASSERT_EQ(RunCommand(**client, *cmd, in, out, err), 0) << err.str();
  // The real clock: only the rows that do not depend on it.
  EXPECT_NE(out.str().find("\norders  2  -  -  -  none\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("\norders  1  agent-b  2  -"), std::string::npos) << out.str();
}

TEST_F(ClusterCommandsTest, MetadataUrlIsReadOnly) {
  auto client = MetadataClient::Open("sqlite://" + DbPath());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto topics = (*client)->ListTopics();
  ASSERT_TRUE(topics.ok());
  EXPECT_EQ(*topics, (std::vector<std::string>{"clicks", "orders"}));
  auto d = (*client)->DescribeTopic("orders");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->partition_count, 3);
  EXPECT_EQ((*client)->CreateTopic("x", 1, {}).code(), ErrorCode::kUnsupported);
  EXPECT_EQ((*client)->Produce("orders", 0, ByteView()).status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ((*client)->DeleteTopic("orders").code(), ErrorCode::kUnsupported);
  EXPECT_EQ((*client)->ListSegments("orders", 7).status().code(), ErrorCode::kNotFound);
}

TEST_F(ClusterCommandsTest, MetadataUrlErrors) {
  EXPECT_EQ(MetadataClient::Open("sqlite://" + (dir_ / "missing.db").string()).status().code(),
            ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "missing.db"));
  EXPECT_EQ(MetadataClient::Open("mysql://x").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MetadataClient::Open("").status().code(), ErrorCode::kInvalidArgument);
}

TEST(FormatUtcTest, Iso8601) {
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(kNow + 999), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace sh::cli
