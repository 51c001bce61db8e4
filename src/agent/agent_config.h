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

#include "agent/cluster_loop_options.h"
#include "base/status.h"
#include "broker/broker.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/server.h"
#include "metadata/postgres_metadata_store.h"
#include "objstore/s3_object_store.h"
#include "storage/segment_format.h"

namespace sh::agent {

// The option structs the settings feed, as their own defaults leave them.
// Every setting that feeds an option struct takes its default from there, so
// a default is written once, next to the code that uses it; only the
// settings no option struct holds (data_dir, log.level, the metadata cache,
// the backends' URLs) have their defaults written below.
namespace option_defaults {
inline const broker::BrokerOptions& Broker() {
  static const broker::BrokerOptions o;
  return o;
}
inline const kafka::ServerOptions& Server() {
  static const kafka::ServerOptions o;
  return o;
}
inline const kafka::group::GroupCoordinatorOptions& Groups() {
  static const kafka::group::GroupCoordinatorOptions o;
  return o;
}
inline const ClusterLoopOptions& ClusterLoop() {
  static const ClusterLoopOptions o;
  return o;
}
inline const PostgresOptions& Postgres() {
  static const PostgresOptions o;
  return o;
}
inline const S3Options& S3() {
  static const S3Options o;
  return o;
}
}  // namespace option_defaults

struct AgentConfig {
  std::string config_file;  // the TOML file read, if any

  std::string data_dir = "./data";
  std::string agent_id = option_defaults::Broker().agent_id;
  int64_t node_id = option_defaults::Broker().node_id;
  int64_t background_interval_ms = option_defaults::Broker().background_interval_ms;
  int64_t retention_check_interval_ms = option_defaults::Broker().retention_check_interval_ms;

  std::string kafka_listen =
      option_defaults::Server().host + ":" + std::to_string(option_defaults::Server().port);
  std::string kafka_advertised;  // empty: the same as kafka_listen
  int64_t network_threads = option_defaults::Server().network_threads;
  int64_t blocking_threads = option_defaults::Server().blocking_threads;
  int64_t max_request_bytes = option_defaults::Server().max_request_bytes;
  int64_t idle_timeout_ms = option_defaults::Server().idle_timeout_ms;
  int64_t max_in_flight = static_cast<int64_t>(option_defaults::Server().max_in_flight);
  int64_t shutdown_grace_ms = option_defaults::Server().shutdown_grace_ms;

  bool auto_create_topics = option_defaults::Broker().auto_create_topics;
  int64_t default_partitions = option_defaults::Broker().default_partitions;
  int64_t max_message_bytes = option_defaults::Broker().max_message_bytes;
  std::string message_timestamp_type = option_defaults::Broker().message_timestamp_type;
  std::string cleanup_policy = option_defaults::Broker().cleanup_policy;

  int64_t segment_bytes = option_defaults::Broker().segment_bytes;
  int64_t segment_ms = option_defaults::Broker().segment_ms;
  std::string segment_codec = storage::BlockCodecName(option_defaults::Broker().segment_codec);
  int64_t segment_block_bytes = static_cast<int64_t>(option_defaults::Broker().block_bytes);
  int64_t segment_flush_ms = option_defaults::Broker().flush_ms;
  int64_t wal_flush_interval_ms = option_defaults::Broker().wal_flush_interval_ms;
  int64_t wal_max_bytes = static_cast<int64_t>(option_defaults::Broker().wal_max_bytes);
  int64_t wal_put_timeout_ms = option_defaults::Broker().wal_put_timeout_ms;
  // Cluster mode (docs/cluster.md).
  int64_t wal_sweep_interval_ms = option_defaults::ClusterLoop().wal_sweep_interval_ms;
  int64_t retention_ms = option_defaults::Broker().retention_ms;
  int64_t retention_bytes = option_defaults::Broker().retention_bytes;
  int64_t cache_bytes = static_cast<int64_t>(option_defaults::Broker().cache_bytes);
  int64_t metadata_cache_entries = 10'000;
  int64_t metadata_cache_ttl_ms = 5'000;
  int64_t index_ttl_ms = option_defaults::Broker().index_ttl_ms;
  int64_t lease_ms = option_defaults::Broker().lease_ms;
  int64_t lease_safety_margin_ms = option_defaults::Broker().lease_safety_margin_ms;
  std::string log_level = "info";

  // Backends (docs/deployment.md). Empty URLs mean the embedded defaults:
  // sqlite://DATA_DIR/metadata.db and file://DATA_DIR.
  std::string metadata_url;
  int64_t metadata_pool_size = option_defaults::Postgres().pool_size;
  std::string storage_url;
  std::string s3_endpoint;  // empty: AWS (https://s3.REGION.amazonaws.com)
  std::string s3_region;    // empty: $AWS_REGION, else S3Options' region (us-east-1)
  bool s3_path_style = option_defaults::S3().path_style;
  std::string s3_access_key_id;      // empty: $AWS_ACCESS_KEY_ID
  std::string s3_secret_access_key;  // empty: $AWS_SECRET_ACCESS_KEY
  int64_t s3_request_timeout_ms = option_defaults::S3().request_timeout_ms;
  int64_t s3_max_retries = option_defaults::S3().max_retries;

  // Several agents on one metadata store and object store (docs/cluster.md).
  bool cluster_enabled = option_defaults::Broker().cluster_mode;
  std::string agent_zone;
  int64_t cluster_heartbeat_interval_ms =
      option_defaults::ClusterLoop().membership.heartbeat_interval_ms;
  int64_t cluster_agent_timeout_ms = option_defaults::ClusterLoop().membership.agent_timeout_ms;
  int64_t cluster_balance_interval_ms = option_defaults::ClusterLoop().balance_interval_ms;

  // Consumer groups (docs/consumer-groups.md).
  int64_t group_initial_rebalance_delay_ms =
      option_defaults::Groups().group.initial_rebalance_delay_ms;
  int64_t group_min_session_timeout_ms = option_defaults::Groups().group.min_session_timeout_ms;
  int64_t group_max_session_timeout_ms = option_defaults::Groups().group.max_session_timeout_ms;
  int64_t group_max_size = static_cast<int64_t>(option_defaults::Groups().group.max_size);
  int64_t offsets_retention_ms = option_defaults::Groups().offsets_retention_ms;
  int64_t offsets_retention_check_interval_ms =
      option_defaults::Groups().offsets_retention_check_interval_ms;

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
  // The option structs the settings feed (the fields no setting holds keep
  // their defaults). REQUIRES: the config passed LoadAgentConfig's checks.
  broker::BrokerOptions ToBrokerOptions() const;
  kafka::ServerOptions ToServerOptions() const;  // listens on kafka_listen
  kafka::group::GroupCoordinatorOptions ToGroupOptions() const;
  ClusterLoopOptions ToClusterLoopOptions() const;
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
