// streamctl's commands, written against StreamClient so that they behave the
// same on a data directory and against a running agent.
#pragma once

#include <iosfwd>

#include "cli/command_line.h"
#include "cli/stream_client.h"

namespace sh::cli {

// Runs the command named by the positional words of cmd ("topic create",
// "produce", ...). Output to out, records to produce from in. Returns the
// process exit code: 0 ok, 1 failure (message on err), 2 bad usage.
int RunCommand(StreamClient& client, const CommandLine& cmd, std::istream& in, std::ostream& out,
               std::ostream& err);

// Flags that take no value, for CommandLine::Parse.
const std::set<std::string>& BoolFlags();

extern const char kUsage[];

}  // namespace sh::cli
