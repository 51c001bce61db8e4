#include "records/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

namespace sh::records {
namespace {

constexpr size_t kMinGrowth = 64 << 10;

// The output of a decompressor: grows geometrically but never past
// max_output + 1 bytes, so a stream that expands past max_output (a
// decompression bomb) is noticed without allocating what it asks for.
class BoundedOutput {
 public:
  explicit BoundedOutput(size_t max_output)
      : max_output_(max_output), cap_(max_output == SIZE_MAX ? SIZE_MAX : max_output + 1) {}

  // Makes room for more output. False if the buffer is already at its cap.
  bool Grow() {
    if (produced_ < buf_.size()) return true;
    if (buf_.size() >= cap_) return false;
    size_t next = std::max(kMinGrowth, buf_.size() * 2);
    buf_.resize(std::min(next, cap_));
    return true;
  }
  uint8_t* cursor() { return buf_.data() + produced_; }
  size_t available() const { return buf_.size() - produced_; }
  void Advance(size_t n) { produced_ += n; }
  size_t produced() const { return produced_; }
  bool over_limit() const { return produced_ > max_output_; }
  Bytes Finish() {
    buf_.resize(produced_);
    return std::move(buf_);
  }

 private:
  size_t max_output_;
  size_t cap_;
  size_t produced_ = 0;
  Bytes buf_;
};

Status TooLargeError(const char* codec, size_t max_output) {
  return Status::TooLarge(std::string(codec) + ": decompressed data exceeds limit of " +
                          std::to_string(max_output) + " bytes");
}

Status CorruptionError(const char* codec, std::string_view what) {
  return Status::Corruption(std::string(codec) + ": invalid compressed data: " + std::string(what));
}

// ---- gzip ----

Result<Bytes> GzipCompress(ByteView input) {
  if (input.size() > UINT_MAX) return Status::TooLarge("gzip: input over 4 GiB");
  z_stream zs{};
  // 15 + 16: a gzip (RFC 1952) wrapper rather than zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Status::Internal("gzip: deflateInit2 failed");
  }
  Bytes out(deflateBound(&zs, static_cast<uLong>(input.size())) + 32);
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

Result<Bytes> GzipDecompress(ByteView input, size_t max_output) {
  if (input.size() > UINT_MAX) return Status::TooLarge("gzip: input over 4 GiB");
  z_stream zs{};
  // 15 + 32: detect a gzip or zlib header automatically.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("gzip: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  BoundedOutput out(max_output);
  while (true) {
    if (!out.Grow()) return TooLargeError("gzip", max_output);
    size_t avail = std::min<size_t>(out.available(), UINT_MAX);
    zs.next_out = out.cursor();
    zs.avail_out = static_cast<uInt>(avail);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.Advance(avail - zs.avail_out);
    if (out.over_limit()) return TooLargeError("gzip", max_output);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Concatenated gzip members decode as one stream, as gzip(1) does.
      if (inflateReset(&zs) != Z_OK) return Status::Internal("gzip: inflateReset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return CorruptionError("gzip", "truncated stream");
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return CorruptionError("gzip", zs.msg != nullptr ? zs.msg : "inflate failed");
    }
  }
  return out.Finish();
}

// ---- snappy ----

// xerial snappy-java's stream header: magic, then version and minimum
// compatible version (both 1 as snappy-java writes them).
constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;
constexpr size_t kXerialBlockSize = 32 << 10;  // snappy-java's default block size

bool IsXerial(ByteView input) {
  return input.size() >= sizeof(kXerialMagic) &&
         std::equal(kXerialMagic, kXerialMagic + sizeof(kXerialMagic), input.begin());
}

Result<Bytes> SnappyCompress(ByteView input) {
  ByteWriter w(kXerialHeaderSize + snappy::MaxCompressedLength(input.size()) + input.size() / 8);
  w.PutBytes(ByteView(kXerialMagic, sizeof(kXerialMagic)));
  w.PutBE32(1);  // version
  w.PutBE32(1);  // minimum compatible version
  std::string chunk;
  for (size_t pos = 0; pos < input.size(); pos += kXerialBlockSize) {
    size_t n = std::min(kXerialBlockSize, input.size() - pos);
    snappy::Compress(reinterpret_cast<const char*>(input.data() + pos), n, &chunk);
    w.PutBE32(static_cast<uint32_t>(chunk.size()));
    w.PutBytes(chunk);
  }
  return w.Take();
}

// Appends one raw snappy block to out.
Status SnappyRawAppend(ByteView block, size_t max_output, Bytes& out) {
  const char* src = reinterpret_cast<const char*>(block.data());
  size_t len = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &len)) {
    return CorruptionError("snappy", "bad length preamble");
  }
  // A snappy element expands at most 64 output bytes from 3 input bytes, so a
  // larger preamble is a lie: refuse it before allocating what it claims.
  if (len / 24 > block.size()) return CorruptionError("snappy", "length preamble too large");
  if (len > max_output || out.size() > max_output - len) return TooLargeError("snappy", max_output);
  size_t start = out.size();
  out.resize(start + len);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(out.data() + start))) {
    return CorruptionError("snappy", "bad block");
  }
  return Status::OK();
}

