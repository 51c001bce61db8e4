// Write-ahead log object format, version 1 (docs/design.md §6; byte layout in
// docs/formats/wal.md, pinned by wal_format_test.cc).
//
// One WAL object is `wal/{agent_id}/{sequence:020}.wal`: a header, the
// entries of one group commit (each a run of record batches of one
// partition, with its own CRC-32C), and a trailer. The header records the
// object's total size, so a reader can tell a torn object (a prefix of what
// was written) from a corrupt one (a complete object whose bytes changed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace sh::wal {

constexpr uint32_t kWalMagic = 0x4c574853;         // "SHWL" read as little-endian u32
constexpr uint32_t kWalTrailerMagic = 0x45574853;  // "SHWE"
constexpr uint16_t kWalFormatVersion = 1;
// Fixed part of the header, up to and including its CRC.
constexpr size_t kWalFixedHeaderSize = 40;
constexpr size_t kWalHeaderCrcOffset = 36;
constexpr size_t kWalTrailerSize = 16;
// Entry bytes besides topic and batches: length, topic length, partition,
// epoch, base, last, record count, batches length, CRC.
constexpr size_t kWalEntryOverhead = 4 + 2 + 4 + 8 + 8 + 8 + 4 + 4 + 4;
constexpr size_t kMaxAgentIdBytes = 255;
constexpr size_t kMaxTopicBytes = 32767;

// One partition's batches in a WAL object. The batches are Kafka v2 record
// batches with their base offsets assigned, back to back, exactly as they
// will be served; base_offset/last_offset/record_count describe them.
struct WalEntry {
  std::string topic;
  int32_t partition = 0;
  int64_t leader_epoch = 0;
  int64_t base_offset = 0;   // base offset of the first batch
  int64_t last_offset = 0;   // last offset of the last batch
  int64_t record_count = 0;  // sum of the batches' record counts
  Bytes batches;
};

// Builds a WalEntry from batches, reading base/last offsets and the record
// count from the batch headers. Corruption if the batches are not whole,
// header-consistent v2 batches with increasing offsets.
Result<WalEntry> MakeWalEntry(std::string topic, int32_t partition, int64_t leader_epoch,
                              Bytes batches);

// Header-level check of an entry (topic size, partition >= 0, and the batch
// walk of CheckBatches). The writer runs it on Append so that it never
// writes an object the reader would reject.
Status ValidateWalEntry(std::string_view topic, int32_t partition, int64_t base_offset,
                        int64_t last_offset, int64_t record_count, ByteView batches);

// Walks the batches by their headers only (no batch CRC: the broker checked
// those on produce, and the entry CRC covers the bytes from then on): each
// at least 61 bytes, magic 2, lastOffsetDelta and recordCount >= 0, base
// offsets strictly after the previous batch's last offset; the first base
// offset equals base_offset, the last batch ends at last_offset, the record
// counts sum to record_count. The error message says which check failed.
Status CheckBatches(int64_t base_offset, int64_t last_offset, int64_t record_count,
                    ByteView batches);

struct WalHeader {
  uint16_t version = kWalFormatVersion;
  std::string agent_id;
  uint64_t sequence = 0;
  int64_t created_at_ms = 0;
  uint64_t object_size = 0;  // total bytes of the object, trailer included
  uint32_t entry_count = 0;
};

// Size of an encoded entry / of a whole object holding these entries.
size_t EncodedEntrySize(const WalEntry& entry);
size_t EncodedObjectSize(std::string_view agent_id, size_t entries_bytes);

// Encodes one object. REQUIRES: agent_id is 1..255 bytes and every entry
// passed ValidateWalEntry.
Bytes EncodeWalObject(std::string_view agent_id, uint64_t sequence, int64_t created_at_ms,
                      const std::vector<const WalEntry*>& entries);

// OK if agent_id can name a WAL directory: 1..255 bytes, none of them '/'
// or NUL, not "." or "..", not starting with ".tmp-" (reserved by
// LocalObjectStore). InvalidArgument otherwise.
Status ValidateAgentId(std::string_view agent_id);

// "wal/{agent_id}/" and "wal/{agent_id}/{sequence:020}.wal".
std::string WalPrefix(std::string_view agent_id);
std::string WalObjectKey(std::string_view agent_id, uint64_t sequence);

struct WalKey {
  std::string agent_id;
  uint64_t sequence = 0;
};
// Parses a key made by WalObjectKey; nullopt if it is not one.
std::optional<WalKey> ParseWalObjectKey(std::string_view key);

}  // namespace sh::wal
