// SegmentReader: random access to a sealed segment object (format in
// docs/formats/segment.md).
//
// Open fetches the footer, the offset index and the header and validates them;
// blocks are then fetched one ranged GET at a time and checked (block CRC,
// codec, lengths, batch headers against the index) before their bytes are
// returned. Any mismatch is a Corruption naming the object key and the region
// (header, block i, index, footer); the reader never returns bytes it could not
// check. A SegmentReader is immutable after Open and safe to share between
// threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "objstore/object_store.h"
#include "storage/segment_format.h"

namespace sh::storage {

// How much of an object's end Open fetches first (footer + index, and the
// header too when the object is no larger than this).
constexpr uint64_t kSegmentTailReadBytes = 64 * 1024;

class SegmentReader {
 public:
  // One ranged GET of the object's last min(size, 64 KiB) bytes reads footer +
  // index (a second GET only if the index is larger). The header is checked
  // from that same read when the object is <= 64 KiB; for larger objects Open
  // makes one 32-byte ranged GET for it, so that codec() and base_offset() are
  // known and checked before any block is read. Validates header, footer
  // magic and checksum, and every index entry's bounds and ordering.
  static Result<std::shared_ptr<const SegmentReader>> Open(ObjectStore& store,
                                                           const std::string& key, uint64_t size);
  // The whole object already in memory (no store access); same checks.
  static Result<std::shared_ptr<const SegmentReader>> OpenBytes(const std::string& key,
                                                                ByteView object);

  const std::string& key() const { return key_; }
  uint64_t size() const { return size_; }
  int64_t base_offset() const { return header_.base_offset; }
  int64_t end_offset() const { return footer_.end_offset; }  // last offset + 1
  uint64_t record_count() const { return footer_.record_count; }
  // The segment's block codec (from the header). Individual blocks may be
  // stored uncompressed regardless; each block header says which.
  BlockCodec codec() const { return header_.codec; }
  const std::vector<BlockIndexEntry>& blocks() const { return blocks_; }

  // Block whose range holds offset, else the first block starting after it;
  // nullopt when offset >= end_offset() (or the segment has no blocks).
  std::optional<size_t> FindBlock(int64_t offset) const;
  // First block whose max_timestamp >= ts; nullopt if none.
  std::optional<size_t> FindBlockByTimestamp(int64_t ts) const;
  // Stored byte range of block i as {position, length}: [position,
  // position + length), block header included. REQUIRES: i < blocks().size().
  std::pair<uint64_t, uint64_t> BlockRange(size_t i) const;

  // Fetches block i with one ranged GET, checks its CRC, decompresses, and
  // checks that the payload is whole batches whose offsets and timestamps
  // match the index entry. Returns the concatenated batches. OutOfRange if
  // i >= blocks().size(); store errors pass through with the key added.
  Result<Bytes> ReadBlock(ObjectStore& store, size_t i) const;
  // The same checks on bytes already fetched (exactly BlockRange(i)).
  Result<Bytes> DecodeBlock(size_t i, ByteView stored_block) const;

 private:
  SegmentReader(std::string key, uint64_t size) : key_(std::move(key)), size_(size) {}

  // tail: the object's last tail.size() bytes (at least the footer).
  Status LoadTail(ObjectStore* store, ByteView tail);
  Status ValidateIndex(ByteView index_bytes);
  Status CheckHeader(ByteView header_bytes);
  Status CheckBatches(size_t i, ByteView payload) const;
  Status Corrupt(const std::string& region, const std::string& what) const;

  std::string key_;
  uint64_t size_ = 0;
  SegmentHeader header_;
  SegmentFooter footer_;
  std::vector<BlockIndexEntry> blocks_;
  // prefix_max_timestamp_[i] = max(blocks_[0..i].max_timestamp), for binary search.
  std::vector<int64_t> prefix_max_timestamp_;
};

}  // namespace sh::storage
