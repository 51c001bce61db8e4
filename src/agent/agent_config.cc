#include "agent/agent_config.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <sstream>
#include <variant>

#include "storage/segment_format.h"

extern char** environ;

namespace sh::agent {

namespace {

constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

using Field = std::variant<std::string AgentConfig::*, int64_t AgentConfig::*, bool AgentConfig::*>;

// A setting: where it lives in AgentConfig and which values it takes.
struct Setting {
  const char* key;
  Field field;
  const char* help;
  int64_t min = 0;  // integers only
  int64_t max = kMaxInt64;
  std::vector<std::string> choices = {};  // strings only; empty: any
  bool host_port = false;                 // strings only: HOST:PORT
  bool allow_empty = false;               // strings only
};

const std::vector<Setting>& Settings() {
  using C = AgentConfig;
  static const std::vector<Setting> kSettings = {
      {"data_dir", &C::data_dir, "Directory holding metadata.db and the objects (embedded mode)."},
      {"agent.id", &C::agent_id, "Name of this agent in leases and metadata."},
      {"agent.node_id", &C::node_id, "Kafka broker id of this agent in Metadata responses.", 0,
       kMaxInt32},
      {"agent.background_interval_ms", &C::background_interval_ms,
       "Period of the background work: segment rolls, seals, lease renewal.", 1, kMaxInt32},
      {"kafka.listen",
       &C::kafka_listen,
       "HOST:PORT the Kafka protocol listens on.",
       0,
       0,
       {},
       true},
      {"kafka.advertised",
       &C::kafka_advertised,
       "HOST:PORT clients are told to connect to (Metadata); empty: kafka.listen.",
       0,
       0,
       {},
       true,
       true},
      {"kafka.network_threads", &C::network_threads, "Threads serving Kafka connections.", 1, 256},
      {"kafka.blocking_threads", &C::blocking_threads,
       "Worker threads for blocking calls (metadata, object store).", 1, 1024},
      {"kafka.max_request_bytes", &C::max_request_bytes,
       "Largest request accepted; a larger one closes the connection "
       "(Kafka's socket.request.max.bytes).",
       64, kMaxInt32},
      {"kafka.idle_timeout_ms", &C::idle_timeout_ms,
       "Idle connections are closed after this long (Kafka's connections.max.idle.ms).", 1,
       kMaxInt64},
      {"kafka.max_in_flight", &C::max_in_flight,
       "Requests read ahead per connection before reading pauses.", 1, 4096},
      {"kafka.shutdown_grace_ms", &C::shutdown_grace_ms,
       "On shutdown, how long in-flight requests may take before connections are cut.", 0,
       kMaxInt32},
      {"topics.auto_create", &C::auto_create_topics,
       "Create unknown topics named by Metadata or Produce (auto.create.topics.enable)."},
      {"topics.default_partitions", &C::default_partitions,
       "Partitions of auto-created topics and of CreateTopics without a count.", 1,
       broker::kMaxPartitions},
      {"topics.max_message_bytes", &C::max_message_bytes,
       "Default max.message.bytes: the largest record batch accepted.", 0, kMaxInt32},
      {"topics.message_timestamp_type",
       &C::message_timestamp_type,
       "Default message.timestamp.type.",
       0,
       0,
       {"CreateTime", "LogAppendTime"}},
      {"topics.cleanup_policy",
       &C::cleanup_policy,
       "Default cleanup.policy.",
       0,
       0,
       {"delete", "compact", "compact,delete", "delete,compact"}},
      {"segment.bytes", &C::segment_bytes, "Default segment.bytes: a tail is sealed at this size.",
       1024, kMaxInt32},
      {"segment.ms", &C::segment_ms, "Default segment.ms: a tail is sealed at this age.", 1,
       kMaxInt64},
      {"segment.codec",
       &C::segment_codec,
       "Compression of segment blocks.",
       0,
       0,
       {"none", "lz4", "zstd"}},
      {"segment.block_bytes", &C::segment_block_bytes,
       "Uncompressed size of a segment block (the unit of reads and caching).", 1024, 1ll << 30},
      {"segment.flush_ms", &C::segment_flush_ms,
       "A partition tail older than this is sealed into a segment.", 1, kMaxInt64},
      {"wal.flush_interval_ms", &C::wal_flush_interval_ms,
       "Group commit: a WAL object is written at most this long after its first batch "
       "arrived (0: as soon as the previous one is done); produce responses wait for it.",
       0, 60'000},
      {"wal.max_bytes", &C::wal_max_bytes,
       "Group commit: a WAL object is written as soon as this many bytes are queued.", 1024,
       1ll << 30},
      {"wal.put_timeout_ms", &C::wal_put_timeout_ms,
       "A WAL object write slower than this fails its produce requests (retriable).", 1, kMaxInt32},
      {"wal.sweep_interval_ms", &C::wal_sweep_interval_ms,
       "Cluster mode: how often the first live agent deletes the WAL objects of departed "
       "agents that sealed segments cover.",
       1000, kMaxInt64},
      {"retention.ms", &C::retention_ms, "Default retention.ms; -1 keeps data forever.", -1,
       kMaxInt64},
      {"retention.bytes", &C::retention_bytes,
       "Default retention.bytes per partition; -1 for no size limit.", -1, kMaxInt64},
      {"retention.check_interval_ms", &C::retention_check_interval_ms,
       "How often retention runs (Kafka's log.retention.check.interval.ms).", 1, kMaxInt64},
      {"cache.bytes", &C::cache_bytes, "Memory budget of the segment block cache.", 0, kMaxInt64},
      {"cache.metadata_entries", &C::metadata_cache_entries,
       "Entries of the metadata read cache (topics, segment lists).", 1, kMaxInt32},
      {"cache.metadata_ttl_ms", &C::metadata_cache_ttl_ms,
       "How long a cached metadata read is used before it is read again.", 0, kMaxInt32},
      {"index.ttl_ms", &C::index_ttl_ms,
       "How long a partition's segment list is used before it is read again.", 0, kMaxInt64},
      {"lease.safety_margin_ms", &C::lease_safety_margin_ms,
       "A leader stops acknowledging this long before its lease could expire on another "
       "agent's clock (covers clock skew between agents).",
       0, kMaxInt32},
      {"lease.ms", &C::lease_ms, "Partition lease length; renewed at a third of it.", 1000,
       kMaxInt32},
      {"log.level", &C::log_level, "Log level.", 0, 0, {"debug", "info", "warn", "error"}},
      {"metadata.url", &C::metadata_url,
       "Metadata store: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB; "
       "empty: sqlite://DATA_DIR/metadata.db.",
       0, 0, {}, false, true},
      {"metadata.pool_size", &C::metadata_pool_size,
       "PostgreSQL connections per agent (requests beyond it wait).", 1, 1024},
      {"storage.url", &C::storage_url,
       "Object store: file://DIR or s3://BUCKET/PREFIX; empty: file://DATA_DIR.", 0, 0, {},
       false, true},
      {"storage.s3_endpoint", &C::s3_endpoint,
       "S3 endpoint URL for S3-compatible servers (http://127.0.0.1:9000); empty: AWS.", 0, 0,
       {}, false, true},
      {"storage.s3_region", &C::s3_region, "S3 region; empty: $AWS_REGION, else us-east-1.", 0,
       0, {}, false, true},
      {"storage.s3_path_style", &C::s3_path_style,
       "Path-style S3 URLs (ENDPOINT/BUCKET/KEY) instead of virtual-host (BUCKET.ENDPOINT/KEY)."},
      {"storage.s3_access_key_id", &C::s3_access_key_id,
       "S3 access key id; empty: $AWS_ACCESS_KEY_ID.", 0, 0, {}, false, true},
      {"storage.s3_secret_access_key", &C::s3_secret_access_key,
       "S3 secret key; empty: $AWS_SECRET_ACCESS_KEY.", 0, 0, {}, false, true},
      {"storage.s3_request_timeout_ms", &C::s3_request_timeout_ms,
       "One S3 request (connect + transfer) fails after this long and is retried.", 100,
       kMaxInt32},
      {"storage.s3_max_retries", &C::s3_max_retries,
       "Retries of an S3 request after 5xx, throttling or network errors (jittered backoff).",
       0, 100},
      {"cluster.enabled", &C::cluster_enabled,
       "Share the metadata store and object store with other agents: lead only the "
       "partitions rendezvous hashing gives this agent (docs/cluster.md)."},
      {"agent.zone", &C::agent_zone, "Availability zone of this agent (Metadata rack).", 0, 0, {},
       false, true},
      {"cluster.heartbeat_interval_ms", &C::cluster_heartbeat_interval_ms,
       "How often this agent records that it is alive.", 10, kMaxInt32},
      {"cluster.agent_timeout_ms", &C::cluster_agent_timeout_ms,
       "An agent silent this long is gone; its partitions go to others once their leases end.",
       100, kMaxInt32},
      {"cluster.balance_interval_ms", &C::cluster_balance_interval_ms,
       "How often this agent compares what it leads with what it should lead.", 10, kMaxInt32},
      {"groups.initial_rebalance_delay_ms", &C::group_initial_rebalance_delay_ms,
       "A new group waits this long for more members before its first rebalance "
       "(group.initial.rebalance.delay.ms).",
       0, kMaxInt32},
      {"groups.min_session_timeout_ms", &C::group_min_session_timeout_ms,
       "Smallest session.timeout.ms a member may ask for (group.min.session.timeout.ms).", 1,
       kMaxInt32},
      {"groups.max_session_timeout_ms", &C::group_max_session_timeout_ms,
       "Largest session.timeout.ms a member may ask for (group.max.session.timeout.ms).", 1,
       kMaxInt32},
      {"groups.max_size", &C::group_max_size, "Most members in one group; 0: no limit.", 0,
       kMaxInt32},
      {"offsets.retention_ms", &C::offsets_retention_ms,
       "Committed offsets of a group without members are deleted this long after it emptied "
       "(offsets.retention.minutes).",
       1, kMaxInt64},
      {"offsets.retention_check_interval_ms", &C::offsets_retention_check_interval_ms,
       "How often expired committed offsets are looked for.", 1, kMaxInt64},
  };
  return kSettings;
}

const Setting* FindSetting(const std::string& key) {
  for (const Setting& s : Settings()) {
    if (key == s.key) return &s;
  }
  return nullptr;
}

std::string FlagOf(const std::string& key) {
  std::string f = "--" + key;
  std::replace(f.begin() + 2, f.end(), '.', '-');
  std::replace(f.begin() + 2, f.end(), '_', '-');
  return f;
}

std::string EnvOf(const std::string& key) {
  std::string e = "STREAMHOUSE_" + key;
  for (char& c : e) {
    if (c == '.' || c == '-') c = '_';
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return e;
}

SettingType TypeOf(const Setting& s) {
  if (std::holds_alternative<int64_t AgentConfig::*>(s.field)) return SettingType::kInt;
  if (std::holds_alternative<bool AgentConfig::*>(s.field)) return SettingType::kBool;
  return SettingType::kString;
}

std::string ValueText(const Setting& s, const AgentConfig& c) {
  if (auto* f = std::get_if<int64_t AgentConfig::*>(&s.field)) return std::to_string(c.**f);
  if (auto* f = std::get_if<bool AgentConfig::*>(&s.field)) return c.**f ? "true" : "false";
  return c.*std::get<std::string AgentConfig::*>(s.field);
}

std::string DefaultText(const Setting& s) {
  std::string v = ValueText(s, AgentConfig{});
  return v.empty() ? "(empty)" : v;
}

Status Bad(const Setting& s, const std::string& value, const std::string& why,
           const std::string& source) {
  return Status::InvalidArgument(std::string(s.key) + ": '" + value + "' " + why + " (from " +
                                 source + ")");
}

// Parses and checks `value` for `s`, then stores it in `config`.
Status Apply(const Setting& s, const std::string& value, const std::string& source,
             AgentConfig& config) {
  if (auto* f = std::get_if<int64_t AgentConfig::*>(&s.field)) {
    int64_t v = 0;
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, v);
    if (value.empty() || ec != std::errc() || ptr != end) {
      return Bad(s, value, "is not an integer", source);
    }
    if (v < s.min || v > s.max) {
      return Bad(s, value,
                 "is out of range " + std::to_string(s.min) + ".." + std::to_string(s.max), source);
    }
    config.** f = v;
    return Status::OK();
  }
  if (auto* f = std::get_if<bool AgentConfig::*>(&s.field)) {
    if (value == "true" || value == "1") {
      config.** f = true;
    } else if (value == "false" || value == "0") {
      config.** f = false;
    } else {
      return Bad(s, value, "is not true or false", source);
    }
    return Status::OK();
  }
  if (!s.choices.empty() &&
      std::find(s.choices.begin(), s.choices.end(), value) == s.choices.end()) {
    std::string list;
    for (const std::string& c : s.choices) list += (list.empty() ? "" : ", ") + c;
    return Bad(s, value, "is not one of " + list, source);
  }
  if (value.empty() && !s.allow_empty) return Bad(s, value, "must not be empty", source);
  if (s.host_port && !value.empty()) {
    std::string host;
    uint16_t port = 0;
    if (!ParseHostPort(value, &host, &port).ok()) {
      return Bad(s, value, "is not HOST:PORT", source);
    }
  }
  config.*std::get<std::string AgentConfig::*>(s.field) = value;
  return Status::OK();
}

// A TOML value as the text Apply parses, checking its TOML type.
Result<std::string> TomlText(const Setting& s, const toml::node& node, const std::string& source) {
  switch (TypeOf(s)) {
    case SettingType::kInt:
      if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
      return Status::InvalidArgument(std::string(s.key) + ": expected an integer (from " + source +
                                     ")");
    case SettingType::kBool:
      if (auto v = node.value_exact<bool>()) return std::string(*v ? "true" : "false");
      return Status::InvalidArgument(std::string(s.key) + ": expected true or false (from " +
                                     source + ")");
    case SettingType::kString:
      if (auto v = node.value_exact<std::string>()) return *v;
      return Status::InvalidArgument(std::string(s.key) + ": expected a string (from " + source +
                                     ")");
  }
  return Status::Internal("unreachable");
}

Status ApplyFile(const std::string& path, AgentConfig& config) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "config file " << path << ": " << e.description() << " (line " << e.source().begin.line
        << ", column " << e.source().begin.column << ")";
    return Status::InvalidArgument(msg.str());
  }
  std::string source = "file " + path;
  for (const auto& [name, node] : root) {
    std::string top(name.str());
    if (const toml::table* section = node.as_table()) {
      for (const auto& [sub, value] : *section) {
        std::string key = top + "." + std::string(sub.str());
        const Setting* s = FindSetting(key);
        if (s == nullptr) {
          return Status::InvalidArgument("unknown setting " + key + " (in " + source + ")");
        }
        SH_ASSIGN_OR_RETURN(std::string text, TomlText(*s, value, source));
        SH_RETURN_IF_ERROR(Apply(*s, text, source, config));
      }
      continue;
    }
    const Setting* s = FindSetting(top);
    if (s == nullptr) {
      return Status::InvalidArgument("unknown setting " + top + " (in " + source + ")");
    }
    SH_ASSIGN_OR_RETURN(std::string text, TomlText(*s, node, source));
    SH_RETURN_IF_ERROR(Apply(*s, text, source, config));
  }
  return Status::OK();
}

// The values a setting takes, for --help and the docs.
std::string Accepted(const SettingInfo& s, const std::string& quote) {
  switch (s.type) {
    case SettingType::kBool:
      return "true or false";
    case SettingType::kInt:
      if (s.max == kMaxInt64) return "integer >= " + std::to_string(s.min);
      return "integer " + std::to_string(s.min) + ".." + std::to_string(s.max);
    case SettingType::kString:
      if (s.host_port) return "HOST:PORT";
      if (s.choices.empty()) return "string";
      std::string out;
      for (const std::string& c : s.choices) out += (out.empty() ? "" : ", ") + quote + c + quote;
      return out;
  }
  return "";
}

struct FlagValue {
  const Setting* setting;
  std::string flag;
  std::string value;
};

}  // namespace

