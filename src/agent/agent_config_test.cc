#include "agent/agent_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/clock.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/memory_object_store.h"

namespace sh::agent {
namespace {

using Env = std::map<std::string, std::string>;

class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("agent_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) +
             ".toml");
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

AgentConfig Load(const std::vector<std::string>& args, const Env& env = {}) {
  auto r = LoadAgentConfig(args, env);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->config : AgentConfig{};
}

std::string Error(const std::vector<std::string>& args, const Env& env = {}) {
  auto r = LoadAgentConfig(args, env);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(AgentConfigTest, DefaultsWithNoArguments) {
  AgentConfig c = Load({});
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.agent_id, "agent-0");
  EXPECT_EQ(c.node_id, 0);
  EXPECT_EQ(c.kafka_listen, "127.0.0.1:9092");
  EXPECT_EQ(c.advertised(), "127.0.0.1:9092");
  EXPECT_EQ(c.network_threads, 2);
  EXPECT_EQ(c.blocking_threads, 4);
  EXPECT_EQ(c.max_request_bytes, 104857600);
  EXPECT_TRUE(c.auto_create_topics);
  EXPECT_EQ(c.default_partitions, 1);
  EXPECT_TRUE(c.config_file.empty());
}

TEST(AgentConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  ConfigFile file(
      "data_dir = \"/from/file\"\n"
      "[kafka]\nlisten = \"0.0.0.0:1111\"\nnetwork_threads = 3\nblocking_threads = 5\n"
      "[segment]\nbytes = 5000\n");
  Env env = {{"STREAMHOUSE_KAFKA_LISTEN", "0.0.0.0:2222"},
             {"STREAMHOUSE_KAFKA_NETWORK_THREADS", "6"},
             {"STREAMHOUSE_DATA_DIR", "/from/env"}};
  AgentConfig c = Load({"--config", file.path(), "--kafka-listen", "0.0.0.0:3333"}, env);
  EXPECT_EQ(c.config_file, file.path());
  EXPECT_EQ(c.kafka_listen, "0.0.0.0:3333");          // flag
  EXPECT_EQ(c.network_threads, 6);                    // env over file
  EXPECT_EQ(c.data_dir, "/from/env");                 // env over file
  EXPECT_EQ(c.blocking_threads, 5);                   // file over default
  EXPECT_EQ(c.segment_bytes, 5000);                   // file
  EXPECT_EQ(c.segment_ms, AgentConfig{}.segment_ms);  // default
  EXPECT_EQ(c.advertised(), "0.0.0.0:3333");
}

TEST(AgentConfigTest, ConfigFileFromEnvironment) {
  ConfigFile file("[agent]\nnode_id = 7\n");
  AgentConfig c = Load({}, {{"STREAMHOUSE_CONFIG", file.path()}});
  EXPECT_EQ(c.node_id, 7);
}

TEST(AgentConfigTest, NameMapping) {
  bool saw_data_dir = false, saw_listen = false;
  std::set<std::string> flags, envs;
  for (const SettingInfo& s : AgentSettings()) {
    EXPECT_TRUE(flags.insert(s.flag()).second) << s.flag();
    EXPECT_TRUE(envs.insert(s.env_var()).second) << s.env_var();
    if (s.key == "data_dir") {
      saw_data_dir = true;
      EXPECT_EQ(s.flag(), "--data-dir");
      EXPECT_EQ(s.env_var(), "STREAMHOUSE_DATA_DIR");
    }
    if (s.key == "kafka.max_request_bytes") {
      saw_listen = true;
      EXPECT_EQ(s.flag(), "--kafka-max-request-bytes");
      EXPECT_EQ(s.env_var(), "STREAMHOUSE_KAFKA_MAX_REQUEST_BYTES");
    }
  }
  EXPECT_TRUE(saw_data_dir);
  EXPECT_TRUE(saw_listen);
}

// A valid value of s other than its default.
std::string OtherValue(const SettingInfo& s) {
  std::string def = SettingText(AgentConfig{}, s.key);
  switch (s.type) {
    case SettingType::kInt:
      return std::to_string(std::to_string(s.min) == def ? s.min + 1 : s.min);
    case SettingType::kBool:
      return def == "true" ? "false" : "true";
    case SettingType::kString:
      for (const std::string& c : s.choices) {
        if (c != def) return c;
      }
      return s.host_port ? "10.1.2.3:4567" : "other-value";
  }
  return "";
}

std::string TomlFor(const SettingInfo& s, const std::string& value) {
  std::string literal = s.type == SettingType::kString ? "\"" + value + "\"" : value;
  size_t dot = s.key.find('.');
  if (dot == std::string::npos) return s.key + " = " + literal + "\n";
  return "[" + s.key.substr(0, dot) + "]\n" + s.key.substr(dot + 1) + " = " + literal + "\n";
}

// Every setting can be set through its flag, its variable and its TOML key.
TEST(AgentConfigTest, EverySettingThroughEverySource) {
  for (const SettingInfo& s : AgentSettings()) {
    SCOPED_TRACE(s.key);
    std::string value = OtherValue(s);
    ASSERT_NE(value, SettingText(AgentConfig{}, s.key));
    EXPECT_EQ(SettingText(Load({s.flag() + "=" + value}), s.key), value);
    EXPECT_EQ(SettingText(Load({s.flag(), value}), s.key), value);
    EXPECT_EQ(SettingText(Load({}, {{s.env_var(), value}}), s.key), value);
    ConfigFile file(TomlFor(s, value));
    EXPECT_EQ(SettingText(Load({"--config", file.path()}), s.key), value);
  }
}

TEST(AgentConfigTest, FlagForms) {
  EXPECT_EQ(Load({"--data-dir=/a"}).data_dir, "/a");
  EXPECT_EQ(Load({"--data-dir", "/b"}).data_dir, "/b");
  EXPECT_FALSE(Load({"--topics-auto-create", "false"}).auto_create_topics);
  EXPECT_FALSE(Load({"--topics-auto-create=false"}).auto_create_topics);
  EXPECT_TRUE(Load({"--topics-auto-create=false", "--topics-auto-create"}).auto_create_topics);
  EXPECT_EQ(Load({"--segment-codec", "zstd"}).ToBrokerOptions().segment_codec,
            storage::BlockCodec::kZstd);
  EXPECT_EQ(Load({"--kafka-advertised", "[::1]:9093"}).advertised(), "[::1]:9093");
  auto help = LoadAgentConfig({"--help", "--kafka-network-threads", "junk"}, {});
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->help);
  auto version = LoadAgentConfig({"--version"}, {});
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE(version->version);
}

TEST(AgentConfigTest, BadValuesNameKeyAndSource) {
  std::string e = Error({"--kafka-network-threads", "lots"});
  EXPECT_NE(e.find("kafka.network_threads"), std::string::npos) << e;
  EXPECT_NE(e.find("flag --kafka-network-threads"), std::string::npos) << e;

  e = Error({}, {{"STREAMHOUSE_SEGMENT_CODEC", "gzip"}});
  EXPECT_NE(e.find("segment.codec"), std::string::npos) << e;
  EXPECT_NE(e.find("environment STREAMHOUSE_SEGMENT_CODEC"), std::string::npos) << e;

  ConfigFile file("[kafka]\nnetwork_threads = \"two\"\n");
  e = Error({"--config", file.path()});
  EXPECT_NE(e.find("kafka.network_threads"), std::string::npos) << e;
  EXPECT_NE(e.find(file.path()), std::string::npos) << e;

  EXPECT_NE(Error({"--kafka-network-threads=0"}).find("out of range"), std::string::npos);
  EXPECT_NE(Error({"--kafka-listen", "nowhere"}).find("kafka.listen"), std::string::npos);
  EXPECT_NE(Error({"--kafka-listen", "h:99999"}).find("kafka.listen"), std::string::npos);
  EXPECT_NE(Error({"--topics-auto-create=maybe"}).find("topics.auto_create"), std::string::npos);
  EXPECT_NE(Error({"--topics-message-timestamp-type=Now"}).find("message_timestamp_type"),
            std::string::npos);
  EXPECT_NE(Error({"--log-level=loud"}).find("log.level"), std::string::npos);
  EXPECT_NE(Error({"--retention-ms=-2"}).find("retention.ms"), std::string::npos);
  EXPECT_EQ(Load({"--retention-ms=-1"}).retention_ms, -1);
  EXPECT_NE(Error({"--kafka-listen"}).find("needs a value"), std::string::npos);
  EXPECT_NE(Error({"--config", "/no/such/file.toml"}).find("/no/such/file.toml"),
            std::string::npos);
  ConfigFile broken("[kafka\nlisten = 1\n");
  EXPECT_NE(Error({"--config", broken.path()}).find(broken.path()), std::string::npos);
}

TEST(AgentConfigTest, WalSweepInterval) {
  EXPECT_EQ(Load({}).wal_sweep_interval_ms, 60'000);
  EXPECT_EQ(Load({"--wal-sweep-interval-ms=5000"}).wal_sweep_interval_ms, 5'000);
  EXPECT_NE(Error({"--wal-sweep-interval-ms=999"}).find("wal.sweep_interval_ms"),
            std::string::npos);
}

TEST(AgentConfigTest, UnknownKeysAreErrors) {
  EXPECT_NE(Error({"--kafka-lisen", "x"}).find("--kafka-lisen"), std::string::npos);
  EXPECT_NE(Error({"stray"}).find("stray"), std::string::npos);
  ConfigFile section("[kafka]\nlisten = \"h:1\"\nthreads = 3\n");
  EXPECT_NE(Error({"--config", section.path()}).find("kafka.threads"), std::string::npos);
  ConfigFile top("datadir = \"x\"\n");
  EXPECT_NE(Error({"--config", top.path()}).find("datadir"), std::string::npos);
  ConfigFile nested("[kafka.deep]\nlisten = \"h:1\"\n");
  EXPECT_NE(Error({"--config", nested.path()}).find("kafka.deep"), std::string::npos);
  // Unknown STREAMHOUSE_* variables are other tools' business.
  EXPECT_EQ(Load({}, {{"STREAMHOUSE_SOMETHING_ELSE", "1"}}).data_dir, "./data");
}

TEST(AgentConfigTest, ToBrokerOptionsCarriesEverySetting) {
  AgentConfig c =
      Load({"--agent-id=a7", "--agent-node-id=7", "--topics-auto-create=false",
            "--topics-default-partitions=3", "--segment-bytes=2048", "--segment-ms=11",
            "--retention-ms=12", "--retention-bytes=13", "--topics-max-message-bytes=14",
            "--topics-message-timestamp-type=LogAppendTime", "--topics-cleanup-policy=compact",
            "--segment-codec=none", "--segment-block-bytes=4096", "--segment-flush-ms=15",
            "--cache-bytes=16", "--index-ttl-ms=17", "--lease-ms=1018",
            "--agent-background-interval-ms=19", "--retention-check-interval-ms=20"});
  broker::BrokerOptions o = c.ToBrokerOptions();
  EXPECT_EQ(o.agent_id, "a7");
  EXPECT_EQ(o.node_id, 7);
  EXPECT_FALSE(o.auto_create_topics);
  EXPECT_EQ(o.default_partitions, 3);
  EXPECT_EQ(o.segment_bytes, 2048);
  EXPECT_EQ(o.segment_ms, 11);
  EXPECT_EQ(o.retention_ms, 12);
  EXPECT_EQ(o.retention_bytes, 13);
  EXPECT_EQ(o.max_message_bytes, 14);
  EXPECT_EQ(o.message_timestamp_type, "LogAppendTime");
  EXPECT_EQ(o.cleanup_policy, "compact");
  EXPECT_EQ(o.segment_codec, storage::BlockCodec::kNone);
  EXPECT_EQ(o.block_bytes, 4096u);
  EXPECT_EQ(o.flush_ms, 15);
  EXPECT_EQ(o.cache_bytes, 16u);
  EXPECT_EQ(o.index_ttl_ms, 17);
  EXPECT_EQ(o.lease_ms, 1018);
  EXPECT_EQ(o.background_interval_ms, 19);
  EXPECT_EQ(o.retention_check_interval_ms, 20);
}

// Every setting that feeds an option struct has that struct's default: the
// option structs the defaults turn into are the default-constructed ones
// (whole structs, so a field added to one is covered too).
TEST(AgentConfigTest, DefaultsAreTheOptionStructsDefaults) {
  AgentConfig c;
  EXPECT_TRUE(c.ToBrokerOptions() == broker::BrokerOptions{});
  EXPECT_TRUE(c.ToServerOptions() == kafka::ServerOptions{});
  EXPECT_TRUE(c.ToGroupOptions() == kafka::group::GroupCoordinatorOptions{});
  // Who the agent is (id, address, zone) is the agent's own; the timings are
  // the cluster loop's.
  ClusterLoopOptions expected;
  expected.membership.agent_id = c.agent_id;
  expected.membership.node_id = static_cast<int32_t>(c.node_id);
  expected.membership.address = c.advertised();
  EXPECT_TRUE(c.ToClusterLoopOptions() == expected);
  EXPECT_EQ(c.metadata_pool_size, PostgresOptions{}.pool_size);
  EXPECT_EQ(c.s3_request_timeout_ms, S3Options{}.request_timeout_ms);
  EXPECT_EQ(c.s3_max_retries, S3Options{}.max_retries);
  EXPECT_EQ(c.s3_path_style, S3Options{}.path_style);
}

// Both ends of every integer setting's range are accepted by the broker the
// settings feed (so the agent never admits a value the broker refuses at
// start-up, as topics.default_partitions once did: 100,000 against 10,000).
TEST(AgentConfigTest, EveryRangeEndOpensABroker) {
  ManualClock clock(1'000'000);
  for (const SettingInfo& s : AgentSettings()) {
    if (s.type != SettingType::kInt) continue;
    for (int64_t v : {s.min, s.max}) {
      std::string flag = s.flag() + "=" + std::to_string(v);
      AgentConfig c = Load({flag});
      auto md = SqliteMetadataStore::Open(":memory:", &clock);
      ASSERT_TRUE(md.ok()) << md.status().ToString();
      MemoryObjectStore objects;
      auto b = broker::Broker::Open(c.ToBrokerOptions(), **md, objects, clock);
      EXPECT_TRUE(b.ok()) << flag << ": " << b.status().ToString();
    }
  }
}

TEST(AgentConfigTest, HelpListsEverySetting) {
  std::string help = AgentHelp();
  for (const SettingInfo& s : AgentSettings()) {
    EXPECT_NE(help.find(s.flag() + " "), std::string::npos) << s.flag();
    EXPECT_NE(help.find(s.env_var()), std::string::npos) << s.env_var();
    EXPECT_NE(help.find(s.help), std::string::npos) << s.key;
  }
}

TEST(AgentConfigTest, DocsListEverySetting) {
  std::ifstream in(std::string(SH_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  EXPECT_NE(doc.find(SettingsMarkdownTable()), std::string::npos)
      << "docs/configuration.md must hold this table:\n"
      << SettingsMarkdownTable();
  for (const SettingInfo& s : AgentSettings()) {
    EXPECT_NE(doc.find("`" + s.key + "`"), std::string::npos) << s.key;
    EXPECT_NE(doc.find("`" + s.flag() + "`"), std::string::npos) << s.flag();
    EXPECT_NE(doc.find("`" + s.env_var() + "`"), std::string::npos) << s.env_var();
    EXPECT_NE(doc.find(s.default_text), std::string::npos) << s.key << " default";
  }
}

}  // namespace
}  // namespace sh::agent
