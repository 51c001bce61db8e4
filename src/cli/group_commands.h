// streamctl's consumer group commands (group list / describe / reset-offsets
// / delete), written against StreamClient like the rest of commands.cc.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "base/status.h"
#include "cli/command_line.h"
#include "cli/stream_client.h"

namespace sh::cli {

// Runs "group SUBCOMMAND ..."; InvalidArgument for an unknown subcommand or
// bad flags, Unavailable when the group has members and the subcommand needs
// it to have none.
Status RunGroupCommand(StreamClient& client, const CommandLine& cmd, std::ostream& out);

// Milliseconds since the epoch from "2026-11-26T10:00:00Z" (ISO-8601, with
// optional fractional seconds and a Z or +HH:MM / -HH:MM offset) or from a
// plain decimal count of milliseconds.
Result<int64_t> ParseDateTime(const std::string& text);

}  // namespace sh::cli
