// CRC-32C (Castagnoli), as used by Kafka record batches and StreamHouse's
// segment and WAL formats. Uses the SSE4.2 crc32 instruction when the CPU has
// it (checked once at start-up), else a slicing-by-8 table.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace sh::crc32c {

// Continues a CRC: Extend(Extend(0, a), b) == Value(a ++ b).
uint32_t Extend(uint32_t crc, const uint8_t* data, size_t n);
inline uint32_t Value(const uint8_t* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(ByteView b) { return Extend(0, b.data(), b.size()); }

// Exposed for tests and benchmarks: the two implementations.
uint32_t ExtendPortable(uint32_t crc, const uint8_t* data, size_t n);
uint32_t ExtendHardware(uint32_t crc, const uint8_t* data, size_t n);
bool HardwareAvailable();

}  // namespace sh::crc32c
