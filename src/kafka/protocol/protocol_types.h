// Wire primitives of the Kafka protocol, shared by the generated codec.
//
// ProtoWriter and ProtoReader wrap base's ByteWriter/ByteReader with the
// Kafka encodings: big-endian integers, strings and bytes with an int16/int32
// length (or, in flexible versions, a "compact" unsigned varint of length+1),
// arrays with an int32 count (or compact count+1), and the tagged-field
// section that ends every structure in a flexible version.
//
// Both keep the first error and turn every later call into a no-op, so the
// generated code can encode or decode a whole message and check once. The
// reader bounds-checks every length against the bytes that remain, so a
// malformed message yields an error, never a crash or a huge allocation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace sh::kafka {

// Kafka's 128-bit UUID (topic ids), in wire order.
using Uuid = std::array<uint8_t, 16>;

class ProtoWriter {
 public:
  explicit ProtoWriter(ByteWriter& out) : out_(out) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Records the first failure; later writes still append but the status stays failed.
  void Fail(std::string message);

  void PutBool(bool v) { out_.PutU8(v ? 1 : 0); }
  void PutInt8(int8_t v) { out_.PutU8(static_cast<uint8_t>(v)); }
  void PutInt16(int16_t v) { out_.PutBE16(static_cast<uint16_t>(v)); }
  void PutUInt16(uint16_t v) { out_.PutBE16(v); }
  void PutInt32(int32_t v) { out_.PutBE32(static_cast<uint32_t>(v)); }
  void PutUInt32(uint32_t v) { out_.PutBE32(v); }
  void PutInt64(int64_t v) { out_.PutBE64(static_cast<uint64_t>(v)); }
  void PutFloat64(double v);
  void PutUuid(const Uuid& v) { out_.PutBytes(ByteView(v.data(), v.size())); }
  void PutUVarint(uint64_t v) { out_.PutUVarint(v); }

  // flex: compact (uvarint length+1) encoding. nullable: whether the version
  // allows null; a null where it does not is an encode error naming `field`.
  void PutString(const std::string& s, bool flex);
  void PutNullableString(const std::optional<std::string>& s, bool flex, bool nullable,
                         const char* field);
  void PutBytes(const Bytes& b, bool flex);
  void PutNullableBytes(const std::optional<Bytes>& b, bool flex, bool nullable, const char* field);
  void PutArrayLength(size_t n, bool flex);
  void PutNullArray(bool flex, bool nullable, const char* field);

  // Appends one tagged field: uvarint tag, uvarint size, then the bytes that
  // `sub` (a writer over `body`) produced. Takes over sub's error, if any.
  void PutTaggedField(uint32_t tag, const ProtoWriter& sub, const ByteWriter& body);

 private:
  void PutLength(size_t n, bool flex, size_t max, const char* what);

  ByteWriter& out_;
  Status status_;
};

class ProtoReader {
 public:
  explicit ProtoReader(ByteReader& in) : in_(in) {}

  bool ok() const { return in_.ok(); }
  void Fail() { in_.Fail(); }
  size_t position() const { return in_.position(); }
  size_t remaining() const { return in_.remaining(); }

  bool ReadBool() { return in_.ReadU8() != 0; }
  int8_t ReadInt8() { return static_cast<int8_t>(in_.ReadU8()); }
  int16_t ReadInt16() { return static_cast<int16_t>(in_.ReadBE16()); }
  uint16_t ReadUInt16() { return in_.ReadBE16(); }
  int32_t ReadInt32() { return static_cast<int32_t>(in_.ReadBE32()); }
  uint32_t ReadUInt32() { return in_.ReadBE32(); }
  int64_t ReadInt64() { return static_cast<int64_t>(in_.ReadBE64()); }
  double ReadFloat64();
  Uuid ReadUuid();
  uint64_t ReadUVarint() { return in_.ReadUVarint(); }

  // A null where `nullable` is false fails the reader.
  void ReadString(std::string& s, bool flex);
  void ReadNullableString(std::optional<std::string>& s, bool flex, bool nullable);
  void ReadBytes(Bytes& b, bool flex);
  void ReadNullableBytes(std::optional<Bytes>& b, bool flex, bool nullable);
  // Returns the element count, or -1 for a null array (only when nullable).
  // Fails (and returns 0) when the count exceeds the bytes that remain: every
  // element takes at least one byte, so a larger count cannot be genuine.
  int32_t ReadArrayLength(bool flex, bool nullable);

  // Tagged-field section: ReadTaggedCount() then, per field, ReadTaggedField().
  uint32_t ReadTaggedCount();
  bool ReadTaggedField(uint32_t* tag, ByteView* body);
  // Fails this reader unless `sub` decoded its whole tagged-field body.
  void FinishTaggedField(const ProtoReader& sub);
  // Skips a whole tagged-field section (for structures with no known tags).
  void SkipTaggedFields();

 private:
  // Length of a string/bytes: -1 for null, else the byte count (checked).
  int64_t ReadLength(bool flex, bool wide);

  ByteReader& in_;
};

// Errors returned by the generated Encode/Decode.
Status UnsupportedVersion(const char* message, int16_t version);
Status EncodeFailed(const char* message, int16_t version, const ProtoWriter& w);
Status DecodeFailed(const char* message, int16_t version, const ProtoReader& r);

// Decodes a whole buffer into `m` and requires every byte to be consumed.
template <typename Message>
Status DecodeExact(ByteView data, int16_t version, Message& m) {
  ByteReader r(data);
  SH_RETURN_IF_ERROR(m.Decode(r, version));
  if (!r.empty()) {
    return Status::Corruption("kafka message v" + std::to_string(version) + ": " +
                              std::to_string(r.remaining()) + " trailing bytes");
  }
  return Status::OK();
}

}  // namespace sh::kafka
