// libFuzzer target: the first byte picks a codec, the rest is decompressed
// with a small output bound. Garbage must give Corruption or TooLarge.
#include <cstddef>
#include <cstdint>

#include "records/compression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto codec = static_cast<sh::records::Compression>(1 + data[0] % 4);
  auto out = sh::records::Decompress(codec, sh::ByteView(data + 1, size - 1), 1 << 20);
  if (out.ok() && out->size() > (1u << 20)) __builtin_trap();
  return 0;
}
