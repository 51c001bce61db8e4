// FaultyObjectStore: wraps another ObjectStore and misbehaves on command.
//
// For tests of everything above the object store (WAL, segment upload,
// recovery): fail calls (the next N, all, or each with probability p from a
// seeded generator), delay them, or tear Puts (store only a prefix of the
// data, then report failure or, worse, success). Every call is counted.
//
//   MemoryObjectStore mem;
//   FaultyObjectStore faulty(mem);
//   faulty.FailNext(ObjectOp::kPut, 2);          // two IOError("injected fault")
//   faulty.TruncateNextPuts(1, 100, TornPut::kReportSuccess);
//
// Order inside a call: count it, sleep its delay, then a failure rule (the
// call fails without reaching the inner store), then, for Put only, a
// truncation rule. Setting a rule for an operation replaces the previous one.
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>

#include "objstore/object_store.h"

namespace sh {

enum class ObjectOp : uint8_t { kPut, kGet, kGetRange, kSize, kList, kDelete };
inline constexpr size_t kObjectOpCount = 6;
const char* ObjectOpName(ObjectOp op);

// What a torn Put tells its caller after storing only a prefix.
enum class TornPut {
  kReportFailure,  // IOError: the caller knows and may retry
  kReportSuccess,  // OK: a store that lies (the reader must catch it by CRC)
};

class FaultyObjectStore final : public ObjectStore {
 public:
  // Pass as n: the rule never runs out.
  static constexpr uint64_t kForever = UINT64_MAX;
  static Status DefaultFault() { return Status::IOError("injected fault"); }

  // REQUIRES: inner outlives this object. seed drives FailWithProbability.
  explicit FaultyObjectStore(ObjectStore& inner, uint64_t seed = 1);

  // The next n calls of op fail with status.
  void FailNext(ObjectOp op, uint64_t n, Status status = DefaultFault());
  // Every call of op fails with status until ClearFailures(op) or Reset().
  void FailAlways(ObjectOp op, Status status = DefaultFault());
  // Each call of op fails with probability p (0..1), drawn from the seeded
  // generator, so a run is reproducible from its seed.
  void FailWithProbability(ObjectOp op, double p, Status status = DefaultFault());
  void ClearFailures(ObjectOp op);

  // Every call of op (or of every op) first sleeps for d; zero removes it.
  void SetDelay(ObjectOp op, std::chrono::nanoseconds d);
  void SetDelayAll(std::chrono::nanoseconds d);
  // Replaces the sleep (default std::this_thread::sleep_for), e.g. so a test
  // can record delays instead of waiting.
  void SetSleepFunction(std::function<void(std::chrono::nanoseconds)> sleep);

  // The next n Puts store only the first keep_bytes bytes (or the first
  // fraction of the bytes, rounded down) and then report per mode.
  void TruncateNextPuts(uint64_t n, uint64_t keep_bytes, TornPut mode);
  void TruncateNextPutsFraction(uint64_t n, double fraction, TornPut mode);
  void ClearTruncation();

  // Removes every failure, delay and truncation rule; counters are kept.
  void Reset();

  // Counters. calls: every call made, whatever its outcome. injected: calls
  // failed or torn by a rule. torn_puts: Puts that stored only a prefix.
  uint64_t calls(ObjectOp op) const { return calls_[Index(op)].load(); }
  uint64_t injected(ObjectOp op) const { return injected_[Index(op)].load(); }
  uint64_t torn_puts() const { return torn_puts_.load(); }
  uint64_t total_calls() const;
  void ResetCounters();

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key) override;
  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Size(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return "faulty(" + inner_.Describe() + ")"; }

 private:
  struct FailRule {
    uint64_t remaining = 0;    // calls still to fail (kForever: all)
    double probability = 0.0;  // used when remaining == 0
    Status status;
  };
  struct TruncateRule {
    uint64_t remaining = 0;
    bool by_fraction = false;
    uint64_t keep_bytes = 0;
    double fraction = 0.0;
    TornPut mode = TornPut::kReportFailure;
  };

  static size_t Index(ObjectOp op) { return static_cast<size_t>(op); }
  // Counts the call, sleeps its delay, and applies its failure rule.
  Status Enter(ObjectOp op, std::string_view key);
  // How many bytes of a size-byte Put to keep, if a truncation rule applies.
  bool TakeTruncation(uint64_t size, uint64_t* keep, TornPut* mode);

  ObjectStore& inner_;
  std::mutex mu_;  // guards the rules and rng_
  std::array<FailRule, kObjectOpCount> fail_;
  std::array<std::chrono::nanoseconds, kObjectOpCount> delay_{};
  TruncateRule truncate_;
  std::mt19937_64 rng_;
  std::function<void(std::chrono::nanoseconds)> sleep_;
  std::array<std::atomic<uint64_t>, kObjectOpCount> calls_{};
  std::array<std::atomic<uint64_t>, kObjectOpCount> injected_{};
  std::atomic<uint64_t> torn_puts_{0};
};

}  // namespace sh
