// streamctl: StreamHouse's command-line tool. See kUsage in commands.cc.
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/embedded_client.h"

int main(int argc, char** argv) {
  using namespace sh::cli;
  auto cmd = CommandLine::Parse(argc, argv, BoolFlags());
  if (!cmd.ok()) {
    std::cerr << "streamctl: " << cmd.status().ToString() << "\n\n" << kUsage;
    return 2;
  }
  if (cmd->Has("help") || cmd->positional().empty()) {
    std::cout << kUsage;
    return cmd->Has("help") ? 0 : 2;
  }
  std::string data_dir = cmd->Get("data-dir").value_or("data");
  auto client = EmbeddedClient::Open(data_dir);
  if (!client.ok()) {
    std::cerr << "streamctl: " << client.status().ToString() << "\n";
    return 1;
  }
  return RunCommand(**client, *cmd, std::cin, std::cout, std::cerr);
}
