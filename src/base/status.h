// Status and Result<T>: the error values of StreamHouse.
//
// Expected failures (a missing object, a corrupt block, an unknown topic, a
// store that is down) are returned as values; a broken invariant aborts via
// SH_CHECK. No exception crosses a module boundary. Each message names the
// thing that failed (object key, topic/partition, offset) so that a log line
// alone tells an operator where to look.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sh {

enum class ErrorCode {
  kOk = 0,
  kNotFound,         // object, topic, partition, group, ... does not exist
  kAlreadyExists,    // create of something that exists
  kInvalidArgument,  // the caller asked for something malformed
  kCorruption,       // stored bytes fail a checksum or a structural check
  kIOError,          // the local filesystem failed
  kUnavailable,      // a dependency (store, database) is down; retriable
  kTimeout,          // an operation ran past its deadline; retriable
  kOutOfRange,       // an offset or byte range outside what exists
  kFenced,           // a leader write lost to a newer leader epoch
  kTooLarge,         // a message, batch or request over its size limit
  kUnsupported,      // a version, codec or feature not implemented
  kInternal,         // anything else
};

const char* ErrorCodeName(ErrorCode code);

// A finer reason within an ErrorCode, as RocksDB's Status::SubCode: what a
// caller must tell apart never needs the message text. Mapped to Kafka error
// codes in one place (src/kafka/server/errors.cc).
enum class SubCode : uint8_t {
  kNone = 0,
  // Unavailable (embedded mode: the next call opens a new leader) or Fenced
  // (cluster mode): the partition's leader retired or is being retired.
  kLeadershipHandedBack,
  // TooLarge: a record batch over the topic's max.message.bytes.
  kRecordTooLarge,
  // InvalidArgument: a record batch the broker refuses (old magic, no
  // batches, several batches of an idempotent producer, a bad sequence).
  kInvalidRecord,
  // InvalidArgument: an idempotent batch whose sequence leaves a gap.
  kOutOfOrderSequence,
  // InvalidArgument: an idempotent batch of an epoch older than the producer's.
  kStaleProducerEpoch,
  // InvalidArgument: a topic name Kafka does not allow.
  kInvalidTopicName,
  // InvalidArgument: a partition count outside what the broker allows.
  kInvalidPartitionCount,
};

const char* SubCodeName(SubCode sub);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(ErrorCode code, SubCode sub, std::string message)
      : code_(code), subcode_(sub), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status Corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {ErrorCode::kIOError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {ErrorCode::kTimeout, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {ErrorCode::kOutOfRange, std::move(m)}; }
  static Status Fenced(std::string m) { return {ErrorCode::kFenced, std::move(m)}; }
  static Status TooLarge(std::string m) { return {ErrorCode::kTooLarge, std::move(m)}; }
  static Status Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  SubCode subcode() const { return subcode_; }
  const std::string& message() const { return message_; }
  // True for failures that may succeed when tried again unchanged.
  bool retriable() const {
    return code_ == ErrorCode::kUnavailable || code_ == ErrorCode::kTimeout ||
           code_ == ErrorCode::kIOError;
  }
  // "Corruption: segment topics/t/0/seg_...: block 3 crc mismatch"
  std::string ToString() const;

  // Returns a copy with "context: " put before the message (the sub-code stays).
  Status WithContext(std::string_view context) const;
  // Returns a copy with the sub-code set. REQUIRES: !ok().
  Status WithSubCode(SubCode sub) const { return Status(code_, sub, message_); }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  SubCode subcode_ = SubCode::kNone;
  std::string message_;
};

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status::Internal("Result constructed from OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { Check(); return *value_; }
  const T& value() const& { Check(); return *value_; }
  T&& value() && { Check(); return std::move(*value_); }
  T* operator->() { Check(); return &*value_; }
  const T* operator->() const { Check(); return &*value_; }
  T& operator*() & { Check(); return *value_; }
  const T& operator*() const& { Check(); return *value_; }

 private:
  void Check() const;
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const std::string& msg);

template <typename T>
void Result<T>::Check() const {
  if (!value_.has_value()) CheckFailed(__FILE__, __LINE__, "Result::ok()", status_.ToString());
}

}  // namespace sh

// Aborts with a message when an invariant does not hold (a programmer error).
#define SH_CHECK(cond)                                              \
  do {                                                              \
    if (!(cond)) ::sh::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)
#define SH_CHECK_MSG(cond, msg)                                       \
  do {                                                                \
    if (!(cond)) ::sh::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

#define SH_CONCAT_INNER(a, b) a##b
#define SH_CONCAT(a, b) SH_CONCAT_INNER(a, b)

#define SH_RETURN_IF_ERROR(expr)           \
  do {                                     \
    ::sh::Status _sh_st = (expr);          \
    if (!_sh_st.ok()) return _sh_st;       \
  } while (0)

// SH_ASSIGN_OR_RETURN(auto x, ComputeX());
#define SH_ASSIGN_OR_RETURN(lhs, expr) \
  SH_ASSIGN_OR_RETURN_IMPL(SH_CONCAT(_sh_res_, __LINE__), lhs, expr)
#define SH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
