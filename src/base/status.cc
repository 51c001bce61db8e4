#include "base/status.h"

#include <cstdio>

namespace sh {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kAlreadyExists: return "AlreadyExists";
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kCorruption: return "Corruption";
    case ErrorCode::kIOError: return "IOError";
    case ErrorCode::kUnavailable: return "Unavailable";
    case ErrorCode::kTimeout: return "Timeout";
    case ErrorCode::kOutOfRange: return "OutOfRange";
    case ErrorCode::kFenced: return "Fenced";
    case ErrorCode::kTooLarge: return "TooLarge";
    case ErrorCode::kUnsupported: return "Unsupported";
    case ErrorCode::kInternal: return "Internal";
  }
  return "Unknown";
}

const char* SubCodeName(SubCode sub) {
  switch (sub) {
    case SubCode::kNone: return "None";
    case SubCode::kLeadershipHandedBack: return "LeadershipHandedBack";
    case SubCode::kRecordTooLarge: return "RecordTooLarge";
    case SubCode::kInvalidRecord: return "InvalidRecord";
    case SubCode::kOutOfOrderSequence: return "OutOfOrderSequence";
    case SubCode::kStaleProducerEpoch: return "StaleProducerEpoch";
    case SubCode::kInvalidTopicName: return "InvalidTopicName";
    case SubCode::kInvalidPartitionCount: return "InvalidPartitionCount";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = ErrorCodeName(code_);
  s += ": ";
  s += message_;
  return s;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, subcode_, std::move(m));
}

void CheckFailed(const char* file, int line, const char* expr, const std::string& msg) {
  std::fprintf(stderr, "FATAL %s:%d: check failed: %s %s\n", file, line, expr, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace sh
