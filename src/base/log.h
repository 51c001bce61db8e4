// Minimal leveled logging to stderr: SH_LOG(INFO) << "segment " << key << " sealed";
// One line per message, written with a single write() so lines from several
// threads never interleave.
#pragma once

#include <sstream>
#include <string>

namespace sh {

enum class LogLevel { DEBUG = 0, INFO = 1, WARN = 2, ERROR = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn", "error"; returns false if unknown.
bool ParseLogLevel(const std::string& name, LogLevel* out);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace sh

#define SH_LOG(level)                                              \
  if (::sh::LogLevel::level < ::sh::GetLogLevel()) {               \
  } else                                                           \
    ::sh::LogMessage(::sh::LogLevel::level, __FILE__, __LINE__).stream()
