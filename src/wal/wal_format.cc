#include "wal/wal_format.h"

#include <cstdio>

#include "base/crc32c.h"
#include "records/record_batch.h"

namespace sh::wal {
namespace {

// Kafka batch header fields read by the header walk (big-endian).
constexpr size_t kLastOffsetDeltaOffset = 23;
constexpr size_t kRecordCountOffset = 57;

std::string BatchError(size_t index, size_t position, const std::string& what) {
  return "batch " + std::to_string(index) + " (byte " + std::to_string(position) +
         " of the entry's batches): " + what;
}

}  // namespace

Status CheckBatches(int64_t base_offset, int64_t last_offset, int64_t record_count,
                    ByteView batches) {
  if (batches.empty()) return Status::Corruption("no batches");
  size_t pos = 0;
  int64_t next_min = base_offset;  // a batch must start at or after this offset
  int64_t records = 0;
  int64_t prev_last = -1;
  for (size_t i = 0; pos < batches.size(); ++i) {
    ByteView rest = batches.subspan(pos);
    if (rest.size() < records::kBatchHeaderSize) {
      return Status::Corruption(BatchError(i, pos, "shorter than a batch header"));
    }
    size_t size = records::PeekBatchSize(rest);
    if (size < records::kBatchHeaderSize || size > rest.size()) {
      return Status::Corruption(
          BatchError(i, pos, "batch length " + std::to_string(size) + " outside the entry"));
    }
    const uint8_t* p = rest.data();
    if (p[records::kMagicOffset] != 2) return Status::Corruption(BatchError(i, pos, "magic != 2"));
    int64_t base = static_cast<int64_t>(LoadBE64(p));
    int32_t delta = static_cast<int32_t>(LoadBE32(p + kLastOffsetDeltaOffset));
    int32_t count = static_cast<int32_t>(LoadBE32(p + kRecordCountOffset));
    if (delta < 0 || count < 0) {
      return Status::Corruption(BatchError(i, pos, "negative lastOffsetDelta or recordCount"));
    }
    if (i == 0 && base != base_offset) {
      return Status::Corruption(BatchError(i, pos,
                                           "base offset " + std::to_string(base) +
                                               " != entry base offset " +
                                               std::to_string(base_offset)));
    }
    if (base < next_min) {
      return Status::Corruption(BatchError(
          i, pos, "base offset " + std::to_string(base) + " not after the previous batch"));
    }
    prev_last = base + delta;
    next_min = prev_last + 1;
    records += count;
    pos += size;
  }
  if (prev_last != last_offset) {
    return Status::Corruption("last batch ends at offset " + std::to_string(prev_last) +
                              ", entry says " + std::to_string(last_offset));
  }
  if (records != record_count) {
    return Status::Corruption("batches hold " + std::to_string(records) + " records, entry says " +
                              std::to_string(record_count));
  }
  return Status::OK();
}

Status ValidateWalEntry(std::string_view topic, int32_t partition, int64_t base_offset,
                        int64_t last_offset, int64_t record_count, ByteView batches) {
  if (topic.empty() || topic.size() > kMaxTopicBytes) {
    return Status::InvalidArgument("topic length " + std::to_string(topic.size()) + " outside 1.." +
                                   std::to_string(kMaxTopicBytes));
  }
  if (partition < 0 || base_offset < 0 || record_count < 0 || record_count > UINT32_MAX) {
    return Status::InvalidArgument("negative partition, base offset or record count");
  }
  if (batches.size() > UINT32_MAX - 1024) return Status::TooLarge("entry batches over 4 GiB");
  return CheckBatches(base_offset, last_offset, record_count, batches);
}

Result<WalEntry> MakeWalEntry(std::string topic, int32_t partition, int64_t leader_epoch,
                              Bytes batches) {
  WalEntry e;
  e.topic = std::move(topic);
  e.partition = partition;
  e.leader_epoch = leader_epoch;
  // Derive the fields from the headers, then let the common check confirm them.
  size_t pos = 0;
  while (pos < batches.size()) {
    ByteView rest = ByteView(batches).subspan(pos);
    size_t size = records::PeekBatchSize(rest);
    if (rest.size() < records::kBatchHeaderSize || size < records::kBatchHeaderSize ||
        size > rest.size()) {
      return Status::Corruption("batches for " + e.topic + "/" + std::to_string(partition) +
                                ": not whole batches at byte " + std::to_string(pos));
    }
    int64_t base = static_cast<int64_t>(LoadBE64(rest.data()));
    if (pos == 0) e.base_offset = base;
    e.last_offset = base + static_cast<int32_t>(LoadBE32(rest.data() + kLastOffsetDeltaOffset));
    e.record_count += static_cast<int32_t>(LoadBE32(rest.data() + kRecordCountOffset));
    pos += size;
  }
  e.batches = std::move(batches);
  Status st = ValidateWalEntry(e.topic, e.partition, e.base_offset, e.last_offset, e.record_count,
                               e.batches);
  if (!st.ok()) {
    return Status(st.code(),
                  "entry for " + e.topic + "/" + std::to_string(partition) + ": " + st.message());
  }
  return e;
}

size_t EncodedEntrySize(const WalEntry& entry) {
  return kWalEntryOverhead + entry.topic.size() + entry.batches.size();
}

size_t EncodedObjectSize(std::string_view agent_id, size_t entries_bytes) {
  return kWalFixedHeaderSize + agent_id.size() + 4 + entries_bytes + kWalTrailerSize;
}

namespace {

void EncodeEntry(const WalEntry& e, ByteWriter& w) {
  size_t start = w.size();
  w.PutLE32(static_cast<uint32_t>(EncodedEntrySize(e) - 4));
  w.PutLE16(static_cast<uint16_t>(e.topic.size()));
  w.PutBytes(e.topic);
  w.PutLE32(static_cast<uint32_t>(e.partition));
  w.PutLE64(static_cast<uint64_t>(e.leader_epoch));
  w.PutLE64(static_cast<uint64_t>(e.base_offset));
  w.PutLE64(static_cast<uint64_t>(e.last_offset));
  w.PutLE32(static_cast<uint32_t>(e.record_count));
  w.PutLE32(static_cast<uint32_t>(e.batches.size()));
  w.PutBytes(e.batches);
  w.PutLE32(crc32c::Value(w.buffer().data() + start, w.size() - start));
}

}  // namespace

Bytes EncodeWalObject(std::string_view agent_id, uint64_t sequence, int64_t created_at_ms,
                      const std::vector<const WalEntry*>& entries) {
  SH_CHECK(!agent_id.empty() && agent_id.size() <= kMaxAgentIdBytes);
  size_t entries_bytes = 0;
  for (const WalEntry* e : entries) entries_bytes += EncodedEntrySize(*e);
  size_t total = EncodedObjectSize(agent_id, entries_bytes);
  ByteWriter w(total);
  w.PutLE32(kWalMagic);
  w.PutLE16(kWalFormatVersion);
  w.PutLE16(static_cast<uint16_t>(agent_id.size()));
  w.PutLE64(sequence);
  w.PutLE64(static_cast<uint64_t>(created_at_ms));
  w.PutLE64(total);
  w.PutLE32(static_cast<uint32_t>(entries.size()));
  w.PutLE32(crc32c::Value(w.buffer().data(), kWalHeaderCrcOffset));
  w.PutBytes(agent_id);
  w.PutLE32(crc32c::Value(AsBytes(agent_id)));
  uint32_t chain = 0;  // CRC-32C over the entries' CRCs, in order
  for (const WalEntry* e : entries) {
    EncodeEntry(*e, w);
    chain = crc32c::Extend(chain, w.buffer().data() + w.size() - 4, 4);
  }
  size_t trailer = w.size();
  w.PutLE32(static_cast<uint32_t>(entries.size()));
  w.PutLE32(chain);
  w.PutLE32(crc32c::Value(w.buffer().data() + trailer, 8));
  w.PutLE32(kWalTrailerMagic);
  SH_CHECK(w.size() == total);
  return w.Take();
}

Status ValidateAgentId(std::string_view agent_id) {
  if (agent_id.empty() || agent_id.size() > kMaxAgentIdBytes || agent_id == "." ||
      agent_id == ".." || agent_id.starts_with(".tmp-") ||
      agent_id.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    return Status::InvalidArgument("agent id '" + std::string(agent_id) +
                                   "' cannot name a WAL directory");
  }
  return Status::OK();
}

std::string WalPrefix(std::string_view agent_id) { return "wal/" + std::string(agent_id) + "/"; }

std::string WalObjectKey(std::string_view agent_id, uint64_t sequence) {
  char seq[32];
  std::snprintf(seq, sizeof(seq), "%020llu", static_cast<unsigned long long>(sequence));
  return WalPrefix(agent_id) + seq + ".wal";
}

std::optional<WalKey> ParseWalObjectKey(std::string_view key) {
  constexpr std::string_view kPrefix = "wal/";
  constexpr std::string_view kSuffix = ".wal";
  constexpr size_t kDigits = 20;
  if (key.size() < kPrefix.size() + 2 + kDigits + kSuffix.size()) return std::nullopt;
  if (!key.starts_with(kPrefix) || !key.ends_with(kSuffix)) return std::nullopt;
  std::string_view digits = key.substr(key.size() - kSuffix.size() - kDigits, kDigits);
  size_t slash = key.size() - kSuffix.size() - kDigits - 1;
  if (key[slash] != '/') return std::nullopt;
  std::string_view agent = key.substr(kPrefix.size(), slash - kPrefix.size());
  if (agent.empty() || agent.find('/') != std::string_view::npos) return std::nullopt;
  uint64_t seq = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (seq > (UINT64_MAX - d) / 10) return std::nullopt;
    seq = seq * 10 + d;
  }
  return WalKey{std::string(agent), seq};
}

}  // namespace sh::wal
