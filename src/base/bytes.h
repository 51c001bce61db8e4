// Byte buffers and cursors.
//
// Bytes is an owned buffer; ByteView a borrowed one. ByteWriter appends
// fixed-width integers (big-endian for Kafka, little-endian for StreamHouse's
// own formats) and varints; ByteReader reads them with bounds checks and a
// sticky error flag, so a decoder can read a whole header and test ok() once.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sh {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Zigzag maps signed to unsigned so small magnitudes stay small:
// 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, ...
inline uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode64(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline uint32_t ZigZagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline int32_t ZigZagDecode32(uint32_t v) {
  return static_cast<int32_t>(v >> 1) ^ -static_cast<int32_t>(v & 1);
}

// Number of bytes PutUVarint writes for v.
inline size_t UVarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline size_t VarintSize(int64_t v) { return UVarintSize(ZigZagEncode64(v)); }

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(size_t reserve) { buf_.reserve(reserve); }

  void PutU8(uint8_t v) { buf_.push_back(v); }
  void PutBE16(uint16_t v) { PutBE(v, 2); }
  void PutBE32(uint32_t v) { PutBE(v, 4); }
  void PutBE64(uint64_t v) { PutBE(v, 8); }
  void PutLE16(uint16_t v) { PutLE(v, 2); }
  void PutLE32(uint32_t v) { PutLE(v, 4); }
  void PutLE64(uint64_t v) { PutLE(v, 8); }
  void PutUVarint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<uint8_t>(v));
  }
  // Zigzag varint, as in Kafka records.
  void PutVarint(int64_t v) { PutUVarint(ZigZagEncode64(v)); }
  void PutBytes(ByteView b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  void PutBytes(std::string_view s) { PutBytes(AsBytes(s)); }
  void PutZeros(size_t n) { buf_.insert(buf_.end(), n, 0); }

  // Overwrites 4 bytes at pos (for lengths and CRCs known only at the end).
  void PatchBE32(size_t pos, uint32_t v) {
    for (int i = 0; i < 4; ++i) buf_[pos + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  }
  void PatchLE32(size_t pos, uint32_t v) {
    for (int i = 0; i < 4; ++i) buf_[pos + i] = static_cast<uint8_t>(v >> (8 * i));
  }

  size_t size() const { return buf_.size(); }
  Bytes& buffer() { return buf_; }
  const Bytes& buffer() const { return buf_; }
  Bytes Take() { return std::move(buf_); }

 private:
  void PutBE(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void PutLE(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes buf_;
};

// Reads from a borrowed view. After any read past the end, ok() is false and
// every further read returns zero / empty.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool empty() const { return remaining() == 0; }

  uint8_t ReadU8() { return static_cast<uint8_t>(ReadBE(1)); }
  uint16_t ReadBE16() { return static_cast<uint16_t>(ReadBE(2)); }
  uint32_t ReadBE32() { return static_cast<uint32_t>(ReadBE(4)); }
  uint64_t ReadBE64() { return ReadBE(8); }
  uint16_t ReadLE16() { return static_cast<uint16_t>(ReadLE(2)); }
  uint32_t ReadLE32() { return static_cast<uint32_t>(ReadLE(4)); }
  uint64_t ReadLE64() { return ReadLE(8); }

  uint64_t ReadUVarint() {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1)) return 0;
      uint8_t b = data_[pos_++];
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    ok_ = false;  // more than 10 bytes: malformed
    return 0;
  }
  int64_t ReadVarint() { return ZigZagDecode64(ReadUVarint()); }

  // Returns a view of the next n bytes (borrowed from the input).
  ByteView ReadBytes(size_t n) {
    if (!Need(n)) return {};
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  void Skip(size_t n) { ReadBytes(n); }
  // Marks the reader failed (for callers that detect a semantic error).
  void Fail() { ok_ = false; }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  uint64_t ReadBE(int n) {
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }
  uint64_t ReadLE(int n) {
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }

  ByteView data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Fixed-width loads/stores on raw memory (for code that patches in place).
inline uint32_t LoadBE32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t LoadBE64(const uint8_t* p) {
  return (uint64_t{LoadBE32(p)} << 32) | LoadBE32(p + 4);
}
inline void StoreBE32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void StoreBE64(uint8_t* p, uint64_t v) {
  StoreBE32(p, static_cast<uint32_t>(v >> 32));
  StoreBE32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace sh
