#include "objstore/faulty_object_store.h"

#include <algorithm>
#include <thread>

namespace sh {

const char* ObjectOpName(ObjectOp op) {
  switch (op) {
    case ObjectOp::kPut:
      return "put";
    case ObjectOp::kGet:
      return "get";
    case ObjectOp::kGetRange:
      return "get_range";
    case ObjectOp::kSize:
      return "size";
    case ObjectOp::kList:
      return "list";
    case ObjectOp::kDelete:
      return "delete";
  }
  return "unknown";
}

FaultyObjectStore::FaultyObjectStore(ObjectStore& inner, uint64_t seed)
    : inner_(inner),
      rng_(seed),
      sleep_([](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); }) {}

void FaultyObjectStore::FailNext(ObjectOp op, uint64_t n, Status status) {
  std::lock_guard lock(mu_);
  fail_[Index(op)] = FailRule{n, 0.0, std::move(status)};
}

void FaultyObjectStore::FailAlways(ObjectOp op, Status status) {
  FailNext(op, kForever, std::move(status));
}

void FaultyObjectStore::FailWithProbability(ObjectOp op, double p, Status status) {
  std::lock_guard lock(mu_);
  fail_[Index(op)] = FailRule{0, std::clamp(p, 0.0, 1.0), std::move(status)};
}

void FaultyObjectStore::ClearFailures(ObjectOp op) {
  std::lock_guard lock(mu_);
  fail_[Index(op)] = FailRule{};
}

void FaultyObjectStore::SetDelay(ObjectOp op, std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  delay_[Index(op)] = d;
}

void FaultyObjectStore::SetDelayAll(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  delay_.fill(d);
}

void FaultyObjectStore::SetSleepFunction(std::function<void(std::chrono::nanoseconds)> sleep) {
  std::lock_guard lock(mu_);
  sleep_ = std::move(sleep);
}

void FaultyObjectStore::TruncateNextPuts(uint64_t n, uint64_t keep_bytes, TornPut mode) {
  std::lock_guard lock(mu_);
  truncate_ = TruncateRule{n, false, keep_bytes, 0.0, mode};
}

void FaultyObjectStore::TruncateNextPutsFraction(uint64_t n, double fraction, TornPut mode) {
  std::lock_guard lock(mu_);
  truncate_ = TruncateRule{n, true, 0, std::clamp(fraction, 0.0, 1.0), mode};
}

void FaultyObjectStore::ClearTruncation() {
  std::lock_guard lock(mu_);
  truncate_ = TruncateRule{};
}

void FaultyObjectStore::Reset() {
  std::lock_guard lock(mu_);
  fail_.fill(FailRule{});
  delay_.fill(std::chrono::nanoseconds::zero());
  truncate_ = TruncateRule{};
}

uint64_t FaultyObjectStore::total_calls() const {
  uint64_t total = 0;
  for (const auto& c : calls_) total += c.load();
  return total;
}

void FaultyObjectStore::ResetCounters() {
  for (auto& c : calls_) c.store(0);
  for (auto& c : injected_) c.store(0);
  torn_puts_.store(0);
}

Status FaultyObjectStore::Enter(ObjectOp op, std::string_view key) {
  const size_t i = Index(op);
  calls_[i].fetch_add(1);
  std::chrono::nanoseconds delay;
  std::function<void(std::chrono::nanoseconds)> sleep;
  bool fail = false;
  Status status;
  {
    std::lock_guard lock(mu_);
    delay = delay_[i];
    if (delay > std::chrono::nanoseconds::zero()) sleep = sleep_;
    FailRule& rule = fail_[i];
    if (rule.remaining > 0) {
      fail = true;
      if (rule.remaining != kForever) --rule.remaining;
    } else if (rule.probability > 0.0) {
      fail = std::bernoulli_distribution(rule.probability)(rng_);
    }
    if (fail) status = rule.status;
  }
  // Sleep outside the lock so a delayed call does not hold up the others.
  if (sleep) sleep(delay);
  if (!fail) return Status::OK();
  injected_[i].fetch_add(1);
  return status.WithContext(std::string(ObjectOpName(op)) + " object '" + std::string(key) + "'");
}

bool FaultyObjectStore::TakeTruncation(uint64_t size, uint64_t* keep, TornPut* mode) {
  std::lock_guard lock(mu_);
  if (truncate_.remaining == 0) return false;
  if (truncate_.remaining != kForever) --truncate_.remaining;
  *keep = truncate_.by_fraction
              ? static_cast<uint64_t>(static_cast<double>(size) * truncate_.fraction)
              : truncate_.keep_bytes;
  *keep = std::min(*keep, size);
  *mode = truncate_.mode;
  return true;
}

Status FaultyObjectStore::Put(std::string_view key, ByteView data) {
  SH_RETURN_IF_ERROR(Enter(ObjectOp::kPut, key));
  uint64_t keep = 0;
  TornPut mode = TornPut::kReportFailure;
  if (!TakeTruncation(data.size(), &keep, &mode)) return inner_.Put(key, data);
  injected_[Index(ObjectOp::kPut)].fetch_add(1);
  torn_puts_.fetch_add(1);
  SH_RETURN_IF_ERROR(inner_.Put(key, data.first(keep)));
  if (mode == TornPut::kReportSuccess) return Status::OK();
  return Status::IOError("put object '" + std::string(key) + "': injected torn write, stored " +
                         std::to_string(keep) + " of " + std::to_string(data.size()) + " bytes");
}

Result<Bytes> FaultyObjectStore::Get(std::string_view key) {
  SH_RETURN_IF_ERROR(Enter(ObjectOp::kGet, key));
  return inner_.Get(key);
}

Result<Bytes> FaultyObjectStore::GetRange(std::string_view key, uint64_t offset, uint64_t length) {
  SH_RETURN_IF_ERROR(Enter(ObjectOp::kGetRange, key));
  return inner_.GetRange(key, offset, length);
}

Result<uint64_t> FaultyObjectStore::Size(std::string_view key) {
  SH_RETURN_IF_ERROR(Enter(ObjectOp::kSize, key));
  return inner_.Size(key);
}

Result<std::vector<ObjectInfo>> FaultyObjectStore::List(std::string_view prefix) {
  SH_RETURN_IF_ERROR(Enter(ObjectOp::kList, prefix));
  return inner_.List(prefix);
}

Status FaultyObjectStore::Delete(std::string_view key) {
  SH_RETURN_IF_ERROR(Enter(ObjectOp::kDelete, key));
  return inner_.Delete(key);
}

}  // namespace sh
