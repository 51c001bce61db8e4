// Segment format version 1 (docs/design.md §4; byte layout in docs/formats/segment.md).
//
// A segment holds one partition's record batches for a contiguous offset
// range, grouped into blocks of ~1 MiB (before compression), each block
// compressed with the segment's block codec and checked by CRC-32C, followed
// by an offset index (one entry per block) and a fixed-size footer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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
  // Base offset of the block's first batch; for block 0 the segment's base
  // offset (which the first batch may start after), so that
  // blocks[0].first_offset always equals the header's base_offset.
  int64_t first_offset = 0;
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

// The 32-byte segment header. Bytes [16, 20) hold a CRC-32C of bytes [0, 16)
// (the original layout reserved them; the checksum lets a reader reject any flipped
// header byte, e.g. a codec of none turned into lz4, which nothing else catches).
struct SegmentHeader {
  uint16_t version = kSegmentFormatVersion;
  BlockCodec codec = BlockCodec::kNone;
  int64_t base_offset = 0;
};

// The 12-byte block header. Its "raw length" word (docs/design.md §4) also carries the
// block's own codec in its top 4 bits (a block of producer-compressed batches
// is stored uncompressed inside an lz4/zstd segment); see docs/formats/segment.md.
struct BlockHeader {
  uint32_t stored_length = 0;  // payload bytes after this header
  uint32_t raw_length = 0;     // payload bytes after decompression (< 2^28)
  BlockCodec codec = BlockCodec::kNone;
  uint32_t crc = 0;  // CRC-32C of the stored payload bytes
};

constexpr int kBlockCodecShift = 28;
// Largest raw (uncompressed) block: the low 28 bits of the raw-length word.
constexpr uint32_t kMaxBlockRawBytes = (1u << kBlockCodecShift) - 1;

// Codec value as stored (0, 1, 2); Corruption for anything else.
Result<BlockCodec> BlockCodecFromWire(uint32_t value);

// Encoders append to out; decoders read exactly the fixed size from the start
// of data and return Corruption (without object context: callers add the key
// and region) when a field is impossible on its own.
void EncodeSegmentHeader(const SegmentHeader& header, ByteWriter& out);
Result<SegmentHeader> DecodeSegmentHeader(ByteView data);

void EncodeBlockHeader(const BlockHeader& header, ByteWriter& out);
Result<BlockHeader> DecodeBlockHeader(ByteView data);

void EncodeIndexEntry(const BlockIndexEntry& entry, ByteWriter& out);
BlockIndexEntry DecodeIndexEntry(ByteView data);  // REQUIRES: data.size() >= kIndexEntrySize

// The footer checksum: CRC-32C of the index bytes, continued over the footer's
// first 28 bytes (every field before the checksum), so that no footer field
// can change unnoticed. See docs/formats/segment.md for why.
uint32_t FooterChecksum(ByteView index_bytes, const SegmentFooter& footer);
void EncodeFooter(const SegmentFooter& footer, uint32_t checksum, ByteWriter& out);
struct DecodedFooter {
  SegmentFooter footer;
  uint32_t checksum = 0;
};
// Checks the magic only; the caller checks the checksum and the bounds.
Result<DecodedFooter> DecodeFooter(ByteView data);

// What the segment code reads of a record batch: header fields at their
// documented offsets (records/record_batch.h), never the records themselves.
struct BatchSummary {
  int64_t base_offset = 0;
  int64_t last_offset = 0;  // base_offset + lastOffsetDelta
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int32_t record_count = 0;
  int16_t attributes = 0;
  size_t size = 0;  // whole batch: 12 + batchLength
  bool producer_compressed() const { return (attributes & 0x07) != 0; }
};

// Header-level checks of the batch at the start of data: a length that fits,
// magic 2, lastOffsetDelta >= 0, recordCount >= 0, no offset overflow. The
// batch CRC is not checked here (the block CRC covers segment payloads).
// Corruption with the failed check named.
Result<BatchSummary> PeekBatchHeader(ByteView data);

// "topics/{topic}/{partition}/seg_{base_offset:020}.bin" for leader epochs 0
// and 1, "topics/{topic}/{partition}/seg_{base_offset:020}_e{epoch}.bin" for
// epoch 2 and above, so that a deposed leader's late seal never overwrites the
// object of a segment a newer leader registered at the same base offset
// (docs/cluster.md §6). Epoch 1 is a partition's first lease holder (0: a
// writer without a lease, which cannot coexist with a held lease), so every
// epoch gets its own names and a single agent's keys are those of version 1.
// Readers take keys from the segments rows and never parse them.
std::string SegmentObjectKey(const std::string& topic, int32_t partition, int64_t base_offset,
                             int64_t leader_epoch = 0);

}  // namespace sh::storage
