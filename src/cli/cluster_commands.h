// streamctl's cluster commands (docs/cluster.md): `agents list` and
// `leases list [TOPIC]`, written against StreamClient like commands.cc.
// From a metadata store they show heartbeats and lease expiry as judged by
// this machine's clock; over the Kafka protocol, what Metadata says (node
// ids, leaders, epochs) with "-" for what it cannot say.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "cli/command_line.h"
#include "cli/stream_client.h"

namespace sh::cli {

// Default of --agent-timeout-ms: an agent whose last heartbeat is at least
// this old is "gone" (the agents' own agent_timeout_ms, docs/cluster.md §2).
inline constexpr int64_t kDefaultAgentTimeoutMs = 6'000;

// Runs "agents list" or "leases list [TOPIC]"; now is read from clock.
// InvalidArgument for another subcommand or bad flags.
Status RunClusterCommand(StreamClient& client, const CommandLine& cmd, std::ostream& out,
                         const Clock& clock);

// "2026-11-26T05:33:22Z": ms since the epoch as ISO-8601 UTC, to the second.
std::string FormatUtc(int64_t ms);

}  // namespace sh::cli
