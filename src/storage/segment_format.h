// Segment format version 1 (DESIGN §4; byte layout in docs/formats/segment.md).
//
// A segment holds one partition's record batches for a contiguous offset
// range, grouped into blocks of ~1 MiB (before compression), each block
// compressed with the segment's block codec and checked by CRC-32C, followed
// by an offset index (one entry per block) and a fixed-size footer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "records/record_batch.h"

namespace sh {
class ObjectStore;
}

namespace sh::storage {

enum class BlockCodec : uint16_t { kNone = 0, kLz4 = 1, kZstd = 2 };
const char* BlockCodecName(BlockCodec codec);
Result<BlockCodec> ParseBlockCodec(std::string_view name);  // "none", "lz4", "zstd"

constexpr uint32_t kSegmentMagic = 0x53525453;  // "STRS" read as little-endian u32
constexpr uint16_t kSegmentFormatVersion = 1;
constexpr size_t kSegmentHeaderSize = 32;
constexpr size_t kBlockHeaderSize = 12;
constexpr size_t kIndexEntrySize = 40;
constexpr size_t kSegmentFooterSize = 36;
constexpr size_t kDefaultBlockBytes = 1 << 20;

struct BlockIndexEntry {
  int64_t first_offset = 0;     // base offset of the block's first batch
  int64_t last_offset = 0;      // last offset of the block's last batch
  int64_t first_timestamp = 0;  // base timestamp of the first batch
  int64_t max_timestamp = 0;    // max timestamp over the block's batches
  uint64_t file_position = 0;   // where the block header starts
  bool operator==(const BlockIndexEntry&) const = default;
};

struct SegmentFooter {
  uint64_t index_position = 0;
  uint32_t index_count = 0;
  int64_t end_offset = 0;  // one past the last offset in the segment
  uint64_t record_count = 0;
};

// "topics/{topic}/{partition}/seg_{base_offset:020}.bin"
std::string SegmentObjectKey(const std::string& topic, int32_t partition, int64_t base_offset);

}  // namespace sh::storage
