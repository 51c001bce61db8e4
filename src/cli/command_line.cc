#include "cli/command_line.h"

#include <cerrno>
#include <cstdlib>

namespace sh::cli {

Result<CommandLine> CommandLine::Parse(int argc, char** argv,
                                       const std::set<std::string>& bool_flags) {
  CommandLine cl;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      std::string name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        cl.flags_.emplace(name.substr(0, eq), name.substr(eq + 1));
      } else if (bool_flags.count(name)) {
        cl.flags_.emplace(name, "true");
      } else if (i + 1 < argc) {
        cl.flags_.emplace(name, argv[++i]);
      } else {
        return Status::InvalidArgument("flag --" + name + " needs a value");
      }
    } else {
      cl.positional_.push_back(arg);
    }
  }
  return cl;
}

std::optional<std::string> CommandLine::Get(const std::string& flag) const {
  auto range = flags_.equal_range(flag);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;
}

std::vector<std::string> CommandLine::GetAll(const std::string& flag) const {
  std::vector<std::string> out;
  auto range = flags_.equal_range(flag);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

Result<std::optional<int64_t>> CommandLine::GetInt(const std::string& flag) const {
  auto v = Get(flag);
  if (!v) return std::optional<int64_t>();
  SH_ASSIGN_OR_RETURN(int64_t n, ParseInt(*v, "--" + flag));
  return std::optional<int64_t>(n);
}

Status CommandLine::CheckAllowed(const std::set<std::string>& allowed) const {
  for (const auto& [name, value] : flags_) {
    if (!allowed.count(name)) return Status::InvalidArgument("unknown flag --" + name);
  }
  return Status::OK();
}

Result<int64_t> ParseInt(const std::string& text, const std::string& what) {
  if (text.empty()) return Status::InvalidArgument(what + ": expected a number, got ''");
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == nullptr || *end != '\0') {
    return Status::InvalidArgument(what + ": expected a number, got '" + text + "'");
  }
  return static_cast<int64_t>(v);
}

}  // namespace sh::cli
