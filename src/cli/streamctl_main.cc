// streamctl: StreamHouse's command-line tool. See kUsage in commands.cc.
#include <iostream>
#include <memory>

#include "base/log.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/embedded_client.h"
#include "cli/kafka_client.h"
#include "cli/metadata_client.h"

namespace {

// A running agent when --bootstrap is given, a metadata store alone for
// --metadata-url, else the data directory.
sh::Result<std::unique_ptr<sh::cli::StreamClient>> OpenClient(const sh::cli::CommandLine& cmd) {
  using namespace sh::cli;
  int modes = cmd.Has("data-dir") + cmd.Has("bootstrap") + cmd.Has("metadata-url");
  if (modes > 1) {
    return sh::Status::InvalidArgument("give one of --data-dir, --bootstrap, --metadata-url");
  }
  if (auto url = cmd.Get("metadata-url")) {
    SH_ASSIGN_OR_RETURN(std::unique_ptr<MetadataClient> client, MetadataClient::Open(*url));
    return std::unique_ptr<StreamClient>(std::move(client));
  }
  if (auto bootstrap = cmd.Get("bootstrap")) {
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
  // The embedded broker logs what an agent would (partitions led, WAL
  // replayed); a command prints only its own output, and warnings.
  sh::SetLogLevel(sh::LogLevel::WARN);
  auto client = OpenClient(*cmd);
  if (!client.ok()) {
    std::cerr << "streamctl: " << client.status().ToString() << "\n";
    return client.status().code() == sh::ErrorCode::kInvalidArgument ? 2 : 1;
  }
  return RunCommand(**client, *cmd, std::cin, std::cout, std::cerr);
}
