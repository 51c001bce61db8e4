// AwaitCallback: turns the coordinator's callback style (the answer to a
// JoinGroup may come much later, from another request's thread or the tick
// thread) into something a handler coroutine can co_await.
//
//   JoinResult r = co_await AwaitCallback<JoinResult>(
//       [&](JoinCallback cb) { coordinator.Join(args, std::move(cb)); });
//
// The result is posted to the awaiting coroutine's executor, so the
// coroutine never resumes on the caller's thread or inside the coordinator.
// REQUIRES: start hands the callback to something that calls it exactly once.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <utility>

namespace sh::kafka::group {

template <typename T, typename Start>
asio::awaitable<T> AwaitCallback(Start start) {
  auto initiate = [&start](auto handler) {
    auto executor = asio::get_associated_executor(handler);
    // The handler and the work guard that keeps the executor's context
    // running while the answer is outstanding. Both move into the posted
    // completion, so the guard is released on the executor's thread, never
    // on the caller's after the context may be gone.
    using Handler = decltype(handler);
    using Work = decltype(asio::make_work_guard(executor));
    struct Pending {
      Handler handler;
      Work work;
    };
    auto pending =
        std::make_shared<Pending>(Pending{std::move(handler), asio::make_work_guard(executor)});
    start(std::function<void(T)>([pending, executor](T result) {
      asio::post(executor, [p = std::move(*pending), result = std::move(result)]() mutable {
        std::move(p.handler)(std::move(result));
      });
    }));
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      initiate, asio::use_awaitable);
}

}  // namespace sh::kafka::group
