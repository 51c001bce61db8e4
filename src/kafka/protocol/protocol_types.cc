#include "kafka/protocol/protocol_types.h"

#include <bit>
#include <limits>

namespace sh::kafka {

void ProtoWriter::Fail(std::string message) {
  if (status_.ok()) status_ = Status::InvalidArgument(std::move(message));
}

void ProtoWriter::PutFloat64(double v) { out_.PutBE64(std::bit_cast<uint64_t>(v)); }

void ProtoWriter::PutLength(size_t n, bool flex, size_t max, const char* what) {
  if (n > max) {
    Fail(std::string(what) + " of " + std::to_string(n) + " exceeds the wire limit of " +
         std::to_string(max));
    return;
  }
  if (flex) {
    out_.PutUVarint(uint64_t{n} + 1);
  } else if (max <= static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
    out_.PutBE16(static_cast<uint16_t>(n));
  } else {
    out_.PutBE32(static_cast<uint32_t>(n));
  }
}

void ProtoWriter::PutString(const std::string& s, bool flex) {
  PutLength(s.size(), flex, std::numeric_limits<int16_t>::max(), "string");
  out_.PutBytes(std::string_view(s));
}

void ProtoWriter::PutNullableString(const std::optional<std::string>& s, bool flex, bool nullable,
                                    const char* field) {
  if (s.has_value()) return PutString(*s, flex);
  if (!nullable) Fail(std::string("null in non-nullable string field ") + field);
  if (flex) {
    out_.PutUVarint(0);
  } else {
    out_.PutBE16(0xffff);
  }
}

void ProtoWriter::PutBytes(const Bytes& b, bool flex) {
  PutLength(b.size(), flex, std::numeric_limits<int32_t>::max(), "bytes");
  out_.PutBytes(ByteView(b));
}

void ProtoWriter::PutNullableBytes(const std::optional<Bytes>& b, bool flex, bool nullable,
                                   const char* field) {
  if (b.has_value()) return PutBytes(*b, flex);
  PutNullArray(flex, nullable, field);  // same null marker as an array
}

void ProtoWriter::PutArrayLength(size_t n, bool flex) {
  PutLength(n, flex, std::numeric_limits<int32_t>::max(), "array");
}

void ProtoWriter::PutNullArray(bool flex, bool nullable, const char* field) {
  if (!nullable) Fail(std::string("null in non-nullable field ") + field);
  if (flex) {
    out_.PutUVarint(0);
  } else {
    out_.PutBE32(0xffffffff);
  }
}

void ProtoWriter::PutTaggedField(uint32_t tag, const ProtoWriter& sub, const ByteWriter& body) {
  if (!sub.ok() && status_.ok()) status_ = sub.status();
  out_.PutUVarint(tag);
  out_.PutUVarint(body.size());
  out_.PutBytes(ByteView(body.buffer()));
}

double ProtoReader::ReadFloat64() { return std::bit_cast<double>(in_.ReadBE64()); }

Uuid ProtoReader::ReadUuid() {
  Uuid u{};
  ByteView b = in_.ReadBytes(u.size());
  if (b.size() == u.size()) std::copy(b.begin(), b.end(), u.begin());
  return u;
}

int64_t ProtoReader::ReadLength(bool flex, bool wide) {
  int64_t n;
  if (flex) {
    uint64_t raw = in_.ReadUVarint();
    if (raw > uint64_t{std::numeric_limits<int32_t>::max()} + 1) {
      in_.Fail();
      return 0;
    }
    n = static_cast<int64_t>(raw) - 1;
  } else if (wide) {
    n = static_cast<int32_t>(in_.ReadBE32());
  } else {
    n = static_cast<int16_t>(in_.ReadBE16());
  }
  if (!in_.ok()) return 0;
  if (n < -1 || (n > 0 && static_cast<uint64_t>(n) > in_.remaining())) {
    in_.Fail();
    return 0;
  }
  return n;
}

void ProtoReader::ReadString(std::string& s, bool flex) {
  int64_t n = ReadLength(flex, false);
  if (n < 0) {
    in_.Fail();  // null in a non-nullable string
    return;
  }
  s = std::string(AsString(in_.ReadBytes(static_cast<size_t>(n))));
}

void ProtoReader::ReadNullableString(std::optional<std::string>& s, bool flex, bool nullable) {
  int64_t n = ReadLength(flex, false);
  if (n < 0) {
    if (!nullable) in_.Fail();
    s.reset();
    return;
  }
  s = std::string(AsString(in_.ReadBytes(static_cast<size_t>(n))));
}

void ProtoReader::ReadBytes(Bytes& b, bool flex) {
  int64_t n = ReadLength(flex, true);
  if (n < 0) {
    in_.Fail();
    return;
  }
  ByteView v = in_.ReadBytes(static_cast<size_t>(n));
  b.assign(v.begin(), v.end());
}

void ProtoReader::ReadNullableBytes(std::optional<Bytes>& b, bool flex, bool nullable) {
  int64_t n = ReadLength(flex, true);
  if (n < 0) {
    if (!nullable) in_.Fail();
    b.reset();
    return;
  }
  ByteView v = in_.ReadBytes(static_cast<size_t>(n));
  b.emplace(v.begin(), v.end());
}

int32_t ProtoReader::ReadArrayLength(bool flex, bool nullable) {
  int64_t n = ReadLength(flex, true);
  if (n < 0 && !nullable) in_.Fail();
  if (!in_.ok()) return 0;
  return static_cast<int32_t>(n);
}

uint32_t ProtoReader::ReadTaggedCount() {
  uint64_t n = in_.ReadUVarint();
  // Each tagged field takes at least two bytes (tag and size).
  if (n > in_.remaining() / 2) {
    in_.Fail();
    return 0;
  }
  return static_cast<uint32_t>(n);
}

bool ProtoReader::ReadTaggedField(uint32_t* tag, ByteView* body) {
  uint64_t t = in_.ReadUVarint();
  uint64_t size = in_.ReadUVarint();
  if (!in_.ok() || t > std::numeric_limits<uint32_t>::max() || size > in_.remaining()) {
    in_.Fail();
    return false;
  }
  *tag = static_cast<uint32_t>(t);
  *body = in_.ReadBytes(static_cast<size_t>(size));
  return in_.ok();
}

void ProtoReader::FinishTaggedField(const ProtoReader& sub) {
  if (!sub.ok() || sub.remaining() != 0) in_.Fail();
}

void ProtoReader::SkipTaggedFields() {
  uint32_t n = ReadTaggedCount();
  for (uint32_t i = 0; i < n && in_.ok(); ++i) {
    uint32_t tag;
    ByteView body;
    ReadTaggedField(&tag, &body);
  }
}

Status UnsupportedVersion(const char* message, int16_t version) {
  return Status::Unsupported(std::string("kafka ") + message + ": version " +
                             std::to_string(version) + " is not supported");
}

Status EncodeFailed(const char* message, int16_t version, const ProtoWriter& w) {
  return w.status().WithContext(std::string("kafka encode ") + message + " v" +
                                std::to_string(version));
}

Status DecodeFailed(const char* message, int16_t version, const ProtoReader& r) {
  return Status::Corruption(std::string("kafka decode ") + message + " v" +
                            std::to_string(version) + ": truncated or malformed (stopped at byte " +
                            std::to_string(r.position()) + ")");
}

}  // namespace sh::kafka
