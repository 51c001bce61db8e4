#include "wal/wal_reader.h"

#include <algorithm>
#include <map>
#include <optional>

#include "base/crc32c.h"

namespace sh::wal {

const char* WalDamageName(WalDamage damage) {
  switch (damage) {
    case WalDamage::kNone:
      return "none";
    case WalDamage::kTorn:
      return "torn";
    case WalDamage::kCorrupt:
      return "corrupt";
  }
  return "unknown";
}

namespace {

uint32_t LoadLE32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// Carries the key and the damage out-parameter through the checks.
class Parser {
 public:
  Parser(std::string key, ByteView bytes, WalDamage* damage)
      : key_(std::move(key)), bytes_(bytes), damage_(damage) {}

  Result<WalObject> Run();

 private:
  Status Fail(WalDamage d, const std::string& region, const std::string& what,
              ErrorCode code = ErrorCode::kCorruption) {
    if (damage_ != nullptr) *damage_ = d;
    return Status(code,
                  "wal object " + key_ + ": " + WalDamageName(d) + ": " + region + ": " + what);
  }
  Status Corrupt(const std::string& region, const std::string& what) {
    return Fail(WalDamage::kCorrupt, region, what);
  }
  Status ParseFixedHeader();
  Status Torn();
  Status ParseAgentId();
  Status ParseTrailer();
  Status ParseEntries();
  Status ParseEntry(size_t index, ByteReader& r, uint32_t* crc);
  Status CheckKey();

