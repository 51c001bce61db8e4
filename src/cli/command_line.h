// A small argument parser for streamctl: positional words, "--flag value",
// "--flag=value", boolean "--flag", and repeatable flags (--header a=1 --header b=2).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace sh::cli {

class CommandLine {
 public:
  // bool_flags: flags that take no value (e.g. "from-beginning").
  static Result<CommandLine> Parse(int argc, char** argv, const std::set<std::string>& bool_flags);

  const std::vector<std::string>& positional() const { return positional_; }
  // The positional word at i, or "" if there are fewer.
  std::string Word(size_t i) const { return i < positional_.size() ? positional_[i] : ""; }

  bool Has(const std::string& flag) const { return flags_.count(flag) > 0; }
  // Last value given for flag.
  std::optional<std::string> Get(const std::string& flag) const;
  std::vector<std::string> GetAll(const std::string& flag) const;
  Result<std::optional<int64_t>> GetInt(const std::string& flag) const;

  // InvalidArgument naming the first flag not in allowed.
  Status CheckAllowed(const std::set<std::string>& allowed) const;

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> flags_;
};

// Parses a whole decimal int64; InvalidArgument naming what on failure.
Result<int64_t> ParseInt(const std::string& text, const std::string& what);

}  // namespace sh::cli
