// Completions that arrive from other threads (the coordinator's callbacks,
// the blocking workers) must not outlive the io_context they resume on: what
// keeps that context running is released on its own thread, so a caller that
// drops its last reference after the context is gone touches nothing freed.
// Under AddressSanitizer these fail as heap-use-after-free without that rule.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include "base/thread_name.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/completion.h"

namespace sh::kafka {
namespace {

TEST(CompletionTest, CallbackKeptAfterTheContextIsDestroyed) {
  std::function<void(int)> kept;
  std::promise<int> got;
  {
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          got.set_value(co_await AwaitCompletion<int>(
              [&](Completion<int> done) { kept = std::move(done); }));
        },
        asio::detached);
    io.poll();  // up to the suspension: the callback is stored
    ASSERT_TRUE(kept);
    kept(7);
    // Resumes the coroutine and returns once no work is left: the callback
    // the caller still holds keeps none.
    io.run_for(std::chrono::seconds(5));
    EXPECT_TRUE(io.stopped());
  }
  EXPECT_EQ(got.get_future().get(), 7);
  kept = nullptr;  // the caller's copy goes last, after the context
}

TEST(CompletionTest, BlockingWorkerFinishesAfterTheContextIsDestroyed) {
  // The coroutine stops its context as soon as it resumes (as a server
  // stopping does) and the context is destroyed at once, while the worker
  // may still be finishing its part. Repeated so that both orders happen.
  BlockingExecutor blocking(2);
  for (int i = 0; i < 5000; ++i) {
    std::optional<int> got;
    {
      asio::io_context io;
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            got = co_await blocking.Run([i] { return i; });
            io.stop();
          },
          asio::detached);
      io.run();
    }
    ASSERT_EQ(got, i);
  }
}

TEST(CompletionTest, BlockingWorkersAreNamed) {
  BlockingExecutor blocking(2);
  asio::io_context io;
  std::string name;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        name = co_await blocking.Run([] { return CurrentThreadName(); });
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(name == "sh-blocking-0" || name == "sh-blocking-1") << name;
}

}  // namespace
}  // namespace sh::kafka