std::string SettingInfo::flag() const { return FlagOf(key); }
std::string SettingInfo::env_var() const { return EnvOf(key); }

std::vector<SettingInfo> AgentSettings() {
  std::vector<SettingInfo> out;
  for (const Setting& s : Settings()) {
    out.push_back({s.key, TypeOf(s), DefaultText(s), s.help, s.min, s.max, s.choices, s.host_port});
  }
  return out;
}

std::string SettingText(const AgentConfig& config, const std::string& key) {
  const Setting* s = FindSetting(key);
  return s == nullptr ? "" : ValueText(*s, config);
}

broker::BrokerOptions AgentConfig::ToBrokerOptions() const {
  broker::BrokerOptions o;
  o.agent_id = agent_id;
  o.node_id = static_cast<int32_t>(node_id);
  o.auto_create_topics = auto_create_topics;
  o.default_partitions = static_cast<int32_t>(default_partitions);
  o.segment_bytes = segment_bytes;
  o.segment_ms = segment_ms;
  o.retention_ms = retention_ms;
  o.retention_bytes = retention_bytes;
  o.max_message_bytes = static_cast<int32_t>(max_message_bytes);
  o.message_timestamp_type = message_timestamp_type;
  o.cleanup_policy = cleanup_policy;
  Result<storage::BlockCodec> codec = storage::ParseBlockCodec(segment_codec);
  o.segment_codec = codec.ok() ? *codec : storage::BlockCodec::kLz4;  // validated on load
  o.block_bytes = static_cast<size_t>(segment_block_bytes);
  o.flush_ms = segment_flush_ms;
  o.wal_flush_interval_ms = wal_flush_interval_ms;
  o.wal_max_bytes = static_cast<size_t>(wal_max_bytes);
  o.wal_put_timeout_ms = wal_put_timeout_ms;
  o.cache_bytes = static_cast<size_t>(cache_bytes);
  o.index_ttl_ms = index_ttl_ms;
  o.lease_ms = lease_ms;
  o.lease_safety_margin_ms = lease_safety_margin_ms;
  o.cluster_mode = cluster_enabled;
  o.background_interval_ms = background_interval_ms;
  o.retention_check_interval_ms = retention_check_interval_ms;
  return o;
}

