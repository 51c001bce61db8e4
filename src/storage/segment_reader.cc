#include "storage/segment_reader.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <limits>

#include "base/crc32c.h"

namespace sh::storage {

namespace {
constexpr uint64_t kMinSegmentSize = kSegmentHeaderSize + kSegmentFooterSize;

std::string BlockRegion(size_t i) { return "block " + std::to_string(i); }
}  // namespace

Status SegmentReader::Corrupt(const std::string& region, const std::string& what) const {
  return Status::Corruption("segment " + key_ + ": " + region + ": " + what);
}

Result<std::shared_ptr<const SegmentReader>> SegmentReader::Open(ObjectStore& store,
                                                                 const std::string& key,
                                                                 uint64_t size) {
  std::shared_ptr<SegmentReader> reader(new SegmentReader(key, size));
  if (size < kMinSegmentSize) {
    return reader->Corrupt("footer", "object size " + std::to_string(size) + " below minimum " +
                                         std::to_string(kMinSegmentSize));
  }
  uint64_t tail_len = std::min(size, kSegmentTailReadBytes);
  Result<Bytes> tail = store.GetRange(key, size - tail_len, tail_len);
  if (!tail.ok()) return tail.status().WithContext("segment " + key + ": footer");
  if (tail->size() != tail_len) {
    return reader->Corrupt("footer", "short read of " + std::to_string(tail->size()) + " bytes");
  }
  SH_RETURN_IF_ERROR(reader->LoadTail(&store, *tail));
  return std::shared_ptr<const SegmentReader>(std::move(reader));
}

Result<std::shared_ptr<const SegmentReader>> SegmentReader::OpenBytes(const std::string& key,
                                                                      ByteView object) {
  std::shared_ptr<SegmentReader> reader(new SegmentReader(key, object.size()));
  if (object.size() < kMinSegmentSize) {
    return reader->Corrupt("footer", "object size " + std::to_string(object.size()) +
                                         " below minimum " + std::to_string(kMinSegmentSize));
  }
  SH_RETURN_IF_ERROR(reader->LoadTail(nullptr, object));
  return std::shared_ptr<const SegmentReader>(std::move(reader));
}

// tail holds the object's last tail.size() bytes; when it is the whole object
// (always for OpenBytes) no further read is needed.
Status SegmentReader::LoadTail(ObjectStore* store, ByteView tail) {
  const uint64_t tail_start = size_ - tail.size();
  Result<DecodedFooter> decoded = DecodeFooter(tail.last(kSegmentFooterSize));
  if (!decoded.ok()) return Corrupt("footer", decoded.status().message());
  footer_ = decoded->footer;

  // The index must sit exactly between the header and the footer.
  const uint64_t index_len = uint64_t{footer_.index_count} * kIndexEntrySize;
  if (index_len > size_ - kMinSegmentSize ||
      footer_.index_position != size_ - kSegmentFooterSize - index_len) {
    return Corrupt("footer", "index of " + std::to_string(footer_.index_count) + " entries at " +
                                 std::to_string(footer_.index_position) +
                                 " does not end at the footer (object size " +
                                 std::to_string(size_) + ")");
  }
  ByteView index_bytes;
  Bytes fetched_index;
  if (footer_.index_position >= tail_start) {
    index_bytes = tail.subspan(footer_.index_position - tail_start, index_len);
  } else {
    Result<Bytes> got = store->GetRange(key_, footer_.index_position, index_len);
    if (!got.ok()) return got.status().WithContext("segment " + key_ + ": index");
    if (got->size() != index_len) return Corrupt("index", "short read");
    fetched_index = std::move(got).value();
    index_bytes = fetched_index;
  }
  uint32_t checksum = FooterChecksum(index_bytes, footer_);
  if (checksum != decoded->checksum) {
    return Corrupt("index and footer", "checksum mismatch (stored " +
                                           std::to_string(decoded->checksum) + ", computed " +
                                           std::to_string(checksum) + ")");
  }
  SH_RETURN_IF_ERROR(ValidateIndex(index_bytes));

  if (tail_start == 0) return CheckHeader(tail.first(kSegmentHeaderSize));
  Result<Bytes> header = store->GetRange(key_, 0, kSegmentHeaderSize);
  if (!header.ok()) return header.status().WithContext("segment " + key_ + ": header");
  return CheckHeader(*header);
}

Status SegmentReader::ValidateIndex(ByteView index_bytes) {
  blocks_.reserve(footer_.index_count);
  prefix_max_timestamp_.reserve(footer_.index_count);
  for (uint32_t i = 0; i < footer_.index_count; ++i) {
    BlockIndexEntry e = DecodeIndexEntry(index_bytes.subspan(size_t{i} * kIndexEntrySize));
    std::string region = "index entry " + std::to_string(i);
    uint64_t end =
        i + 1 < footer_.index_count
            ? DecodeIndexEntry(index_bytes.subspan((size_t{i} + 1) * kIndexEntrySize)).file_position
            : footer_.index_position;
    uint64_t start = i == 0 ? kSegmentHeaderSize : blocks_.back().file_position;
    if (i > 0 && e.file_position <= start) {
      return Corrupt(region, "file position " + std::to_string(e.file_position) +
                                 " not after the previous block");
    }
    if (i == 0 && e.file_position != kSegmentHeaderSize) {
      return Corrupt(region, "first block at " + std::to_string(e.file_position) + ", not " +
                                 std::to_string(kSegmentHeaderSize));
    }
    // A block holds a header and at least one stored byte, and no more raw
    // bytes than kMaxBlockRawBytes (stored is never larger than raw).
    if (end <= e.file_position || end - e.file_position <= kBlockHeaderSize ||
        end - e.file_position - kBlockHeaderSize > kMaxBlockRawBytes) {
      return Corrupt(region, "block at " + std::to_string(e.file_position) +
                                 " has impossible length up to " + std::to_string(end));
    }
    if (e.last_offset < e.first_offset) return Corrupt(region, "last offset before first offset");
    if (i > 0 && e.first_offset <= blocks_.back().last_offset) {
      return Corrupt(region, "first offset " + std::to_string(e.first_offset) +
                                 " not after the previous block's last offset");
    }
    int64_t prev_max = i == 0 ? std::numeric_limits<int64_t>::min() : prefix_max_timestamp_.back();
    prefix_max_timestamp_.push_back(std::max(prev_max, e.max_timestamp));
    blocks_.push_back(e);
  }
  if (!blocks_.empty()) {
    const BlockIndexEntry& last = blocks_.back();
    if (last.last_offset == std::numeric_limits<int64_t>::max() ||
        footer_.end_offset != last.last_offset + 1) {
      return Corrupt("footer", "end offset " + std::to_string(footer_.end_offset) +
                                   " is not one past the last block's last offset " +
                                   std::to_string(last.last_offset));
    }
  }
  return Status::OK();
}

// The index already implies the base offset (block 0 starts at it; an empty
// segment's end offset equals it), so the header must agree.
Status SegmentReader::CheckHeader(ByteView header_bytes) {
  Result<SegmentHeader> h = DecodeSegmentHeader(header_bytes);
  if (!h.ok()) {
    if (h.status().code() == ErrorCode::kUnsupported) {
      return h.status().WithContext("segment " + key_ + ": header");
    }
    return Corrupt("header", h.status().message());
  }
  header_ = *h;
  int64_t implied = blocks_.empty() ? footer_.end_offset : blocks_.front().first_offset;
  if (header_.base_offset != implied) {
    return Corrupt("header", "base offset " + std::to_string(header_.base_offset) +
                                 " but the index implies " + std::to_string(implied));
  }
  uint64_t span = static_cast<uint64_t>(footer_.end_offset) - static_cast<uint64_t>(implied);
  if (footer_.end_offset < implied || footer_.record_count > span) {
    return Corrupt("footer", "record count " + std::to_string(footer_.record_count) +
                                 " does not fit offsets [" + std::to_string(implied) + ", " +
                                 std::to_string(footer_.end_offset) + ")");
  }
  return Status::OK();
}

std::optional<size_t> SegmentReader::FindBlock(int64_t offset) const {
  if (offset >= end_offset() || blocks_.empty()) return std::nullopt;
  auto it = std::lower_bound(blocks_.begin(), blocks_.end(), offset,
                             [](const BlockIndexEntry& e, int64_t o) { return e.last_offset < o; });
  if (it == blocks_.end()) return std::nullopt;
  return static_cast<size_t>(it - blocks_.begin());
}

std::optional<size_t> SegmentReader::FindBlockByTimestamp(int64_t ts) const {
  auto it = std::lower_bound(prefix_max_timestamp_.begin(), prefix_max_timestamp_.end(), ts);
  if (it == prefix_max_timestamp_.end()) return std::nullopt;
  return static_cast<size_t>(it - prefix_max_timestamp_.begin());
}

std::pair<uint64_t, uint64_t> SegmentReader::BlockRange(size_t i) const {
  SH_CHECK(i < blocks_.size());
  uint64_t end = i + 1 < blocks_.size() ? blocks_[i + 1].file_position : footer_.index_position;
  return {blocks_[i].file_position, end - blocks_[i].file_position};
}

Result<Bytes> SegmentReader::ReadBlock(ObjectStore& store, size_t i) const {
  if (i >= blocks_.size()) {
    return Status::OutOfRange("segment " + key_ + ": block " + std::to_string(i) + " of " +
                              std::to_string(blocks_.size()));
  }
  auto [position, length] = BlockRange(i);
  Result<Bytes> stored = store.GetRange(key_, position, length);
  if (!stored.ok()) return stored.status().WithContext("segment " + key_ + ": " + BlockRegion(i));
  return DecodeBlock(i, *stored);
}

Result<Bytes> SegmentReader::DecodeBlock(size_t i, ByteView stored_block) const {
  if (i >= blocks_.size()) {
    return Status::OutOfRange("segment " + key_ + ": block " + std::to_string(i) + " of " +
                              std::to_string(blocks_.size()));
  }
  const std::string region = BlockRegion(i);
  auto [position, length] = BlockRange(i);
  if (stored_block.size() != length) {
    return Corrupt(region, std::to_string(stored_block.size()) + " bytes given, the index says " +
                               std::to_string(length));
  }
  Result<BlockHeader> h = DecodeBlockHeader(stored_block);
  if (!h.ok()) return Corrupt(region + " header", h.status().message());
  ByteView payload = stored_block.subspan(kBlockHeaderSize);
  if (h->stored_length != payload.size()) {
    return Corrupt(region + " header", "stored length " + std::to_string(h->stored_length) +
                                           " but the index gives " +
                                           std::to_string(payload.size()));
  }
  uint32_t crc = crc32c::Value(payload);
  if (crc != h->crc) {
    return Corrupt(region, "crc mismatch at position " + std::to_string(position) + " (stored " +
                               std::to_string(h->crc) + ", computed " + std::to_string(crc) + ")");
  }
  if (h->codec != BlockCodec::kNone && h->codec != header_.codec) {
    return Corrupt(region + " header", std::string("block codec ") + BlockCodecName(h->codec) +
                                           " in a " + BlockCodecName(header_.codec) + " segment");
  }
  Bytes raw;
  if (h->codec == BlockCodec::kNone) {
    if (h->raw_length != payload.size()) {
      return Corrupt(region + " header", "raw length " + std::to_string(h->raw_length) +
                                             " differs from stored length of an uncompressed "
                                             "block");
    }
    raw.assign(payload.begin(), payload.end());
  } else if (h->codec == BlockCodec::kLz4) {
    // LZ4 cannot expand more than 255x; checking first keeps a damaged raw
    // length from costing a 256 MiB allocation.
    if (h->raw_length > uint64_t{payload.size()} * 255 + 16) {
      return Corrupt(region + " header", "raw length " + std::to_string(h->raw_length) +
                                             " impossible for " + std::to_string(payload.size()) +
                                             " lz4 bytes");
    }
    raw.resize(h->raw_length);
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(payload.data()),
                                reinterpret_cast<char*>(raw.data()),
                                static_cast<int>(payload.size()), static_cast<int>(raw.size()));
    if (n < 0 || static_cast<size_t>(n) != raw.size()) {
      return Corrupt(
          region, "lz4 payload does not decompress to raw length " + std::to_string(h->raw_length));
    }
  } else {
    unsigned long long content = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (content != h->raw_length) {
      return Corrupt(region,
                     "zstd frame size does not match raw length " + std::to_string(h->raw_length));
    }
    raw.resize(h->raw_length);
    size_t n = ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size());
    if (ZSTD_isError(n) || n != raw.size()) {
      return Corrupt(region, "zstd payload does not decompress to raw length " +
                                 std::to_string(h->raw_length));
    }
  }
  SH_RETURN_IF_ERROR(CheckBatches(i, raw));
  return raw;
}

