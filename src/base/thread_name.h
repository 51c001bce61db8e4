// Thread names: every thread StreamHouse starts names itself first thing, so
// that top -H, gdb, perf and /proc/<pid>/task/*/comm show what it is
// (docs/architecture.md, "Threads").
#pragma once

#include <string>
#include <string_view>

namespace sh {

// Names the calling thread. Linux keeps at most 15 bytes of a name; a longer
// one is cut there, never rejected.
void SetCurrentThreadName(std::string_view name);

// The calling thread's name, as the kernel holds it.
std::string CurrentThreadName();

}  // namespace sh
