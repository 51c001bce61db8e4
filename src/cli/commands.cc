#include "cli/commands.h"

#include <iostream>
#include <random>

#include "base/clock.h"
#include "cli/cluster_commands.h"
#include "cli/group_commands.h"
#include "cli/partitioner.h"
#include "records/record_batch.h"

namespace sh::cli {

const char kUsage[] = R"(streamctl: StreamHouse from the command line

Usage: streamctl [--data-dir DIR | --bootstrap HOST:PORT | --metadata-url URL] COMMAND [ARGS]

Commands:
  topic create NAME --partitions N [--config KEY=VALUE]...
  topic list
  topic describe NAME              partitions, offsets, segments, configs
  topic delete NAME
  produce NAME [--partition P] [--key K] [--header KEY=VALUE]... [--value V]
               [--compression none|gzip|snappy|lz4|zstd]
      One record per line of standard input, or the single record --value.
      Without --partition, a keyed record goes where Kafka's default partitioner
      puts it (murmur2 of the key); unkeyed records all go to one partition
      picked at random.
  consume NAME [--partition P] [--offset O | --from-beginning] [--max N]
      Prints "partition<TAB>offset<TAB>key<TAB>headers<TAB>value" per record, from
      the start of the log (or offset O) up to the high watermark, then exits.
      A null key or header value prints as (null); headers as k=v,k=v.
  segments list NAME [--partition P]     needs --data-dir or --metadata-url
  group list                       group id, state, protocol type
  group describe NAME              members and their assignments; per committed
                                   partition: offset, log end offset, lag, metadata
  group reset-offsets NAME --topic T [--partition P]
               (--to-earliest | --to-latest | --to-offset O | --to-datetime T)
      Commits new offsets for the group's consumers to start from; refused while
      the group has members. T is ISO-8601 (2026-11-26T10:00:00Z) or epoch ms:
      the first record at or after it, or the log end if there is none. An
      offset outside the log is clamped to its start or end (and says so).
  group delete NAME                the group and its committed offsets; refused
                                   while the group has members
  agents list [--agent-timeout-ms MS]
      agent id, node id, address, zone, started at (UTC), heartbeat age, live or
      gone (no heartbeat for MS, default 6000), partitions led
  leases list [TOPIC]              per partition: leader, epoch, expires in, state
                                   (held, expired, or none)

Options:
  --data-dir DIR             a data directory with no agent running (default ./data),
                             served by the agent's own broker (WAL replayed first)
  --bootstrap HOST:PORT      talk to a running agent over the Kafka protocol instead;
                             topic describe then shows offsets and configs only
                             (segments and bytes print as 0); agents and leases
                             come from Metadata: node ids, no heartbeats or expiry
  --metadata-url URL         read a cluster's metadata store directly: sqlite://PATH
                             or postgres://USER@HOST:PORT/DB; read-only (topic
                             list/describe, segments list, group list/describe,
                             agents list, leases list); takes no LOCK
  --help                     this text
)";

const std::set<std::string>& BoolFlags() {
  static const std::set<std::string> flags = {"from-beginning", "help", "to-earliest", "to-latest"};
  return flags;
}

namespace {

struct Usage {
  std::string message;
};

// Shared state of one command run.
struct Context {
  StreamClient& client;
  const CommandLine& cmd;
  std::istream& in;
  std::ostream& out;
};

Result<std::pair<std::string, std::string>> SplitKeyValue(const std::string& text,
                                                          const std::string& what) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument(what + " must be KEY=VALUE, got '" + text + "'");
  }
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

Result<std::string> TopicName(const Context& c, size_t word) {
  std::string name = c.cmd.Word(word);
  if (name.empty()) return Status::InvalidArgument("missing topic name");
  return name;
}

Status TopicCreate(Context& c) {
  SH_RETURN_IF_ERROR(
      c.cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url", "partitions", "config"}));
  SH_ASSIGN_OR_RETURN(std::string name, TopicName(c, 2));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> partitions, c.cmd.GetInt("partitions"));
  int64_t count = partitions.value_or(1);
  if (count < 1 || count > 100'000) {
    return Status::InvalidArgument("--partitions must be between 1 and 100000");
  }
  std::map<std::string, std::string> config;
  for (const std::string& kv : c.cmd.GetAll("config")) {
    SH_ASSIGN_OR_RETURN(auto pair, SplitKeyValue(kv, "--config"));
    config[pair.first] = pair.second;
  }
  SH_RETURN_IF_ERROR(c.client.CreateTopic(name, static_cast<int32_t>(count), config));
  c.out << "created topic " << name << " with " << count << " partition" << (count == 1 ? "" : "s")
        << "\n";
  return Status::OK();
}