// Header-level checks only: the block CRC already vouches for the bytes, and
// clients check each batch's own CRC. This catches a block that does not
// belong to its index entry (a mixed-up range, a wrong object).
Status SegmentReader::CheckBatches(size_t i, ByteView payload) const {
  const BlockIndexEntry& e = blocks_[i];
  const std::string region = BlockRegion(i) + " payload";
  int64_t prev_last = 0;
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  size_t pos = 0;
  while (pos < payload.size()) {
    Result<BatchSummary> b = PeekBatchHeader(payload.subspan(pos));
    if (!b.ok())
      return Corrupt(region, "at byte " + std::to_string(pos) + ": " + b.status().message());
    bool first = pos == 0;
    if (first && b->base_timestamp != e.first_timestamp) {
      return Corrupt(region, "first batch timestamp differs from the index");
    }
    bool offset_ok =
        first ? (i == 0 ? b->base_offset >= e.first_offset : b->base_offset == e.first_offset)
              : b->base_offset > prev_last;
    if (!offset_ok || b->last_offset > e.last_offset) {
      return Corrupt(region, "batch at offset " + std::to_string(b->base_offset) +
                                 " is outside or out of order in block range [" +
                                 std::to_string(e.first_offset) + ", " +
                                 std::to_string(e.last_offset) + "]");
    }
    prev_last = b->last_offset;
    max_ts = std::max(max_ts, b->max_timestamp);
    pos += b->size;
  }
  if (pos == 0 || prev_last != e.last_offset) {
    return Corrupt(region, "batches end at offset " + std::to_string(prev_last) +
                               ", the index says " + std::to_string(e.last_offset));
  }
  if (max_ts != e.max_timestamp) return Corrupt(region, "max timestamp differs from the index");
  return Status::OK();
}

}  // namespace sh::storage
