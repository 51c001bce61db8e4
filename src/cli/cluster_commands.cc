#include "cli/cluster_commands.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <ostream>
#include <set>
#include <tuple>
#include <type_traits>

namespace sh::cli {

namespace {

const std::set<std::string> kModeFlags = {"data-dir", "bootstrap", "metadata-url"};

std::set<std::string> Allowed(std::set<std::string> extra) {
  extra.insert(kModeFlags.begin(), kModeFlags.end());
  return extra;
}

// Whether the lease row still holds at now_ms. Over the Kafka protocol there
// is no expiry: a leader Metadata names holds an unexpired lease.
bool Held(const LeaseListing& l, int64_t now_ms) {
  if (!l.leader_agent_id && !l.leader_node_id) return false;
  return !l.expires_at_ms || *l.expires_at_ms > now_ms;
}

// The agent a lease names: by agent id when the source has ids, else by node id.
bool Leads(const AgentListing& a, const LeaseListing& l) {
  if (a.agent_id) return l.leader_agent_id == a.agent_id;
  return a.node_id && l.leader_node_id == a.node_id;
}

std::string Or(const std::string& s) { return s.empty() ? "-" : s; }

template <typename T>
std::string OrDash(const std::optional<T>& v) {
  if (!v) return "-";
  if constexpr (std::is_same_v<T, std::string>) {
    return Or(*v);
  } else {
    return std::to_string(*v);
  }
}

// Milliseconds below 10 s, whole seconds above: "850ms", "75s".
std::string Age(int64_t ms) {
  if (ms > -10'000 && ms < 10'000) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

Status AgentsList(StreamClient& client, const CommandLine& cmd, std::ostream& out, int64_t now_ms) {
  SH_RETURN_IF_ERROR(cmd.CheckAllowed(Allowed({"agent-timeout-ms"})));
  SH_ASSIGN_OR_RETURN(std::optional<int64_t> timeout, cmd.GetInt("agent-timeout-ms"));
  if (timeout && *timeout <= 0) {
    return Status::InvalidArgument("--agent-timeout-ms must be positive");
  }
  const int64_t timeout_ms = timeout.value_or(kDefaultAgentTimeoutMs);
  if (!cmd.Word(2).empty()) return Status::InvalidArgument("agents list takes no argument");
  SH_ASSIGN_OR_RETURN(std::vector<AgentListing> agents, client.ListAgents());
  SH_ASSIGN_OR_RETURN(std::vector<LeaseListing> leases, client.ListLeases(std::nullopt));
  std::sort(agents.begin(), agents.end(), [](const AgentListing& a, const AgentListing& b) {
    return std::tie(a.agent_id, a.node_id) < std::tie(b.agent_id, b.node_id);
  });
  out << "agent_id  node_id  address  zone  started_at  heartbeat_age  state  leads\n";
  for (const AgentListing& a : agents) {
    int64_t led = std::count_if(leases.begin(), leases.end(), [&](const LeaseListing& l) {
      return Held(l, now_ms) && Leads(a, l);
    });
    // Without a heartbeat (Kafka Metadata) the agent is listed because it is live.
    std::string state = "live";
    std::string age = "-";
    if (a.last_heartbeat_ms) {
      int64_t since = now_ms - *a.last_heartbeat_ms;
      age = Age(since);
      if (since >= timeout_ms) state = "gone";
    }
    out << OrDash(a.agent_id) << "  " << OrDash(a.node_id) << "  " << Or(a.address) << "  "
        << Or(a.zone) << "  " << (a.started_at_ms ? FormatUtc(*a.started_at_ms) : "-") << "  "
        << age << "  " << state << "  " << led << "\n";
  }
  return Status::OK();
}

Status LeasesList(StreamClient& client, const CommandLine& cmd, std::ostream& out, int64_t now_ms) {
  SH_RETURN_IF_ERROR(cmd.CheckAllowed(Allowed({})));
  std::optional<std::string> topic;
  if (!cmd.Word(2).empty()) topic = cmd.Word(2);
  if (!cmd.Word(3).empty()) return Status::InvalidArgument("leases list takes at most one topic");
  SH_ASSIGN_OR_RETURN(std::vector<LeaseListing> leases, client.ListLeases(topic));
  std::sort(leases.begin(), leases.end(), [](const LeaseListing& a, const LeaseListing& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  out << "topic  partition  leader  epoch  expires_in  state\n";
  for (const LeaseListing& l : leases) {
    std::string leader = l.leader_agent_id ? Or(*l.leader_agent_id) : OrDash(l.leader_node_id);
    std::string expires = l.expires_at_ms ? std::to_string(*l.expires_at_ms - now_ms) + "ms" : "-";
    std::string state = "none";
    if (l.leader_agent_id || l.leader_node_id) state = Held(l, now_ms) ? "held" : "expired";
    out << l.topic << "  " << l.partition << "  " << leader << "  " << OrDash(l.leader_epoch)
        << "  " << expires << "  " << state << "\n";
  }
  return Status::OK();
}

}  // namespace

std::string FormatUtc(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  if (::gmtime_r(&seconds, &tm) == nullptr) return std::to_string(ms) + "ms";
  char text[32];
  if (std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(ms) + "ms";
  }
  return text;
}

Status RunClusterCommand(StreamClient& client, const CommandLine& cmd, std::ostream& out,
                         const Clock& clock) {
  const std::string verb = cmd.Word(0) + " " + cmd.Word(1);
  if (verb == "agents list") return AgentsList(client, cmd, out, clock.NowMs());
  if (verb == "leases list") return LeasesList(client, cmd, out, clock.NowMs());
  return Status::InvalidArgument("unknown command '" + verb + "': try agents list, leases list");
}

}  // namespace sh::cli
