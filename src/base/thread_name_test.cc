#include "base/thread_name.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace sh {
namespace {

// The name a new thread reads back after naming itself `name`.
std::string NameReadBack(const std::string& name) {
  std::string seen;
  std::thread t([&] {
    SetCurrentThreadName(name);
    seen = CurrentThreadName();
  });
  t.join();
  return seen;
}

TEST(ThreadNameTest, NamesTheCallingThread) { EXPECT_EQ(NameReadBack("sh-test"), "sh-test"); }

TEST(ThreadNameTest, LongNamesAreCutToFifteenBytes) {
  EXPECT_EQ(NameReadBack("sh-a-name-longer-than-fifteen"), "sh-a-name-longe");
}

}  // namespace
}  // namespace sh
