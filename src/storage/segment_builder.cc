#include "storage/segment_builder.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>

#include "base/crc32c.h"

namespace sh::storage {

namespace {
// zstd's default level: segments are written once and read many times, so a
// little more write CPU for smaller objects is the right trade.
constexpr int kZstdLevel = 3;
}  // namespace

SegmentBuilder::SegmentBuilder(int64_t base_offset, BlockCodec codec, size_t block_bytes)
    : base_offset_(base_offset),
      codec_(codec),
      block_bytes_(std::min<size_t>(block_bytes, kMaxBlockRawBytes)),
      next_offset_(base_offset) {
  SH_CHECK_MSG(block_bytes > 0, "SegmentBuilder block_bytes must be > 0");
  SH_CHECK_MSG(BlockCodecFromWire(static_cast<uint32_t>(codec)).ok(), "SegmentBuilder codec");
  EncodeSegmentHeader(SegmentHeader{kSegmentFormatVersion, codec, base_offset}, out_);
}

std::string SegmentBuilder::Where() const {
  return "segment builder (base offset " + std::to_string(base_offset_) + ")";
}

void SegmentBuilder::Reserve(size_t raw_bytes) {
  // Blocks are stored raw when compression does not pay, so the raw size
  // bounds each block; then about one header and one index entry per block,
  // and the footer. (A guess too small only costs one growth.)
  const size_t blocks = raw_bytes / block_bytes_ + 2;
  out_.buffer().reserve(out_.size() + raw_bytes + blocks * (kBlockHeaderSize + kIndexEntrySize) +
                        kSegmentFooterSize);
}

Status SegmentBuilder::Add(ByteView batch) {
  if (finished_) return Status::InvalidArgument(Where() + ": Add after Finish");
  Result<BatchSummary> peek = PeekBatchHeader(batch);
  if (!peek.ok()) return Status::InvalidArgument(Where() + ": " + peek.status().message());
  const BatchSummary& b = *peek;
  if (b.size != batch.size()) {
    return Status::InvalidArgument(Where() + ": batch at offset " + std::to_string(b.base_offset) +
                                   " is " + std::to_string(b.size) + " bytes but " +
                                   std::to_string(batch.size()) + " were given");
  }
  if (b.base_offset < next_offset_) {
    return Status::InvalidArgument(Where() + ": batch base offset " +
                                   std::to_string(b.base_offset) + " below next offset " +
                                   std::to_string(next_offset_));
  }
  if (batch.size() > kMaxBlockRawBytes) {
    return Status::TooLarge(Where() + ": batch at offset " + std::to_string(b.base_offset) +
                            " is " + std::to_string(batch.size()) + " bytes, over the block limit");
  }
  if (block_raw_ > 0 && block_raw_ + batch.size() > block_bytes_) {
    SH_RETURN_IF_ERROR(FlushBlock());
  }
  if (block_raw_ == 0) {
    // Block 0 starts at the segment's base offset so that the index alone
    // tells a reader the base offset (checked against the header).
    open_entry_ = BlockIndexEntry{};
    open_entry_.first_offset = index_count_ == 0 ? base_offset_ : b.base_offset;
    open_entry_.first_timestamp = b.base_timestamp;
    open_entry_.max_timestamp = b.max_timestamp;
    open_entry_.file_position = out_.size();
    block_all_producer_compressed_ = true;
    out_.PutZeros(kBlockHeaderSize);  // filled in by FlushBlock
  }
  // Batches go straight into the object: a block that ends up uncompressed
  // is then never copied again.
  out_.PutBytes(batch);
  block_raw_ += batch.size();
  open_entry_.last_offset = b.last_offset;
  open_entry_.max_timestamp = std::max(open_entry_.max_timestamp, b.max_timestamp);
  block_all_producer_compressed_ &= b.producer_compressed();

  min_timestamp_ = empty() ? b.base_timestamp : std::min(min_timestamp_, b.base_timestamp);
  max_timestamp_ = empty() ? b.max_timestamp : std::max(max_timestamp_, b.max_timestamp);
  next_offset_ = b.last_offset + 1;
  record_count_ += static_cast<uint64_t>(b.record_count);
  raw_bytes_ += batch.size();

  if (block_raw_ >= block_bytes_) SH_RETURN_IF_ERROR(FlushBlock());
  return Status::OK();
}

Result<size_t> SegmentBuilder::CompressBlock(BlockCodec codec, ByteView raw) {
  if (codec == BlockCodec::kLz4) {
    int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    scratch_.resize(static_cast<size_t>(bound));
    int n = LZ4_compress_default(reinterpret_cast<const char*>(raw.data()),
                                 reinterpret_cast<char*>(scratch_.data()),
                                 static_cast<int>(raw.size()), bound);
    if (n <= 0) return Status::Internal(Where() + ": lz4 compression failed");
    return static_cast<size_t>(n);
  }
  size_t bound = ZSTD_compressBound(raw.size());
  scratch_.resize(bound);
  size_t n = ZSTD_compress(scratch_.data(), bound, raw.data(), raw.size(), kZstdLevel);
  if (ZSTD_isError(n)) {
    return Status::Internal(Where() + ": zstd compression failed: " + ZSTD_getErrorName(n));
  }
  return n;
}

Status SegmentBuilder::FlushBlock() {
  if (block_raw_ == 0) return Status::OK();
  Bytes& out = out_.buffer();
  const size_t header_pos = open_entry_.file_position;
  const size_t payload_pos = header_pos + kBlockHeaderSize;
  // Producer-compressed batches would not shrink again; storing them as they
  // are saves the reader a decompression pass.
  BlockCodec codec = block_all_producer_compressed_ ? BlockCodec::kNone : codec_;
  size_t stored = block_raw_;
  if (codec != BlockCodec::kNone) {
    SH_ASSIGN_OR_RETURN(size_t compressed,
                        CompressBlock(codec, ByteView(out).subspan(payload_pos, block_raw_)));
    // As LevelDB does: a saving under 1/8 is not worth a decompression on
    // every read, so such a block keeps its raw bytes.
    if (compressed < block_raw_ - block_raw_ / 8) {
      std::copy(scratch_.begin(), scratch_.begin() + compressed, out.begin() + payload_pos);
      out.resize(payload_pos + compressed);
      stored = compressed;
    } else {
      codec = BlockCodec::kNone;
    }
  }
  BlockHeader h;
  h.stored_length = static_cast<uint32_t>(stored);
  h.raw_length = static_cast<uint32_t>(block_raw_);
  h.codec = codec;
  h.crc = crc32c::Value(out.data() + payload_pos, stored);
  ByteWriter header(kBlockHeaderSize);
  EncodeBlockHeader(h, header);
  std::copy(header.buffer().begin(), header.buffer().end(), out.begin() + header_pos);

  EncodeIndexEntry(open_entry_, index_);
  ++index_count_;
  block_raw_ = 0;
  return Status::OK();
}

Result<Bytes> SegmentBuilder::Finish() {
  if (finished_) return Status::InvalidArgument(Where() + ": Finish called twice");
  finished_ = true;
  SH_RETURN_IF_ERROR(FlushBlock());
  SegmentFooter footer;
  footer.index_position = out_.size();
  footer.index_count = index_count_;
  footer.end_offset = next_offset_;
  footer.record_count = record_count_;
  out_.PutBytes(index_.buffer());
  EncodeFooter(footer, FooterChecksum(index_.buffer(), footer), out_);
  // Room reserved for raw bytes that compressed well is given back: the
  // object may live on in the segment cache, which counts its size.
  if (out_.buffer().capacity() - out_.size() > out_.size() / 4) out_.buffer().shrink_to_fit();
  return out_.Take();
}

}  // namespace sh::storage
