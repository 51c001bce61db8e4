// BlockingExecutor: a pool of worker threads for blocking calls (SQLite,
// object store, fsync), so that network threads only ever wait on sockets.
//
//   Result<TopicInfo> t = co_await ctx.blocking.Run([&] { return broker.GetTopic(name); });
//
// The coroutine is suspended while fn runs on a worker and resumes on its own
// executor afterwards. fn's captures must outlive the co_await (capturing
// locals of the awaiting coroutine by reference is fine: its frame lives on).
// The work guard that keeps that executor's context alive moves into the
// completion, so it is released on the executor's thread: a worker never
// touches a context that may already be destroyed.
#pragma once

#include <asio.hpp>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace sh::kafka {

class BlockingExecutor {
 public:
  explicit BlockingExecutor(size_t threads) : pool_(threads) {}
  ~BlockingExecutor() { Stop(); }
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Lets queued work finish, then joins the workers.
  void Stop() { pool_.join(); }

  template <typename F>
  asio::awaitable<std::invoke_result_t<F>> Run(F fn) {
    using R = std::invoke_result_t<F>;
    auto initiate = [this, &fn](auto handler) mutable {
      auto work = asio::make_work_guard(asio::get_associated_executor(handler));
      asio::post(pool_, [fn = std::move(fn), handler = std::move(handler),
                         work = std::move(work)]() mutable {
        if constexpr (std::is_void_v<R>) {
          fn();
          auto ex = work.get_executor();
          asio::dispatch(ex, [handler = std::move(handler), work = std::move(work)]() mutable {
            std::move(handler)();
          });
        } else {
          std::optional<R> result;
          result.emplace(fn());
          auto ex = work.get_executor();
          asio::dispatch(ex, [handler = std::move(handler), work = std::move(work),
                              r = std::move(*result)]() mutable {
            std::move(handler)(std::move(r));
          });
        }
      });
    };
    if constexpr (std::is_void_v<R>) {
      co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(initiate,
                                                                          asio::use_awaitable);
    } else {
      co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
          initiate, asio::use_awaitable);
    }
  }

  asio::thread_pool& pool() { return pool_; }

 private:
  asio::thread_pool pool_;
};

}  // namespace sh::kafka