Result<Bytes> SnappyDecompress(ByteView input, size_t max_output) {
  Bytes out;
  if (!IsXerial(input)) {
    SH_RETURN_IF_ERROR(SnappyRawAppend(input, max_output, out));
    return out;
  }
  ByteReader r(input);
  r.Skip(kXerialHeaderSize);
  if (!r.ok()) return CorruptionError("snappy", "truncated xerial header");
  while (!r.empty()) {
    uint32_t n = r.ReadBE32();
    ByteView block = r.ReadBytes(n);
    if (!r.ok()) {
      return CorruptionError("snappy",
                             "truncated xerial block at byte " + std::to_string(r.position()));
    }
    SH_RETURN_IF_ERROR(SnappyRawAppend(block, max_output, out));
  }
  return out;
}

// ---- lz4 ----

Result<Bytes> Lz4Compress(ByteView input) {
  // As the Java client writes: 64 KiB independent blocks, no block or content
  // checksum, no content size (older readers reject the optional fields).
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  Bytes out(LZ4F_compressFrameBound(input.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) return Status::Internal(std::string("lz4: ") + LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

Result<Bytes> Lz4Decompress(ByteView input, size_t max_output) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
    return Status::Internal("lz4: cannot create decompression context");
  }
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> ctx(raw,
                                                                   LZ4F_freeDecompressionContext);
  BoundedOutput out(max_output);
  size_t pos = 0;
  bool frame_done = false;
  while (!frame_done || pos < input.size()) {
    if (!out.Grow()) return TooLargeError("lz4", max_output);
    size_t dst_size = out.available();
    size_t src_size = input.size() - pos;
    size_t hint =
        LZ4F_decompress(ctx.get(), out.cursor(), &dst_size, input.data() + pos, &src_size, nullptr);
    if (LZ4F_isError(hint)) return CorruptionError("lz4", LZ4F_getErrorName(hint));
    out.Advance(dst_size);
    pos += src_size;
    if (out.over_limit()) return TooLargeError("lz4", max_output);
    // hint == 0: a frame ended; more input means a further frame.
    frame_done = hint == 0;
    if (!frame_done && pos == input.size() && dst_size == 0 && src_size == 0) {
      return CorruptionError("lz4", "truncated frame");
    }
  }
  return out.Finish();
}

// ---- zstd ----

Result<Bytes> ZstdCompress(ByteView input) {
  Bytes out(ZSTD_compressBound(input.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 3);
  if (ZSTD_isError(n)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

// Streams so that frames without a content size (as some clients write) and
// bombs are handled alike: output is bounded, never trusted from the header.
Result<Bytes> ZstdDecompress(ByteView input, size_t max_output) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (ctx == nullptr) return Status::Internal("zstd: cannot create decompression context");
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  BoundedOutput out(max_output);
  while (true) {
    if (!out.Grow()) return TooLargeError("zstd", max_output);
    ZSTD_outBuffer ob{out.cursor(), out.available(), 0};
    size_t rc = ZSTD_decompressStream(ctx.get(), &ob, &in);
    if (ZSTD_isError(rc)) return CorruptionError("zstd", ZSTD_getErrorName(rc));
    out.Advance(ob.pos);
    if (out.over_limit()) return TooLargeError("zstd", max_output);
    if (rc == 0 && in.pos == in.size) break;  // last frame complete
    if (in.pos == in.size && ob.pos < ob.size) return CorruptionError("zstd", "truncated frame");
  }
  return out.Finish();
}

}  // namespace

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

Result<Compression> ParseCompression(std::string_view name) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                        Compression::kLz4, Compression::kZstd}) {
    if (name == CompressionName(c)) return c;
  }
  return Status::InvalidArgument("unknown compression codec '" + std::string(name) +
                                 "' (expected none, gzip, snappy, lz4 or zstd)");
}

Result<Bytes> Compress(Compression codec, ByteView input) {
  switch (codec) {
    case Compression::kNone:
      return Bytes(input.begin(), input.end());
    case Compression::kGzip:
      return GzipCompress(input);
    case Compression::kSnappy:
      return SnappyCompress(input);
    case Compression::kLz4:
      return Lz4Compress(input);
    case Compression::kZstd:
      return ZstdCompress(input);
  }
  return Status::Unsupported("compression codec " + std::to_string(static_cast<int>(codec)));
}

Result<Bytes> Decompress(Compression codec, ByteView input, size_t max_output) {
  switch (codec) {
    case Compression::kNone:
      if (input.size() > max_output) return TooLargeError("none", max_output);
      return Bytes(input.begin(), input.end());
    case Compression::kGzip:
      return GzipDecompress(input, max_output);
    case Compression::kSnappy:
      return SnappyDecompress(input, max_output);
    case Compression::kLz4:
      return Lz4Decompress(input, max_output);
    case Compression::kZstd:
      return ZstdDecompress(input, max_output);
  }
  return Status::Unsupported("compression codec " + std::to_string(static_cast<int>(codec)));
}

}  // namespace sh::records
