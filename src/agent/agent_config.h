// AgentConfig: every setting of the streamhouse agent, and where it came from.
//
// Each setting has a key "section.name" (or "name" for a top-level one) and
// may be given, highest precedence first, as
//   a flag          --section-name VALUE   (or --section-name=VALUE)
//   an environment  STREAMHOUSE_SECTION_NAME=VALUE
//   a TOML file     [section] name = VALUE  (--config FILE or STREAMHOUSE_CONFIG)
//   or left at its default.
// Dots and underscores become dashes in flags ("kafka.listen" -> --kafka-listen,
// "data_dir" -> --data-dir); dots and dashes become underscores in environment
// names. The table in agent_config.cc (AgentSettings) drives the parsing,
// --help and docs/configuration.md, so the three cannot drift apart.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "broker/broker.h"

namespace sh::agent {

struct AgentConfig {
  std::string config_file;  // the TOML file read, if any

  std::string data_dir = "./data";
  std::string agent_id = "agent-0";
  int64_t node_id = 0;
  int64_t background_interval_ms = 100;
  int64_t retention_check_interval_ms = 60'000;

  std::string kafka_listen = "127.0.0.1:9092";
  std::string kafka_advertised;  // empty: the same as kafka_listen
  int64_t network_threads = 2;
  int64_t blocking_threads = 4;
  int64_t max_request_bytes = 104857600;
  int64_t idle_timeout_ms = 600'000;
  int64_t max_in_flight = 64;
  int64_t shutdown_grace_ms = 10'000;

  bool auto_create_topics = true;
  int64_t default_partitions = 1;
  int64_t max_message_bytes = 1048588;
  std::string message_timestamp_type = "CreateTime";
  std::string cleanup_policy = "delete";

  int64_t segment_bytes = 64ll << 20;
  int64_t segment_ms = 7ll * 24 * 3600 * 1000;
  std::string segment_codec = "lz4";
  int64_t segment_block_bytes = 1 << 20;
  int64_t segment_flush_ms = 1000;
  int64_t wal_flush_interval_ms = 0;
  int64_t wal_max_bytes = 8ll << 20;
  int64_t wal_put_timeout_ms = 10'000;
  int64_t wal_sweep_interval_ms = 60'000;  // cluster mode (docs/cluster.md)
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;
  int64_t retention_bytes = -1;
  int64_t cache_bytes = 256ll << 20;
  int64_t metadata_cache_entries = 10'000;
  int64_t metadata_cache_ttl_ms = 5'000;
  int64_t index_ttl_ms = 30'000;
  int64_t lease_ms = 8'000;
  int64_t lease_safety_margin_ms = 1'000;
  std::string log_level = "info";

  // Backends (docs/deployment.md). Empty URLs mean the embedded defaults:
  // sqlite://DATA_DIR/metadata.db and file://DATA_DIR.
  std::string metadata_url;
  int64_t metadata_pool_size = 8;
  std::string storage_url;
  std::string s3_endpoint;  // empty: AWS (https://s3.REGION.amazonaws.com)
  std::string s3_region;    // empty: $AWS_REGION, else us-east-1
  bool s3_path_style = false;
  std::string s3_access_key_id;      // empty: $AWS_ACCESS_KEY_ID
  std::string s3_secret_access_key;  // empty: $AWS_SECRET_ACCESS_KEY
  int64_t s3_request_timeout_ms = 30'000;
  int64_t s3_max_retries = 5;

  // Several agents on one metadata store and object store (docs/cluster.md).
  bool cluster_enabled = false;
  std::string agent_zone;
  int64_t cluster_heartbeat_interval_ms = 1'000;
  int64_t cluster_agent_timeout_ms = 6'000;
  int64_t cluster_balance_interval_ms = 500;

  // Consumer groups (docs/consumer-groups.md).
  int64_t group_initial_rebalance_delay_ms = 300;
  int64_t group_min_session_timeout_ms = 6'000;
  int64_t group_max_session_timeout_ms = 1'800'000;
  int64_t group_max_size = 0;
  int64_t offsets_retention_ms = 7ll * 24 * 3600 * 1000;
  int64_t offsets_retention_check_interval_ms = 600'000;

  // metadata_url, or the embedded default under data_dir.
  std::string effective_metadata_url() const {
    return metadata_url.empty() ? "sqlite://" + data_dir + "/metadata.db" : metadata_url;
  }
  // storage_url, or the embedded default (data_dir).
  std::string effective_storage_url() const {
    return storage_url.empty() ? "file://" + data_dir : storage_url;
  }

  // kafka_advertised, or kafka_listen when that is empty.
  std::string advertised() const {
    return kafka_advertised.empty() ? kafka_listen : kafka_advertised;
  }
  broker::BrokerOptions ToBrokerOptions() const;
};

enum class SettingType { kString, kInt, kBool };

// One row of the settings table.
struct SettingInfo {
  std::string key;  // "kafka.listen"
  SettingType type;
  std::string default_text;  // as --help and the docs show it
  std::string help;
  int64_t min = 0, max = 0;          // integers: the accepted range
  std::vector<std::string> choices;  // strings: the accepted values; empty: any
  bool host_port = false;            // strings: HOST:PORT
  std::string flag() const;          // "--kafka-listen"
  std::string env_var() const;       // "STREAMHOUSE_KAFKA_LISTEN"
};

// Every setting, in the order --help lists them.
std::vector<SettingInfo> AgentSettings();

// The value of setting `key` in `config` as text ("" for an unknown key).
std::string SettingText(const AgentConfig& config, const std::string& key);

struct CommandLineResult {
  AgentConfig config;
  bool help = false;     // --help / -h
  bool version = false;  // --version
};

// Builds the configuration from flags (args without the program name), the
// environment (only STREAMHOUSE_* entries matter) and the TOML file named by
// --config or STREAMHOUSE_CONFIG. InvalidArgument naming the key and its
// source for a bad value, an unknown flag or an unknown key in the file.
Result<CommandLineResult> LoadAgentConfig(const std::vector<std::string>& args,
                                          const std::map<std::string, std::string>& env);

// The STREAMHOUSE_* variables of this process.
std::map<std::string, std::string> ProcessEnvironment();

// streamhouse --help.
std::string AgentHelp();

// The settings as the Markdown table in docs/configuration.md (a test checks
// that the page holds exactly this table).
std::string SettingsMarkdownTable();

// Splits "host:port" ("[::1]:9092" for IPv6). InvalidArgument otherwise.
Status ParseHostPort(const std::string& text, std::string* host, uint16_t* port);

}  // namespace sh::agent