kafka::ServerOptions AgentConfig::ToServerOptions() const {
  kafka::ServerOptions o;
  (void)ParseHostPort(kafka_listen, &o.host, &o.port);  // validated on load
  o.network_threads = static_cast<int>(network_threads);
  o.blocking_threads = static_cast<int>(blocking_threads);
  o.max_request_bytes = static_cast<int32_t>(max_request_bytes);
  o.idle_timeout_ms = idle_timeout_ms;
  o.max_in_flight = static_cast<size_t>(max_in_flight);
  o.shutdown_grace_ms = shutdown_grace_ms;
  return o;
}

kafka::group::GroupCoordinatorOptions AgentConfig::ToGroupOptions() const {
  kafka::group::GroupCoordinatorOptions o;
  o.group.initial_rebalance_delay_ms = group_initial_rebalance_delay_ms;
  o.group.min_session_timeout_ms = static_cast<int32_t>(group_min_session_timeout_ms);
  o.group.max_session_timeout_ms = static_cast<int32_t>(group_max_session_timeout_ms);
  o.group.max_size = static_cast<size_t>(group_max_size);
  o.offsets_retention_ms = offsets_retention_ms;
  o.offsets_retention_check_interval_ms = offsets_retention_check_interval_ms;
  return o;
}

ClusterLoopOptions AgentConfig::ToClusterLoopOptions() const {
  ClusterLoopOptions o;
  o.membership.agent_id = agent_id;
  o.membership.node_id = static_cast<int32_t>(node_id);
  o.membership.address = advertised();
  o.membership.zone = agent_zone;
  o.membership.heartbeat_interval_ms = cluster_heartbeat_interval_ms;
  o.membership.agent_timeout_ms = cluster_agent_timeout_ms;
  o.balance_interval_ms = cluster_balance_interval_ms;
  o.lease_ms = lease_ms;
  o.wal_sweep_interval_ms = wal_sweep_interval_ms;
  return o;
}

