// Completion<T> and AwaitCompletion: the one way a result produced on another
// thread (a blocking worker, the WAL flusher, the group coordinator's
// callbacks) resumes the coroutine that waits for it.
//
//   JoinResult r = co_await AwaitCompletion<JoinResult>(
//       [&](Completion<JoinResult> done) { coordinator.Join(args, done); });
//
// start runs at once, inside the co_await; it hands `done` to whatever will
// produce the result. Calling done(value), from any thread, posts the
// coroutine's resumption to its own executor: it never resumes on the
// caller's thread or inside the caller's locks. done is copyable (copies
// share one state), so it also fits a std::function callback.
//
// The work guard that keeps the coroutine's io_context running while the
// result is outstanding moves into the posted resumption, so it is released
// on the executor's thread: a caller that drops its last copy of done after
// the context is gone touches nothing freed (completion_test.cc).
// REQUIRES: done is called at most once; until it is, the coroutine waits.
#pragma once

#include <asio.hpp>
#include <memory>
#include <utility>

namespace sh::kafka {

template <typename T, typename Start>
asio::awaitable<T> AwaitCompletion(Start start);

template <typename T>
class Completion {
 public:
  // Resumes the awaiting coroutine with value, on its executor.
  void operator()(T value) const { state_->Complete(std::move(value)); }

 private:
  template <typename U, typename Start>
  friend asio::awaitable<U> AwaitCompletion(Start start);

  struct State {
    virtual ~State() = default;
    virtual void Complete(T value) = 0;
  };

  template <typename Handler>
  struct StateFor final : State {
    explicit StateFor(Handler h)
        : work(asio::make_work_guard(asio::get_associated_executor(h))), handler(std::move(h)) {}
    void Complete(T value) override {
      auto ex = work.get_executor();
      asio::post(ex, [work = std::move(work), h = std::move(handler),
                      v = std::move(value)]() mutable { std::move(h)(std::move(v)); });
    }
    asio::executor_work_guard<asio::associated_executor_t<Handler>> work;
    Handler handler;
  };

  template <typename Handler>
  explicit Completion(Handler h) : state_(std::make_shared<StateFor<Handler>>(std::move(h))) {}

  std::shared_ptr<State> state_;
};

template <typename T, typename Start>
asio::awaitable<T> AwaitCompletion(Start start) {
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [&start](auto handler) { start(Completion<T>(std::move(handler))); }, asio::use_awaitable);
}

}  // namespace sh::kafka
