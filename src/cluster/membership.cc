#include "cluster/membership.h"

#include <algorithm>
#include <utility>

namespace sh::cluster {

Status ValidateMembershipOptions(const MembershipOptions& options) {
  if (options.agent_id.empty() || options.agent_id.size() > 255) {
    return Status::InvalidArgument("membership: agent id must be 1..255 bytes, got " +
                                   std::to_string(options.agent_id.size()));
  }
  if (options.heartbeat_interval_ms <= 0) {
    return Status::InvalidArgument("membership: heartbeat interval must be positive, got " +
                                   std::to_string(options.heartbeat_interval_ms) + " ms");
  }
  if (options.agent_timeout_ms <= 2 * options.heartbeat_interval_ms) {
    return Status::InvalidArgument("membership: agent timeout " +
                                   std::to_string(options.agent_timeout_ms) +
                                   " ms must exceed twice the heartbeat interval " +
                                   std::to_string(options.heartbeat_interval_ms) + " ms");
  }
  return Status::OK();
}

Membership::Membership(MetadataStore& metadata, const Clock& clock, MembershipOptions options)
    : metadata_(metadata), clock_(clock), options_(std::move(options)) {}

AgentInfo Membership::SelfRow(int64_t now_ms) const {
  AgentInfo row;
  row.agent_id = options_.agent_id;
  row.address = options_.address;
  row.zone = options_.zone;
  row.node_id = options_.node_id;
  row.started_at_ms = started_at_ms_;
  row.last_heartbeat_ms = now_ms;
  return row;
}

Status Membership::Heartbeat() {
  SH_RETURN_IF_ERROR(ValidateMembershipOptions(options_));
  std::lock_guard lock(mu_);
  int64_t now = clock_.NowMs();
  if (!joined_) started_at_ms_ = now;
  Status st = metadata_.UpsertAgent(SelfRow(now));
  if (!st.ok()) return st.WithContext("heartbeat of agent " + options_.agent_id);
  joined_ = true;
  last_heartbeat_ms_ = now;
  return Status::OK();
}

bool Membership::HeartbeatDue() const {
  std::lock_guard lock(mu_);
  return !joined_ || clock_.NowMs() - last_heartbeat_ms_ >= options_.heartbeat_interval_ms;
}

Result<std::vector<AgentInfo>> Membership::LiveAgents() const {
  auto rows = metadata_.ListAgents();
  if (!rows.ok()) return rows.status().WithContext("list live agents");
  std::lock_guard lock(mu_);
  int64_t now = clock_.NowMs();
  std::vector<AgentInfo> live;
  bool self_listed = false;
  for (auto& row : *rows) {
    if (row.agent_id == options_.agent_id) {
      // Our own row is judged by what we know, not by what the store says.
      if (!joined_) continue;
      self_listed = true;
      live.push_back(SelfRow(last_heartbeat_ms_));
      continue;
    }
    if (now - row.last_heartbeat_ms < options_.agent_timeout_ms) live.push_back(std::move(row));
  }
  if (joined_ && !self_listed) live.push_back(SelfRow(last_heartbeat_ms_));
  std::sort(live.begin(), live.end(),
            [](const AgentInfo& a, const AgentInfo& b) { return a.agent_id < b.agent_id; });
  return live;
}

Result<std::vector<std::string>> Membership::LiveAgentIds() const {
  auto live = LiveAgents();
  if (!live.ok()) return live.status();
  std::vector<std::string> ids;
  ids.reserve(live->size());
  for (const auto& a : *live) ids.push_back(a.agent_id);
  return ids;
}

Status Membership::Leave() {
  std::lock_guard lock(mu_);
  Status st = metadata_.RemoveAgent(options_.agent_id);
  if (!st.ok() && st.code() != ErrorCode::kNotFound) {
    return st.WithContext("leave of agent " + options_.agent_id);
  }
  joined_ = false;
  return Status::OK();
}

}  // namespace sh::cluster
