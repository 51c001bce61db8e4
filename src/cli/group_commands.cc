#include "cli/group_commands.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <ostream>
#include <tuple>

namespace sh::cli {

namespace {

Result<std::string> GroupName(const CommandLine& cmd) {
  std::string name = cmd.Word(2);
  if (name.empty()) return Status::InvalidArgument("missing group name");
  return name;
}

std::string Assignment(const std::vector<AssignedPartitions>& assignment) {
  if (assignment.empty()) return "-";
  std::string out;
  for (const AssignedPartitions& t : assignment) {
    if (!out.empty()) out += ";";
    out += t.topic + ":";
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      out += (i ? "," : "") + std::to_string(t.partitions[i]);
    }
  }
  return out;
}

// Log end offsets (high watermarks) of a topic's partitions; empty if the
// topic no longer exists.
Result<std::vector<int64_t>> LogEnds(StreamClient& client, const std::string& topic) {
  Result<TopicDescription> d = client.DescribeTopic(topic);
  if (!d.ok() && d.status().code() == ErrorCode::kNotFound) return std::vector<int64_t>();
  SH_RETURN_IF_ERROR(d.status());
  std::vector<int64_t> ends;
  for (const PartitionSummary& p : d->partitions) ends.push_back(p.high_watermark);
  return ends;
}

Status GroupList(StreamClient& client, const CommandLine& cmd, std::ostream& out) {
  SH_RETURN_IF_ERROR(cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url"}));
  SH_ASSIGN_OR_RETURN(std::vector<GroupListing> groups, client.ListGroups());
  std::sort(groups.begin(), groups.end(),
            [](const GroupListing& a, const GroupListing& b) { return a.group_id < b.group_id; });
  out << "group_id  state  protocol_type\n";
  for (const GroupListing& g : groups) {
    out << g.group_id << "  " << g.state << "  " << g.protocol_type << "\n";
  }
  return Status::OK();
}

Status GroupDescribe(StreamClient& client, const CommandLine& cmd, std::ostream& out) {
  SH_RETURN_IF_ERROR(cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url"}));
  SH_ASSIGN_OR_RETURN(std::string name, GroupName(cmd));
  SH_ASSIGN_OR_RETURN(GroupDescription g, client.DescribeGroup(name));
  SH_ASSIGN_OR_RETURN(std::vector<GroupOffset> offsets, client.FetchCommittedOffsets(name));
  std::sort(offsets.begin(), offsets.end(), [](const GroupOffset& a, const GroupOffset& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  out << "group " << g.group_id << "  state " << g.state << "  protocol_type " << g.protocol_type
      << "  members " << g.members.size() << "\n";
  out << "  member_id  client_id  host  assignment\n";
  for (const GroupMember& m : g.members) {
    out << "  " << m.member_id << "  " << m.client_id << "  " << m.host << "  "
        << Assignment(m.assignment) << "\n";
  }
  out << "  topic  partition  committed_offset  log_end_offset  lag  metadata\n";
  std::map<std::string, std::vector<int64_t>> ends;
  for (const GroupOffset& o : offsets) {
    if (!ends.count(o.topic)) {
      SH_ASSIGN_OR_RETURN(ends[o.topic], LogEnds(client, o.topic));
    }
    const std::vector<int64_t>& topic_ends = ends[o.topic];
    out << "  " << o.topic << "  " << o.partition << "  " << o.offset << "  ";
    if (o.partition >= 0 && static_cast<size_t>(o.partition) < topic_ends.size()) {
      int64_t end = topic_ends[o.partition];
      out << end << "  " << std::max<int64_t>(0, end - o.offset);
    } else {
      out << "-  -";  // the topic or partition is gone
    }
    out << "  " << o.metadata << "\n";
  }
  return Status::OK();
}

// Where --to-* puts one partition, and a note when --to-offset was clamped.
struct Target {
  int64_t offset = 0;
  std::string note;
};

Result<Target> ResetTarget(StreamClient& client, const CommandLine& cmd, const std::string& topic,
                           const PartitionSummary& p) {
  if (cmd.Has("to-earliest")) return Target{p.log_start_offset, ""};
  if (cmd.Has("to-latest")) return Target{p.high_watermark, ""};
  if (auto text = cmd.Get("to-offset")) {
    SH_ASSIGN_OR_RETURN(int64_t asked, ParseInt(*text, "--to-offset"));
    if (asked < p.log_start_offset) {
      return Target{p.log_start_offset, "(asked " + std::to_string(asked) +
                                            ": clamped to the log start " +
                                            std::to_string(p.log_start_offset) + ")"};
    }
    if (asked > p.high_watermark) {
      return Target{p.high_watermark, "(asked " + std::to_string(asked) +
                                          ": clamped to the log end " +
                                          std::to_string(p.high_watermark) + ")"};
    }
    return Target{asked, ""};
  }
  SH_ASSIGN_OR_RETURN(int64_t ts, ParseDateTime(cmd.Get("to-datetime").value_or("")));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> found,
                      client.OffsetForTimestamp(topic, p.partition, ts));
  if (found) return Target{*found, ""};
  return Target{p.high_watermark, "(no record at or after that time: the log end)"};
}

// Unavailable while the group has members: their commits would overwrite
// the reset, and the coordinator refuses a standalone commit anyway.
Status CheckNoMembers(StreamClient& client, const std::string& group) {
  Result<GroupDescription> g = client.DescribeGroup(group);
  if (!g.ok() && g.status().code() == ErrorCode::kNotFound) return Status::OK();  // a new group
  SH_RETURN_IF_ERROR(g.status());
  if (g->state == "Empty" || g->state == "Dead") return Status::OK();
  return Status::Unavailable("group " + group + " is " + g->state + " with " +
                             std::to_string(g->members.size()) +
                             " member(s): stop its consumers before resetting its offsets");
}

Status GroupResetOffsets(StreamClient& client, const CommandLine& cmd, std::ostream& out) {
  SH_RETURN_IF_ERROR(
      cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url", "topic", "partition",
                        "to-earliest", "to-latest", "to-offset", "to-datetime"}));
  SH_ASSIGN_OR_RETURN(std::string name, GroupName(cmd));
  auto topic = cmd.Get("topic");
  if (!topic || topic->empty()) return Status::InvalidArgument("reset-offsets needs --topic T");
  int modes = 0;
  for (const char* m : {"to-earliest", "to-latest", "to-offset", "to-datetime"}) {
    modes += cmd.Has(m) ? 1 : 0;
  }
  if (modes != 1) {
    return Status::InvalidArgument(
        "give exactly one of --to-earliest, --to-latest, --to-offset O, --to-datetime T");
  }
  if (auto text = cmd.Get("to-datetime")) SH_RETURN_IF_ERROR(ParseDateTime(*text).status());
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> only, cmd.GetInt("partition"));
  SH_ASSIGN_OR_RETURN(TopicDescription d, client.DescribeTopic(*topic));
  if (only && (*only < 0 || *only >= d.partition_count)) {
    return Status::NotFound("topic " + *topic + " has no partition " + std::to_string(*only));
  }
  SH_RETURN_IF_ERROR(CheckNoMembers(client, name));
  std::vector<GroupOffset> commits;
  std::vector<std::string> notes;
  for (const PartitionSummary& p : d.partitions) {
    if (only && *only != p.partition) continue;
    SH_ASSIGN_OR_RETURN(Target t, ResetTarget(client, cmd, *topic, p));
    commits.push_back({*topic, p.partition, t.offset, ""});
    notes.push_back(t.note);
  }
  SH_RETURN_IF_ERROR(client.CommitOffsets(name, commits));
  out << "group " << name << "  topic " << *topic << ": offsets reset\n";
  out << "  partition  new_offset\n";
  for (size_t i = 0; i < commits.size(); ++i) {
    out << "  " << commits[i].partition << "  " << commits[i].offset
        << (notes[i].empty() ? "" : "  " + notes[i]) << "\n";
  }
  return Status::OK();
}

Status GroupDelete(StreamClient& client, const CommandLine& cmd, std::ostream& out) {
  SH_RETURN_IF_ERROR(cmd.CheckAllowed({"data-dir", "bootstrap", "metadata-url"}));
  SH_ASSIGN_OR_RETURN(std::string name, GroupName(cmd));
  SH_RETURN_IF_ERROR(client.DeleteGroup(name));
  out << "deleted group " << name << "\n";
  return Status::OK();
}

// Reads exactly n digits at *pos.
bool Digits(const std::string& s, size_t* pos, size_t n, int* value) {
  if (*pos + n > s.size()) return false;
  *value = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    *value = *value * 10 + (c - '0');
  }
  *pos += n;
  return true;
}

