// Kafka record batches (v2, magic 2): the unit of data everywhere in
// StreamHouse. A batch travels as bytes from the producer's request through
// the WAL and segments to a fetch response; only its header is decoded on the
// way. Records are decoded only where something must look inside
// (streamctl, ListOffsets by timestamp, tests).
//
// Batch header layout (big-endian, 61 bytes), per the Kafka protocol docs:
//   0  baseOffset           int64
//   8  batchLength          int32   bytes after this field
//  12  partitionLeaderEpoch int32
//  16  magic                int8    = 2
//  17  crc                  uint32  CRC-32C of bytes [21, end)
//  21  attributes           int16   bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
//  23  lastOffsetDelta      int32
//  27  baseTimestamp        int64
//  35  maxTimestamp         int64
//  43  producerId           int64
//  51  producerEpoch        int16
//  53  baseSequence         int32
//  57  recordCount          int32
//  61  records...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "records/compression.h"

namespace sh::records {

constexpr size_t kBatchHeaderSize = 61;
constexpr size_t kBatchLengthOffset = 8;
constexpr size_t kPartitionLeaderEpochOffset = 12;
constexpr size_t kMagicOffset = 16;
constexpr size_t kCrcOffset = 17;
constexpr size_t kAttributesOffset = 21;
constexpr size_t kMaxTimestampOffset = 35;
// Bytes before batchLength's count starts: baseOffset + batchLength.
constexpr size_t kBatchLogOverhead = 12;

enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

struct Header {
  std::string key;
  std::optional<std::string> value;  // nullopt = null header value
  bool operator==(const Header&) const = default;
};

// One decoded record. Keys and values distinguish null (nullopt) from empty.
struct Record {
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<Header> headers;
  bool operator==(const Record&) const = default;
};

// A borrowed, validated view of one record batch. The bytes must outlive it.
class RecordBatchView {
 public:
  // Parses and validates the batch at the start of data: length fields, magic 2,
  // CRC-32C, record count >= 0, lastOffsetDelta consistent with the count.
  // The batch may be followed by more bytes (see bytes()). Corruption on any
  // mismatch, with a message saying which check failed.
  static Result<RecordBatchView> Parse(ByteView data);

  ByteView bytes() const { return bytes_; }  // the whole batch: header + records
  size_t size() const { return bytes_.size(); }

  int64_t base_offset() const;
  int32_t batch_length() const;
  int32_t partition_leader_epoch() const;
  uint32_t crc() const;
  int16_t attributes() const;
  Compression compression() const { return static_cast<Compression>(attributes() & 0x07); }
  TimestampType timestamp_type() const {
    return (attributes() & 0x08) ? TimestampType::kLogAppendTime : TimestampType::kCreateTime;
  }
  bool is_transactional() const { return (attributes() & 0x10) != 0; }
  bool is_control() const { return (attributes() & 0x20) != 0; }
  int32_t last_offset_delta() const;
  int64_t base_timestamp() const;
  int64_t max_timestamp() const;
  int64_t producer_id() const;
  int16_t producer_epoch() const;
  int32_t base_sequence() const;
  int32_t record_count() const;
  int64_t last_offset() const;  // base_offset() + last_offset_delta()
  // The (possibly compressed) records section after the 61-byte header.
  ByteView records_section() const { return bytes_.subspan(kBatchHeaderSize); }

  // Decompresses (if needed) and decodes every record, with absolute offsets
  // and timestamps. For LogAppendTime batches every record's timestamp is
  // max_timestamp(), as Kafka defines. Corruption if the records section does
  // not decode to exactly record_count() records.
  Result<std::vector<Record>> DecodeRecords() const;

 private:
  explicit RecordBatchView(ByteView bytes) : bytes_(bytes) {}
  ByteView bytes_;
};

// Splits a buffer of consecutive batches (a produce request's records field,
// a segment block, a WAL entry) and validates each. Corruption if any batch
// fails or trailing bytes are not a whole batch.
Result<std::vector<RecordBatchView>> ParseBatches(ByteView data);

// Size of the batch starting at data (from its length field), or 0 if data is
// too short to hold the length field. Does not validate: a negative length
// counts as 0, giving kBatchLogOverhead, which Parse then rejects.
size_t PeekBatchSize(ByteView data);

// In-place header edits on a batch buffer (at least kBatchHeaderSize bytes).
// baseOffset and partitionLeaderEpoch are outside the CRC, so these keep the
// batch valid. SetMaxTimestamp/SetTimestampType are inside it: they recompute the CRC.
void SetBaseOffset(uint8_t* batch, int64_t base_offset);
void SetPartitionLeaderEpoch(uint8_t* batch, int32_t epoch);
// Marks the batch LogAppendTime with the given max timestamp (broker-assigned time).
void SetLogAppendTime(uint8_t* batch, size_t batch_size, int64_t timestamp_ms);

struct BatchOptions {
  Compression compression = Compression::kNone;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  int64_t base_offset = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t partition_leader_epoch = -1;
};

// Builds a v2 batch from records (their offset fields are ignored: record i
// gets offset delta i). Used by streamctl and tests; the broker never rebuilds
// producer batches.
class BatchBuilder {
 public:
  explicit BatchBuilder(BatchOptions options = {}) : options_(options) {}
  void Add(std::optional<std::string> key, std::optional<std::string> value, int64_t timestamp_ms,
           std::vector<Header> headers = {});
  size_t count() const { return records_.size(); }
  // The encoded batch. REQUIRES: count() > 0.
  Result<Bytes> Build() const;

 private:
  BatchOptions options_;
  std::vector<Record> records_;
};

}  // namespace sh::records
