// The fixture of streamctl's command tests: a fresh data directory per test,
// opened with EmbeddedClient, and Run() to run one streamctl command line.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/embedded_client.h"

namespace sh::cli {

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("streamctl_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    client_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    client_.reset();
    auto client = EmbeddedClient::Open(dir_.string());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  // Runs "streamctl ARGS" with stdin input; returns the exit code.
  int Run(std::vector<std::string> args, const std::string& input = "") {
    std::vector<char*> argv;
    static char prog[] = "streamctl";
    argv.push_back(prog);
    for (std::string& a : args) argv.push_back(a.data());
    auto cmd = CommandLine::Parse(static_cast<int>(argv.size()), argv.data(), BoolFlags());
    if (!cmd.ok()) return 2;
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    return RunCommand(*client_, *cmd, in, out_, err_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<EmbeddedClient> client_;
  std::ostringstream out_, err_;
};

}  // namespace sh::cli
