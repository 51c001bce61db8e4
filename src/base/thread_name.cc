#include "base/thread_name.h"

#include <pthread.h>

namespace sh {

namespace {
constexpr size_t kMaxThreadName = 15;  // TASK_COMM_LEN - 1
}  // namespace

void SetCurrentThreadName(std::string_view name) {
  std::string cut(name.substr(0, kMaxThreadName));
  pthread_setname_np(pthread_self(), cut.c_str());
}

std::string CurrentThreadName() {
  char buf[kMaxThreadName + 1] = {};
  if (pthread_getname_np(pthread_self(), buf, sizeof(buf)) != 0) return "";
  return buf;
}

}  // namespace sh
