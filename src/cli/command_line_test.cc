#include "cli/command_line.h"

#include <gtest/gtest.h>

namespace sh::cli {
namespace {

Result<CommandLine> ParseArgs(std::vector<std::string> args) {
  std::vector<char*> argv;
  static char prog[] = "streamctl";
  argv.push_back(prog);
  for (std::string& a : args) argv.push_back(a.data());
  return CommandLine::Parse(static_cast<int>(argv.size()), argv.data(), {"from-beginning"});
}

TEST(CommandLineTest, WordsFlagsAndRepeats) {
  auto cl = ParseArgs({"produce", "orders", "--key", "k", "--header", "a=1", "--header=b=2",
                       "--from-beginning"});
  ASSERT_TRUE(cl.ok()) << cl.status().ToString();
  EXPECT_EQ(cl->Word(0), "produce");
  EXPECT_EQ(cl->Word(1), "orders");
  EXPECT_EQ(cl->Word(2), "");
  EXPECT_EQ(cl->Get("key"), "k");
  EXPECT_EQ(cl->GetAll("header"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_TRUE(cl->Has("from-beginning"));
  EXPECT_FALSE(cl->Has("partition"));
}

TEST(CommandLineTest, Errors) {
  EXPECT_FALSE(ParseArgs({"consume", "--partition"}).ok());  // value missing
  auto cl = ParseArgs({"consume", "--partition", "x1"});
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->GetInt("partition").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(cl->CheckAllowed({"offset"}).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(cl->CheckAllowed({"partition"}).ok());
  EXPECT_EQ(*ParseInt("-42", "n"), -42);
  EXPECT_FALSE(ParseInt("", "n").ok());
  EXPECT_FALSE(ParseInt("99999999999999999999", "n").ok());
}

}  // namespace
}  // namespace sh::cli