Status ParseHostPort(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("'" + text + "' is not HOST:PORT");
  }
  std::string h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') {
      return Status::InvalidArgument("'" + text + "' is not HOST:PORT");
    }
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return Status::InvalidArgument("'" + text + "': write an IPv6 host as [ADDRESS]:PORT");
  }
  std::string p = text.substr(colon + 1);
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc() || ptr != p.data() + p.size() || v > 65535) {
    return Status::InvalidArgument("'" + text + "': port must be 0..65535");
  }
  *host = h;
  *port = static_cast<uint16_t>(v);
  return Status::OK();
}

Result<CommandLineResult> LoadAgentConfig(const std::vector<std::string>& args,
                                          const std::map<std::string, std::string>& env) {
  CommandLineResult result;
  std::vector<FlagValue> flags;
  std::optional<std::string> config_file;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.help = true;
      continue;
    }
    if (arg == "--version") {
      result.version = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return Status::InvalidArgument("unexpected argument '" + arg + "' (see --help)");
    }
    std::optional<std::string> value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const Setting* setting = nullptr;
    if (arg != "--config") {
      for (const Setting& s : Settings()) {
        if (FlagOf(s.key) == arg) setting = &s;
      }
      if (setting == nullptr) {
        return Status::InvalidArgument("unknown flag " + arg + " (see --help)");
      }
    }
    if (!value.has_value()) {
      bool is_bool = setting != nullptr && TypeOf(*setting) == SettingType::kBool;
      bool next_is_bool = i + 1 < args.size() && (args[i + 1] == "true" || args[i + 1] == "false");
      if (is_bool && !next_is_bool) {
        value = "true";  // --topics-auto-create alone switches it on
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Status::InvalidArgument("flag " + arg + " needs a value");
      }
    }
    if (setting == nullptr) {
      config_file = *value;
    } else {
      flags.push_back({setting, arg, *value});
    }
  }
  if (!config_file.has_value()) {
    auto it = env.find("STREAMHOUSE_CONFIG");
    if (it != env.end() && !it->second.empty()) config_file = it->second;
  }
  AgentConfig& config = result.config;
  if (result.help || result.version) return result;
  if (config_file.has_value()) {
    config.config_file = *config_file;
    SH_RETURN_IF_ERROR(ApplyFile(*config_file, config));
  }
  for (const Setting& s : Settings()) {
    auto it = env.find(EnvOf(s.key));
    if (it == env.end()) continue;
    SH_RETURN_IF_ERROR(Apply(s, it->second, "environment " + it->first, config));
  }
  for (const FlagValue& f : flags) {
    SH_RETURN_IF_ERROR(Apply(*f.setting, f.value, "flag " + f.flag, config));
  }
  return result;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    if (entry.rfind("STREAMHOUSE_", 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

std::string AgentHelp() {
  std::ostringstream out;
  out << "Usage: streamhouse [--config FILE] [--SECTION-NAME VALUE ...]\n"
         "\n"
         "Runs a StreamHouse agent: the Kafka protocol over an embedded store.\n"
         "Each setting below is a flag, an environment variable and a TOML key\n"
         "([section] name = value); flag over environment over file over default.\n"
         "See docs/configuration.md.\n"
         "\n"
         "  --config FILE   TOML settings file (env STREAMHOUSE_CONFIG)\n"
         "  --help          this text\n"
         "  --version       print the version\n"
         "\n";
  for (const SettingInfo& s : AgentSettings()) {
    out << "  " << s.flag() << " (" << s.key << ", " << s.env_var() << ")\n"
        << "      " << s.help << "\n"
        << "      Values: " << Accepted(s, "") << ". Default: " << s.default_text << "\n";
  }
  return out.str();
}

std::string SettingsMarkdownTable() {
  std::ostringstream out;
  out << "| key | flag | environment | values | default | meaning |\n"
      << "|---|---|---|---|---|---|\n";
  for (const SettingInfo& s : AgentSettings()) {
    out << "| `" << s.key << "` | `" << s.flag() << "` | `" << s.env_var() << "` | "
        << Accepted(s, "`") << " | `" << s.default_text << "` | " << s.help << " |\n";
  }
  return out.str();
}

}  // namespace sh::agent