bool Expect(const std::string& s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// Parses the ISO-8601 form; false if text is not one.
bool ParseIso(const std::string& s, int64_t* ms) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!Digits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &month) ||
      !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &day) || !Expect(s, &pos, 'T') ||
      !Digits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &minute) ||
      !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  int64_t fraction_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100, digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      fraction_ms += (s[pos++] - '0') * scale;
      scale /= 10;
      ++digits;
    }
    if (digits == 0) return false;
  }
  int64_t offset_s = 0;
  if (Expect(s, &pos, 'Z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos++] == '-' ? -1 : 1, oh, om;
    if (!Digits(s, &pos, 2, &oh) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &om) || oh > 23 ||
        om > 59) {
      return false;
    }
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;  // a time without a zone would depend on where streamctl runs
  }
  if (pos != s.size()) return false;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t seconds = static_cast<int64_t>(::timegm(&tm)) - offset_s;
  *ms = seconds * 1000 + fraction_ms;
  return true;
}

}  // namespace

Result<int64_t> ParseDateTime(const std::string& text) {
  bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (digits) return ParseInt(text, "--to-datetime");
  int64_t ms = 0;
  if (ParseIso(text, &ms) && ms >= 0) return ms;
  return Status::InvalidArgument(
      "--to-datetime: expected 2026-11-26T10:00:00Z (ISO-8601 with a "
      "zone) or milliseconds since the epoch, got '" +
      text + "'");
}

Status RunGroupCommand(StreamClient& client, const CommandLine& cmd, std::ostream& out) {
  const std::string sub = cmd.Word(1);
  if (sub == "list") return GroupList(client, cmd, out);
  if (sub == "describe") return GroupDescribe(client, cmd, out);
  if (sub == "reset-offsets") return GroupResetOffsets(client, cmd, out);
  if (sub == "delete") return GroupDelete(client, cmd, out);
  return Status::InvalidArgument("unknown command 'group" + (sub.empty() ? "" : " " + sub) +
                                 "' (group list | describe | reset-offsets | delete)");
}

}  // namespace sh::cli
