#include "storage/segment_format.h"

#include <cstdio>
#include <limits>

#include "base/crc32c.h"

namespace sh::storage {

namespace {
// The header's CRC-32C sits after the fields it covers: bytes [0, 16).
constexpr size_t kHeaderChecksumOffset = 16;
}  // namespace

const char* BlockCodecName(BlockCodec codec) {
  switch (codec) {
    case BlockCodec::kNone:
      return "none";
    case BlockCodec::kLz4:
      return "lz4";
    case BlockCodec::kZstd:
      return "zstd";
  }
  return "unknown";
}

Result<BlockCodec> ParseBlockCodec(std::string_view name) {
  if (name == "none") return BlockCodec::kNone;
  if (name == "lz4") return BlockCodec::kLz4;
  if (name == "zstd") return BlockCodec::kZstd;
  return Status::InvalidArgument("unknown segment block codec '" + std::string(name) +
                                 "' (expected none, lz4 or zstd)");
}

Result<BlockCodec> BlockCodecFromWire(uint32_t value) {
  if (value <= static_cast<uint32_t>(BlockCodec::kZstd)) return static_cast<BlockCodec>(value);
  return Status::Corruption("unknown block codec " + std::to_string(value));
}

std::string SegmentObjectKey(const std::string& topic, int32_t partition, int64_t base_offset,
                             int64_t leader_epoch) {
  char name[64];
  if (leader_epoch <= 1) {
    std::snprintf(name, sizeof(name), "seg_%020lld.bin", static_cast<long long>(base_offset));
  } else {
    std::snprintf(name, sizeof(name), "seg_%020lld_e%lld.bin", static_cast<long long>(base_offset),
                  static_cast<long long>(leader_epoch));
  }
  return "topics/" + topic + "/" + std::to_string(partition) + "/" + name;
}

void EncodeSegmentHeader(const SegmentHeader& header, ByteWriter& out) {
  size_t start = out.size();
  out.PutLE32(kSegmentMagic);
  out.PutLE16(header.version);
  out.PutLE16(static_cast<uint16_t>(header.codec));
  out.PutLE64(static_cast<uint64_t>(header.base_offset));
  out.PutLE32(crc32c::Value(out.buffer().data() + start, kHeaderChecksumOffset));
  out.PutZeros(kSegmentHeaderSize - (out.size() - start));
}

Result<SegmentHeader> DecodeSegmentHeader(ByteView data) {
  if (data.size() < kSegmentHeaderSize) {
    return Status::Corruption("truncated to " + std::to_string(data.size()) + " bytes");
  }
  ByteReader r(data.first(kSegmentHeaderSize));
  uint32_t magic = r.ReadLE32();
  SegmentHeader h;
  h.version = r.ReadLE16();
  uint16_t codec = r.ReadLE16();
  h.base_offset = static_cast<int64_t>(r.ReadLE64());
  uint32_t stored_crc = r.ReadLE32();
  if (magic != kSegmentMagic) return Status::Corruption("magic mismatch");
  uint32_t crc = crc32c::Value(data.data(), kHeaderChecksumOffset);
  if (crc != stored_crc) {
    return Status::Corruption("checksum mismatch (stored " + std::to_string(stored_crc) +
                              ", computed " + std::to_string(crc) + ")");
  }
  if (h.version != kSegmentFormatVersion) {
    return Status::Unsupported("format version " + std::to_string(h.version) + ", expected " +
                               std::to_string(kSegmentFormatVersion));
  }
  SH_ASSIGN_OR_RETURN(h.codec, BlockCodecFromWire(codec));
  while (!r.empty()) {
    if (r.ReadU8() != 0) return Status::Corruption("reserved bytes are not zero");
  }
  return h;
}

void EncodeBlockHeader(const BlockHeader& header, ByteWriter& out) {
  out.PutLE32(header.stored_length);
  out.PutLE32(header.raw_length | (static_cast<uint32_t>(header.codec) << kBlockCodecShift));
  out.PutLE32(header.crc);
}

Result<BlockHeader> DecodeBlockHeader(ByteView data) {
  if (data.size() < kBlockHeaderSize) {
    return Status::Corruption("block header truncated to " + std::to_string(data.size()) +
                              " bytes");
  }
  ByteReader r(data);
  BlockHeader h;
  h.stored_length = r.ReadLE32();
  uint32_t word = r.ReadLE32();
  h.crc = r.ReadLE32();
  h.raw_length = word & kMaxBlockRawBytes;
  SH_ASSIGN_OR_RETURN(h.codec, BlockCodecFromWire(word >> kBlockCodecShift));
  return h;
}

void EncodeIndexEntry(const BlockIndexEntry& e, ByteWriter& out) {
  out.PutLE64(static_cast<uint64_t>(e.first_offset));
  out.PutLE64(static_cast<uint64_t>(e.last_offset));
  out.PutLE64(static_cast<uint64_t>(e.first_timestamp));
  out.PutLE64(static_cast<uint64_t>(e.max_timestamp));
  out.PutLE64(e.file_position);
}

BlockIndexEntry DecodeIndexEntry(ByteView data) {
  ByteReader r(data.first(kIndexEntrySize));
  BlockIndexEntry e;
  e.first_offset = static_cast<int64_t>(r.ReadLE64());
  e.last_offset = static_cast<int64_t>(r.ReadLE64());
  e.first_timestamp = static_cast<int64_t>(r.ReadLE64());
  e.max_timestamp = static_cast<int64_t>(r.ReadLE64());
  e.file_position = r.ReadLE64();
  return e;
}

namespace {
// Batch header fields that records/record_batch.h documents but names no constant for.
constexpr size_t kLastOffsetDeltaOffset = 23;
constexpr size_t kBaseTimestampOffset = 27;
constexpr size_t kRecordCountOffset = 57;

// The footer's first 28 bytes: the fields the checksum covers.
void EncodeFooterFields(const SegmentFooter& f, ByteWriter& out) {
  out.PutLE64(f.index_position);
  out.PutLE32(f.index_count);
  out.PutLE64(static_cast<uint64_t>(f.end_offset));
  out.PutLE64(f.record_count);
}
}  // namespace

uint32_t FooterChecksum(ByteView index_bytes, const SegmentFooter& footer) {
  ByteWriter fields(28);
  EncodeFooterFields(footer, fields);
  uint32_t crc = crc32c::Value(index_bytes);
  return crc32c::Extend(crc, fields.buffer().data(), fields.size());
}

void EncodeFooter(const SegmentFooter& footer, uint32_t checksum, ByteWriter& out) {
  EncodeFooterFields(footer, out);
  out.PutLE32(checksum);
  out.PutLE32(kSegmentMagic);
}

Result<DecodedFooter> DecodeFooter(ByteView data) {
  if (data.size() < kSegmentFooterSize) {
    return Status::Corruption("footer truncated to " + std::to_string(data.size()) + " bytes");
  }
  ByteReader r(data.first(kSegmentFooterSize));
  DecodedFooter d;
  d.footer.index_position = r.ReadLE64();
  d.footer.index_count = r.ReadLE32();
  d.footer.end_offset = static_cast<int64_t>(r.ReadLE64());
  d.footer.record_count = r.ReadLE64();
  d.checksum = r.ReadLE32();
  if (r.ReadLE32() != kSegmentMagic) return Status::Corruption("footer magic mismatch");
  return d;
}

Result<BatchSummary> PeekBatchHeader(ByteView data) {
  namespace rec = sh::records;
  if (data.size() < rec::kBatchHeaderSize) {
    return Status::Corruption("batch header truncated: " + std::to_string(data.size()) +
                              " bytes left");
  }
  const uint8_t* p = data.data();
  BatchSummary b;
  b.base_offset = static_cast<int64_t>(LoadBE64(p));
  auto batch_length = static_cast<int32_t>(LoadBE32(p + rec::kBatchLengthOffset));
  if (batch_length < static_cast<int32_t>(rec::kBatchHeaderSize - rec::kBatchLogOverhead) ||
      static_cast<size_t>(batch_length) > data.size() - rec::kBatchLogOverhead) {
    return Status::Corruption("batch at offset " + std::to_string(b.base_offset) +
                              ": batchLength " + std::to_string(batch_length) + " does not fit " +
                              std::to_string(data.size()) + " bytes");
  }
  b.size = rec::kBatchLogOverhead + static_cast<size_t>(batch_length);
  if (p[rec::kMagicOffset] != 2) {
    return Status::Corruption("batch at offset " + std::to_string(b.base_offset) + ": magic " +
                              std::to_string(p[rec::kMagicOffset]) + ", expected 2");
  }
  b.attributes =
      static_cast<int16_t>((p[rec::kAttributesOffset] << 8) | p[rec::kAttributesOffset + 1]);
  auto last_delta = static_cast<int32_t>(LoadBE32(p + kLastOffsetDeltaOffset));
  b.base_timestamp = static_cast<int64_t>(LoadBE64(p + kBaseTimestampOffset));
  b.max_timestamp = static_cast<int64_t>(LoadBE64(p + rec::kMaxTimestampOffset));
  b.record_count = static_cast<int32_t>(LoadBE32(p + kRecordCountOffset));
  if (b.base_offset < 0 || last_delta < 0 || b.record_count < 0) {
    return Status::Corruption("batch at offset " + std::to_string(b.base_offset) +
                              ": negative base offset, lastOffsetDelta or recordCount");
  }
  if (b.base_offset > std::numeric_limits<int64_t>::max() - last_delta) {
    return Status::Corruption("batch at offset " + std::to_string(b.base_offset) +
                              ": last offset overflows");
  }
  b.last_offset = b.base_offset + last_delta;
  return b;
}

}  // namespace sh::storage
