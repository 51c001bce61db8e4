// BlockingExecutor: a pool of worker threads for blocking calls (SQLite,
// object store, fsync), so that network threads only ever wait on sockets.
// The workers are named "sh-blocking-<n>".
//
//   Result<TopicInfo> t = co_await ctx.blocking.Run([&] { return broker.GetTopic(name); });
//
// The coroutine is suspended while fn runs on a worker and resumes on its own
// executor afterwards (through a Completion, completion.h). fn's captures
// must outlive the co_await (capturing locals of the awaiting coroutine by
// reference is fine: its frame lives on).
#pragma once

#include <asio.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "base/thread_name.h"
#include "kafka/server/completion.h"

namespace sh::kafka {

class BlockingExecutor {
 public:
  explicit BlockingExecutor(size_t threads) : work_(asio::make_work_guard(io_)) {
    for (size_t i = 0; i < threads; ++i) {
      workers_.emplace_back([this, i] {
        SetCurrentThreadName("sh-blocking-" + std::to_string(i));
        io_.run();
      });
    }
  }
  ~BlockingExecutor() { Stop(); }
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Lets queued work finish, then joins the workers.
  void Stop() {
    work_.reset();
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  }

  template <typename F>
  asio::awaitable<std::invoke_result_t<F>> Run(F fn) {
    using R = std::invoke_result_t<F>;
    if constexpr (std::is_void_v<R>) {
      co_await AwaitCompletion<std::monostate>([&](Completion<std::monostate> done) {
        asio::post(io_, [fn = std::move(fn), done]() mutable {
          fn();
          done(std::monostate{});
        });
      });
    } else {
      co_return co_await AwaitCompletion<R>([&](Completion<R> done) {
        asio::post(io_, [fn = std::move(fn), done]() mutable { done(fn()); });
      });
    }
  }

  // Where work that does not await its result is posted.
  asio::io_context::executor_type executor() { return io_.get_executor(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> workers_;
};

}  // namespace sh::kafka
