// SegmentBuilder: turns a run of record batches into one segment object
// (format in docs/formats/segment.md).
//
// Batches are appended as bytes, untouched; they are grouped into blocks of
// about block_bytes (before compression), each compressed with the segment's
// codec unless every batch in it is already producer-compressed (or the codec
// would save less than 1/8 of it), in which case the block is stored uncompressed.
// Not thread-safe; one builder per segment being sealed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/segment_format.h"

namespace sh::storage {

class SegmentBuilder {
 public:
  // REQUIRES: block_bytes > 0. Values above kMaxBlockRawBytes are clamped to it.
  SegmentBuilder(int64_t base_offset, BlockCodec codec, size_t block_bytes = kDefaultBlockBytes);

  SegmentBuilder(const SegmentBuilder&) = delete;
  SegmentBuilder& operator=(const SegmentBuilder&) = delete;

  // Appends one batch (bytes of exactly one valid v2 batch with its final base
  // offset assigned). Only its header is checked (length, magic, offsets).
  // REQUIRES: batch base offset >= next_offset(). InvalidArgument otherwise, or
  // if the bytes are not one batch; TooLarge for a batch over kMaxBlockRawBytes.
  Status Add(ByteView batch);

  // Makes room for `raw_bytes` more of batches (what they take in the object
  // at most, uncompressed), so that the object is allocated once instead of
  // grown and copied while Add runs. Optional.
  void Reserve(size_t raw_bytes);

  bool empty() const { return record_count_ == 0 && raw_bytes_ == 0; }
  int64_t base_offset() const { return base_offset_; }
  // Last offset added + 1 (base_offset() when empty).
  int64_t next_offset() const { return next_offset_; }
  uint64_t record_count() const { return record_count_; }
  // Total batch bytes added (uncompressed).
  size_t raw_bytes() const { return raw_bytes_; }
  // Min of the batches' base timestamps / max of their max timestamps; -1 when empty.
  int64_t min_timestamp() const { return min_timestamp_; }
  int64_t max_timestamp() const { return max_timestamp_; }

  // Flushes the open block, writes index + footer, returns the whole object.
  // The builder is spent: later Add/Finish calls return InvalidArgument.
  Result<Bytes> Finish();

 private:
  Status FlushBlock();
  // Compresses raw into scratch_; returns the compressed size.
  Result<size_t> CompressBlock(BlockCodec codec, ByteView raw);
  std::string Where() const;

  const int64_t base_offset_;
  const BlockCodec codec_;
  const size_t block_bytes_;

  // Header, finished blocks, then the open block: its header placeholder at
  // open_entry_.file_position followed by block_raw_ bytes of raw batches.
  ByteWriter out_;
  ByteWriter index_;  // one entry per finished block
  uint32_t index_count_ = 0;

  size_t block_raw_ = 0;  // 0: no open block
  BlockIndexEntry open_entry_;
  Bytes scratch_;  // compression output, reused across blocks
  bool block_all_producer_compressed_ = true;

  int64_t next_offset_;
  uint64_t record_count_ = 0;
  size_t raw_bytes_ = 0;
  int64_t min_timestamp_ = -1;
  int64_t max_timestamp_ = -1;
  bool finished_ = false;
};

}  // namespace sh::storage