  std::string key_;
  ByteView bytes_;
  WalDamage* damage_;
  WalObject obj_;
  size_t entries_begin_ = 0;
  size_t trailer_begin_ = 0;
  uint32_t chain_crc_ = 0;
};

Status Parser::ParseFixedHeader() {
  if (bytes_.size() < kWalFixedHeaderSize) {
    return Fail(WalDamage::kTorn, "size",
                "object ends at byte " + std::to_string(bytes_.size()) +
                    " (inside the header, which takes " + std::to_string(kWalFixedHeaderSize) +
                    ")");
  }
  ByteReader r(bytes_);
  uint32_t magic = r.ReadLE32();
  WalHeader& h = obj_.header;
  h.version = r.ReadLE16();
  uint16_t agent_len = r.ReadLE16();
  h.sequence = r.ReadLE64();
  h.created_at_ms = static_cast<int64_t>(r.ReadLE64());
  h.object_size = r.ReadLE64();
  h.entry_count = r.ReadLE32();
  uint32_t crc = r.ReadLE32();
  if (magic != kWalMagic) return Corrupt("header", "bad magic");
  if (crc != crc32c::Value(bytes_.data(), kWalHeaderCrcOffset)) {
    return Corrupt("header", "checksum mismatch");
  }
  if (h.version != kWalFormatVersion) {
    return Fail(WalDamage::kCorrupt, "header", "format version " + std::to_string(h.version),
                ErrorCode::kUnsupported);
  }
  if (agent_len == 0 || agent_len > kMaxAgentIdBytes) {
    return Corrupt("header", "agent id length " + std::to_string(agent_len));
  }
  entries_begin_ = kWalFixedHeaderSize + agent_len + 4;
  if (h.object_size < entries_begin_ + kWalTrailerSize) {
    return Corrupt("header", "object size " + std::to_string(h.object_size) + " too small");
  }
  if (h.entry_count > (h.object_size - entries_begin_) / kWalEntryOverhead) {
    return Corrupt("header",
                   "entry count " + std::to_string(h.entry_count) + " cannot fit in the object");
  }
  return Status::OK();
}

// The header is valid and says the object is longer than the bytes we have:
// name where the bytes stop (by following the entry lengths as far as they go).
Status Parser::Torn() {
  size_t have = bytes_.size();
  std::string where = "inside the header";
  size_t pos = entries_begin_;
  if (have >= pos) {
    where = "inside the trailer";
    const uint64_t trailer = obj_.header.object_size - kWalTrailerSize;
    for (uint32_t i = 0; i < obj_.header.entry_count && pos < trailer; ++i) {
      if (have < pos + 4) {
        where = "inside entry " + std::to_string(i);
        break;
      }
      uint64_t end = pos + 4 + uint64_t{LoadLE32(bytes_.data() + pos)};
      if (have < end) {
        where = "inside entry " + std::to_string(i);
        break;
      }
      pos = end;
    }
  }
  return Fail(WalDamage::kTorn, "size",
              "object ends at byte " + std::to_string(have) + " of " +
                  std::to_string(obj_.header.object_size) + " (" + where + ")");
}

Status Parser::ParseAgentId() {
  size_t len = entries_begin_ - kWalFixedHeaderSize - 4;
  ByteView id = bytes_.subspan(kWalFixedHeaderSize, len);
  if (LoadLE32(bytes_.data() + kWalFixedHeaderSize + len) != crc32c::Value(id)) {
    return Corrupt("header: agent id", "checksum mismatch");
  }
  obj_.header.agent_id.assign(AsString(id));
  return Status::OK();
}

Status Parser::ParseTrailer() {
  trailer_begin_ = bytes_.size() - kWalTrailerSize;
  const uint8_t* t = bytes_.data() + trailer_begin_;
  if (LoadLE32(t + 12) != kWalTrailerMagic) return Corrupt("trailer", "bad magic");
  if (LoadLE32(t + 8) != crc32c::Value(t, 8)) return Corrupt("trailer", "checksum mismatch");
  uint32_t count = LoadLE32(t);
  if (count != obj_.header.entry_count) {
    return Corrupt("trailer", "entry count " + std::to_string(count) + " != header's " +
                                  std::to_string(obj_.header.entry_count));
  }
  chain_crc_ = LoadLE32(t + 4);
  return Status::OK();
}

Status Parser::ParseEntry(size_t index, ByteReader& r, uint32_t* crc) {
  const std::string region = "entry " + std::to_string(index);
  size_t start = entries_begin_ + r.position();
  if (r.remaining() < 4) return Corrupt(region, "no room for the entry length");
  uint32_t len = r.ReadLE32();
  if (len < kWalEntryOverhead - 4 || len > r.remaining()) {
    return Corrupt(region, "length " + std::to_string(len) + " runs outside the entries");
  }
  ByteView body = r.ReadBytes(len);
  uint32_t stored = LoadLE32(body.data() + len - 4);
  *crc = crc32c::Value(bytes_.data() + start, 4 + len - 4);
  if (stored != *crc) return Corrupt(region, "checksum mismatch");
  ByteReader b(body.first(len - 4));
  WalEntryView e;
  e.position = start;
  uint16_t topic_len = b.ReadLE16();
  e.topic = AsString(b.ReadBytes(topic_len));
  e.partition = static_cast<int32_t>(b.ReadLE32());
  e.leader_epoch = static_cast<int64_t>(b.ReadLE64());
  e.base_offset = static_cast<int64_t>(b.ReadLE64());
  e.last_offset = static_cast<int64_t>(b.ReadLE64());
  e.record_count = b.ReadLE32();
  uint32_t batches_len = b.ReadLE32();
  if (!b.ok() || b.remaining() != batches_len) {
    return Corrupt(region, "topic and batch lengths do not add up to the entry length");
  }
  e.batches = b.ReadBytes(batches_len);
  Status st = ValidateWalEntry(e.topic, e.partition, e.base_offset, e.last_offset, e.record_count,
                               e.batches);
  if (!st.ok()) return Corrupt(region, st.message());
  obj_.entries.push_back(e);
  return Status::OK();
}

Status Parser::ParseEntries() {
  ByteReader r(bytes_.subspan(entries_begin_, trailer_begin_ - entries_begin_));
  uint32_t chain = 0;
  obj_.entries.reserve(obj_.header.entry_count);
  for (uint32_t i = 0; i < obj_.header.entry_count; ++i) {
    uint32_t crc = 0;
    SH_RETURN_IF_ERROR(ParseEntry(i, r, &crc));
    uint8_t le[4] = {static_cast<uint8_t>(crc), static_cast<uint8_t>(crc >> 8),
                     static_cast<uint8_t>(crc >> 16), static_cast<uint8_t>(crc >> 24)};
    chain = crc32c::Extend(chain, le, 4);
  }
  if (!r.empty()) {
    return Corrupt("trailer", std::to_string(r.remaining()) + " bytes after the last entry");
  }
  if (chain != chain_crc_) return Corrupt("trailer", "entries checksum mismatch");
  return Status::OK();
}

Status Parser::CheckKey() {
  std::optional<WalKey> k = ParseWalObjectKey(key_);
  if (!k.has_value()) return Status::OK();
  if (k->sequence != obj_.header.sequence) {
    return Corrupt("header",
                   "sequence " + std::to_string(obj_.header.sequence) + " does not match the key");
  }
  if (k->agent_id != obj_.header.agent_id) {
    return Corrupt("header: agent id", "'" + obj_.header.agent_id + "' does not match the key");
  }
  return Status::OK();
}

Result<WalObject> Parser::Run() {
  if (damage_ != nullptr) *damage_ = WalDamage::kNone;
  obj_.key = key_;
  SH_RETURN_IF_ERROR(ParseFixedHeader());
  if (bytes_.size() < obj_.header.object_size) return Torn();
  if (bytes_.size() > obj_.header.object_size) {
    return Corrupt("size", std::to_string(bytes_.size() - obj_.header.object_size) +
                               " bytes past the object size in the header");
  }
  SH_RETURN_IF_ERROR(ParseAgentId());
  SH_RETURN_IF_ERROR(CheckKey());
  SH_RETURN_IF_ERROR(ParseTrailer());
  SH_RETURN_IF_ERROR(ParseEntries());
  return std::move(obj_);
}

}  // namespace

Result<WalObject> ParseWalObject(std::string key, ByteView bytes, WalDamage* damage) {
  return Parser(std::move(key), bytes, damage).Run();
}

namespace {

bool BySequence(const WalObjectInfo& a, const WalObjectInfo& b) { return a.sequence < b.sequence; }

// The listed keys that are WAL object keys, grouped by agent id, each group
// sorted by sequence. With `only` set, other agents' keys are skipped.
std::map<std::string, std::vector<WalObjectInfo>> GroupWalKeys(std::vector<ObjectInfo> listed,
                                                               std::string_view only) {
  std::map<std::string, std::vector<WalObjectInfo>> out;
  for (ObjectInfo& o : listed) {
    std::optional<WalKey> k = ParseWalObjectKey(o.key);
    if (!k.has_value() || (!only.empty() && k->agent_id != only)) continue;
    out[k->agent_id].push_back({std::move(o.key), k->sequence, o.size});
  }
  for (auto& [agent, infos] : out) std::sort(infos.begin(), infos.end(), BySequence);
  return out;
}

}  // namespace

Result<std::vector<WalObjectInfo>> ListWal(ObjectStore& store, std::string_view agent_id) {
  SH_RETURN_IF_ERROR(ValidateAgentId(agent_id));
  SH_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed, store.List(WalPrefix(agent_id)));
  auto grouped = GroupWalKeys(std::move(listed), agent_id);
  if (grouped.empty()) return std::vector<WalObjectInfo>{};
  return std::move(grouped.begin()->second);
}

Result<std::map<std::string, std::vector<WalObjectInfo>>> ListAllWal(ObjectStore& store) {
  SH_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed, store.List("wal/"));
  return GroupWalKeys(std::move(listed), "");
}

}  // namespace sh::wal