Status TopicList(Context& c) {
  SH_RETURN_IF_ERROR(c.cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url"}));
  SH_ASSIGN_OR_RETURN(std::vector<std::string> names, c.client.ListTopics());
  for (const std::string& name : names) c.out << name << "\n";
  return Status::OK();
}

Status TopicDescribe(Context& c) {
  SH_RETURN_IF_ERROR(c.cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url"}));
  SH_ASSIGN_OR_RETURN(std::string name, TopicName(c, 2));
  SH_ASSIGN_OR_RETURN(TopicDescription d, c.client.DescribeTopic(name));
  c.out << "topic " << d.name << "  partitions " << d.partition_count << "\n";
  for (const auto& [key, value] : d.config) c.out << "  config " << key << "=" << value << "\n";
  c.out << "  partition  log_start  high_watermark  segments  bytes\n";
  for (const PartitionSummary& p : d.partitions) {
    c.out << "  " << p.partition << "  " << p.log_start_offset << "  " << p.high_watermark << "  "
          << p.segment_count << "  " << p.segment_bytes << "\n";
  }
  return Status::OK();
}

Status TopicDelete(Context& c) {
  SH_RETURN_IF_ERROR(c.cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url"}));
  SH_ASSIGN_OR_RETURN(std::string name, TopicName(c, 2));
  SH_RETURN_IF_ERROR(c.client.DeleteTopic(name));
  c.out << "deleted topic " << name << "\n";
  return Status::OK();
}

Result<int32_t> ChoosePartition(Context& c, const std::string& topic) {
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> partition, c.cmd.GetInt("partition"));
  if (partition) return static_cast<int32_t>(*partition);
  SH_ASSIGN_OR_RETURN(TopicDescription d, c.client.DescribeTopic(topic));
  if (auto key = c.cmd.Get("key")) return PartitionForKey(*key, d.partition_count);
  std::random_device random;
  return static_cast<int32_t>(random() % static_cast<uint32_t>(d.partition_count));
}

Status Produce(Context& c) {
  SH_RETURN_IF_ERROR(c.cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url", "partition",
                                         "key", "header", "value", "compression"}));
  SH_ASSIGN_OR_RETURN(std::string topic, TopicName(c, 1));
  SH_ASSIGN_OR_RETURN(int32_t partition, ChoosePartition(c, topic));
  records::BatchOptions options;
  if (auto codec = c.cmd.Get("compression")) {
    SH_ASSIGN_OR_RETURN(options.compression, records::ParseCompression(*codec));
  }
  std::vector<records::Header> headers;
  for (const std::string& kv : c.cmd.GetAll("header")) {
    SH_ASSIGN_OR_RETURN(auto pair, SplitKeyValue(kv, "--header"));
    headers.push_back({pair.first, pair.second});
  }
  std::optional<std::string> key = c.cmd.Get("key");
  records::BatchBuilder builder(options);
  int64_t now = SystemClock::Get()->NowMs();
  if (auto value = c.cmd.Get("value")) {
    builder.Add(key, *value, now, headers);
  } else {
    std::string line;
    while (std::getline(c.in, line)) builder.Add(key, line, now, headers);
  }
  if (builder.count() == 0) return Status::InvalidArgument("nothing to produce: no input lines");
  SH_ASSIGN_OR_RETURN(Bytes batch, builder.Build());
  SH_ASSIGN_OR_RETURN(int64_t base, c.client.Produce(topic, partition, batch));
  int64_t last = base + static_cast<int64_t>(builder.count()) - 1;
  c.out << "produced " << builder.count() << " record" << (builder.count() == 1 ? "" : "s")
        << " to " << topic << "/" << partition << " at offset" << (base == last ? " " : "s ")
        << base;
  if (last != base) c.out << ".." << last;
  c.out << "\n";
  return Status::OK();
}

std::string Printable(const std::optional<std::string>& s) { return s ? *s : "(null)"; }

void PrintRecord(std::ostream& out, int32_t partition, const records::Record& r) {
  out << partition << "\t" << r.offset << "\t" << Printable(r.key) << "\t";
  for (size_t i = 0; i < r.headers.size(); ++i) {
    out << (i ? "," : "") << r.headers[i].key << "=" << Printable(r.headers[i].value);
  }
  out << "\t" << Printable(r.value) << "\n";
}

