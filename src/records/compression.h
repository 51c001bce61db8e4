// Kafka producer compression codecs, applied to a batch's records section.
//
//   gzip   - RFC 1952 gzip stream (zlib)
//   snappy - Kafka/Java clients use xerial's framing ("\x82SNAPPY\0" header,
//            then [length][chunk] pairs); librdkafka may send raw snappy.
//            Decompress accepts both; Compress writes xerial framing, which
//            every client reads.
//   lz4    - the LZ4 frame format (with content checksum optional), as Kafka
//            >= 0.10 / magic 2 uses.
//   zstd   - a zstd frame.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"

namespace sh::records {

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

const char* CompressionName(Compression c);
// Parses "none", "gzip", "snappy", "lz4", "zstd". InvalidArgument otherwise.
Result<Compression> ParseCompression(std::string_view name);

Result<Bytes> Compress(Compression codec, ByteView input);
// max_output bounds the decompressed size (a guard against decompression bombs);
// TooLarge past it, Corruption if the input is not a valid stream of the codec.
Result<Bytes> Decompress(Compression codec, ByteView input, size_t max_output = 256u << 20);

}  // namespace sh::records
