// The streamctl binary reading a PostgreSQL metadata store with
// --metadata-url: rows written through the store (agents, topics, leases, a
// group) must come out of agents list, leases list, topic list/describe and
// group list, and writes must be refused. Needs a server: run as
//   tests/support/servers.py run --postgres -- streamctl_postgres_test
// (SH_TEST_POSTGRES_URL); fails, not skips, without it. Times are far from
// the thresholds (minutes, not seconds) so a slow machine cannot flip them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>

#include "base/clock.h"
#include "cli/cluster_commands.h"
#include "metadata/postgres_metadata_store.h"

#ifndef STREAMCTL_PATH
#error "STREAMCTL_PATH must name the streamctl binary"
#endif

namespace sh {
namespace {

struct Output {
  int exit_code = -1;
  std::string out;
};

// Runs streamctl --metadata-url url ARGS, stdout captured, stderr to ours.
Output Streamctl(const std::string& url, const std::string& args) {
  std::string command = std::string(STREAMCTL_PATH) + " --metadata-url '" + url + "' " + args;
  Output result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Whether text matches pattern (ECMAScript) as a whole.
bool Matches(const std::string& text, const std::string& pattern) {
  return std::regex_match(text, std::regex(pattern));
}

class StreamctlPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("SH_TEST_POSTGRES_URL");
    ASSERT_TRUE(url != nullptr && *url != '\0')
        << "SH_TEST_POSTGRES_URL is not set; run this test as "
           "tests/support/servers.py run --postgres -- streamctl_postgres_test";
    url_ = url;
    PostgresOptions options;
    options.url = url_;
    options.pool_size = 2;
    auto store = OpenPostgresMetadataStore(options);  // schema public, as streamctl reads it
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    // A rerun against the same server starts from the same rows.
    for (const char* agent : {"pg-agent-1", "pg-agent-2"}) {
      Status st = store_->RemoveAgent(agent);
      ASSERT_TRUE(st.ok() || st.code() == ErrorCode::kNotFound) << st.ToString();
    }
    for (const char* topic : {"pg-orders", "pg-clicks"}) {
      Status st = store_->DeleteTopic(topic);
      ASSERT_TRUE(st.ok() || st.code() == ErrorCode::kNotFound) << st.ToString();
    }
  }

  std::string url_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(StreamctlPostgresTest, ListsAgentsLeasesTopicsAndGroups) {
  const int64_t now = SystemClock::Get()->NowMs();
  ASSERT_TRUE(
      store_->UpsertAgent({"pg-agent-1", "127.0.0.1:9092", "zone-a", now - 60'000, now - 1'000, 1})
          .ok());
  ASSERT_TRUE(store_
                  ->UpsertAgent({"pg-agent-2", "127.0.0.1:9093", "zone-b", now - 7'200'000,
                                 now - 3'600'000, 2})
                  .ok());
  ASSERT_TRUE(store_->CreateTopic({"pg-orders", 2, "{\"retention.ms\":\"1000\"}", now}).ok());
  ASSERT_TRUE(store_->CreateTopic({"pg-clicks", 1, "{}", now}).ok());
  // pg-orders/0: agent 1 holds it for ten minutes; pg-orders/1: agent 2's
  // lease ran out ten minutes ago; pg-clicks/0: never leased.
  ASSERT_TRUE(store_->AcquireLease("pg-orders", 0, "pg-agent-1", now, 600'000).ok());
  ASSERT_TRUE(store_->AcquireLease("pg-orders", 1, "pg-agent-2", now - 1'200'000, 600'000).ok());
  ASSERT_TRUE(store_->CommitOffsets({{"pg-billing", "pg-orders", 0, 0, "", now}}).ok());

  Output agents = Streamctl(url_, "agents list --agent-timeout-ms 600000");
  ASSERT_EQ(agents.exit_code, 0) << agents.out;
  EXPECT_TRUE(Matches(agents.out,
                      "agent_id  node_id  address  zone  started_at  heartbeat_age  state  leads\n"
                      "pg-agent-1  1  127\\.0\\.0\\.1:9092  zone-a  " +
                          cli::FormatUtc(now - 60'000) +
                          "  [0-9]+ms  live  1\n"
                          "pg-agent-2  2  127\\.0\\.0\\.1:9093  zone-b  " +
                          cli::FormatUtc(now - 7'200'000) + "  [0-9]+s  gone  0\n"))
      << agents.out;

  Output leases = Streamctl(url_, "leases list");
  ASSERT_EQ(leases.exit_code, 0) << leases.out;
  EXPECT_TRUE(Matches(leases.out,
                      "topic  partition  leader  epoch  expires_in  state\n"
                      "pg-clicks  0  -  -  -  none\n"
                      "pg-orders  0  pg-agent-1  1  [0-9]+ms  held\n"
                      "pg-orders  1  pg-agent-2  1  -[0-9]+ms  expired\n"))
      << leases.out;
  Output one = Streamctl(url_, "leases list pg-clicks");
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_EQ(one.out,
            "topic  partition  leader  epoch  expires_in  state\npg-clicks  0  -  -  -  none\n");
  EXPECT_EQ(Streamctl(url_, "leases list pg-nosuch 2>/dev/null").exit_code, 1);

  Output topics = Streamctl(url_, "topic list");
  EXPECT_EQ(topics.exit_code, 0);
  EXPECT_EQ(topics.out, "pg-clicks\npg-orders\n");
  Output describe = Streamctl(url_, "topic describe pg-orders");
  EXPECT_EQ(describe.exit_code, 0);
  EXPECT_NE(describe.out.find("topic pg-orders  partitions 2\n  config retention.ms=1000\n"),
            std::string::npos)
      << describe.out;
  Output groups = Streamctl(url_, "group list");
  EXPECT_EQ(groups.exit_code, 0);
  EXPECT_EQ(groups.out, "group_id  state  protocol_type\npg-billing  Empty  consumer\n");

  // Read-only: a write is refused and changes nothing.
  EXPECT_EQ(Streamctl(url_, "topic create pg-new --partitions 1 2>/dev/null").exit_code, 1);
  EXPECT_EQ(store_->GetTopic("pg-new").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Streamctl(url_, "--data-dir /nonexistent topic list 2>/dev/null").exit_code, 2);
}

TEST(StreamctlPostgresUrlTest, UnreachableServerFails) {
  // Port 1 on loopback: nothing listens there.
  Output out = Streamctl("postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2",
                         "agents list 2>/dev/null");
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.out, "");
}

}  // namespace
}  // namespace sh