// Prints records of one partition from offset up to the high watermark or
// until *remaining reaches 0.
Status ConsumePartition(Context& c, const std::string& topic, int32_t partition,
                        std::optional<int64_t> start, int64_t* remaining) {
  SH_ASSIGN_OR_RETURN(TopicDescription d, c.client.DescribeTopic(topic));
  if (partition < 0 || partition >= d.partition_count) {
    return Status::NotFound("topic " + topic + " has no partition " + std::to_string(partition));
  }
  int64_t offset = start.value_or(d.partitions[partition].log_start_offset);
  while (*remaining > 0) {
    SH_ASSIGN_OR_RETURN(FetchResult fetched, c.client.Fetch(topic, partition, offset, 1 << 20));
    if (fetched.batches.empty()) return Status::OK();
    SH_ASSIGN_OR_RETURN(std::vector<records::RecordBatchView> batches,
                        records::ParseBatches(fetched.batches));
    for (const records::RecordBatchView& batch : batches) {
      SH_ASSIGN_OR_RETURN(std::vector<records::Record> recs, batch.DecodeRecords());
      for (const records::Record& r : recs) {
        if (r.offset < offset || *remaining <= 0) continue;
        PrintRecord(c.out, partition, r);
        --*remaining;
      }
      offset = std::max(offset, batch.last_offset() + 1);
    }
  }
  return Status::OK();
}

Status Consume(Context& c) {
  SH_RETURN_IF_ERROR(c.cmd.CheckAllowed(
      {"data-dir", "bootstrap", "metadata-url", "partition", "offset", "from-beginning", "max"}));
  SH_ASSIGN_OR_RETURN(std::string topic, TopicName(c, 1));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> partition, c.cmd.GetInt("partition"));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> offset, c.cmd.GetInt("offset"));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> max, c.cmd.GetInt("max"));
  if (offset && c.cmd.Has("from-beginning")) {
    return Status::InvalidArgument("give --offset or --from-beginning, not both");
  }
  if (offset && !partition) return Status::InvalidArgument("--offset needs --partition");
  int64_t remaining = max.value_or(INT64_MAX);
  if (partition)
    return ConsumePartition(c, topic, static_cast<int32_t>(*partition), offset, &remaining);
  SH_ASSIGN_OR_RETURN(TopicDescription d, c.client.DescribeTopic(topic));
  for (int32_t p = 0; p < d.partition_count; ++p) {
    SH_RETURN_IF_ERROR(ConsumePartition(c, topic, p, std::nullopt, &remaining));
  }
  return Status::OK();
}

Status SegmentsList(Context& c) {
  SH_RETURN_IF_ERROR(c.cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url", "partition"}));
  SH_ASSIGN_OR_RETURN(std::string topic, TopicName(c, 2));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> only, c.cmd.GetInt("partition"));
  SH_ASSIGN_OR_RETURN(TopicDescription d, c.client.DescribeTopic(topic));
  c.out << "partition  base_offset  end_offset  records  bytes  min_timestamp  max_timestamp  "
           "object\n";
  for (int32_t p = 0; p < d.partition_count; ++p) {
    if (only && *only != p) continue;
    SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, c.client.ListSegments(topic, p));
    for (const SegmentInfo& s : segments) {
      c.out << p << "  " << s.base_offset << "  " << s.end_offset << "  " << s.record_count << "  "
            << s.size_bytes << "  " << s.min_timestamp_ms << "  " << s.max_timestamp_ms << "  "
            << s.object_key << "\n";
    }
  }
  return Status::OK();
}

}  // namespace

int RunCommand(StreamClient& client, const CommandLine& cmd, std::istream& in, std::ostream& out,
               std::ostream& err) {
  Context c{client, cmd, in, out};
  const std::string verb = cmd.Word(0) + " " + cmd.Word(1);
  Status status;
  if (verb == "topic create") {
    status = TopicCreate(c);
  } else if (verb == "topic list") {
    status = TopicList(c);
  } else if (verb == "topic describe") {
    status = TopicDescribe(c);
  } else if (verb == "topic delete") {
    status = TopicDelete(c);
  } else if (cmd.Word(0) == "produce") {
    status = Produce(c);
  } else if (cmd.Word(0) == "consume") {
    status = Consume(c);
  } else if (verb == "segments list") {
    status = SegmentsList(c);
  } else if (cmd.Word(0) == "group") {
    status = RunGroupCommand(client, cmd, out);
  } else if (verb == "agents list" || verb == "leases list") {
    status = RunClusterCommand(client, cmd, out, *SystemClock::Get());
  } else {
    err << "streamctl: unknown command '" << cmd.Word(0)
        << (cmd.Word(1).empty() ? "" : " " + cmd.Word(1)) << "'\n\n"
        << kUsage;
    return 2;
  }
  if (status.ok()) return 0;
  err << "streamctl: " << status.ToString() << "\n";
  return status.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace sh::cli
