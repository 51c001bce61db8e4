// streamctl: StreamHouse's command-line tool. See kUsage in commands.cc.
#include <iostream>
#include <memory>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/embedded_client.h"
#include "cli/kafka_client.h"

namespace {

// A running agent when --bootstrap is given, else the data directory.
sh::Result<std::unique_ptr<sh::cli::StreamClient>> OpenClient(const sh::cli::CommandLine& cmd) {
  using namespace sh::cli;
  if (auto bootstrap = cmd.Get("bootstrap")) {
    if (cmd.Has("data-dir")) {
      return sh::Status::InvalidArgument("give --data-dir or --bootstrap, not both");
    }
    SH_ASSIGN_OR_RETURN(std::unique_ptr<KafkaClient> client, KafkaClient::Connect(*bootstrap));
    return std::unique_ptr<StreamClient>(std::move(client));
  }
  SH_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedClient> client,
                      EmbeddedClient::Open(cmd.Get("data-dir").value_or("data")));
  return std::unique_ptr<StreamClient>(std::move(client));
}

}  // namespace

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
  auto client = OpenClient(*cmd);
  if (!client.ok()) {
    std::cerr << "streamctl: " << client.status().ToString() << "\n";
    return client.status().code() == sh::ErrorCode::kInvalidArgument ? 2 : 1;
  }
  return RunCommand(**client, *cmd, std::cin, std::cout, std::cerr);
}
