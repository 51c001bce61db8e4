#include "records/record_batch.h"

#include <algorithm>
#include <limits>

#include "base/crc32c.h"

namespace sh::records {
namespace {

constexpr uint8_t kMagic = 2;
constexpr size_t kLastOffsetDeltaOffset = 23;
constexpr size_t kBaseTimestampOffset = 27;
constexpr size_t kProducerIdOffset = 43;
constexpr size_t kProducerEpochOffset = 51;
constexpr size_t kBaseSequenceOffset = 53;
constexpr size_t kRecordCountOffset = 57;
constexpr int16_t kCodecMask = 0x07;
constexpr int16_t kTimestampTypeBit = 0x08;
// The smallest encoded record: one byte each for length, attributes,
// timestampDelta, offsetDelta, key length, value length and header count.
constexpr size_t kMinRecordSize = 7;
// Bound on a compressed batch's decompressed records section.
constexpr size_t kMaxDecompressedSize = 256u << 20;

int16_t LoadBE16(const uint8_t* p) { return static_cast<int16_t>((p[0] << 8) | p[1]); }
int32_t LoadI32(const uint8_t* p) { return static_cast<int32_t>(LoadBE32(p)); }
int64_t LoadI64(const uint8_t* p) { return static_cast<int64_t>(LoadBE64(p)); }

// Two's-complement addition without signed-overflow UB: garbage headers must
// not trip UBSan, and Kafka's own arithmetic wraps the same way.
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

uint32_t BatchCrc(const uint8_t* batch, size_t size) {
  return crc32c::Value(batch + kAttributesOffset, size - kAttributesOffset);
}

std::string Str(int64_t v) { return std::to_string(v); }

// Reads a Kafka varint-length byte string: -1 is null, below that corrupt.
bool ReadNullableString(ByteReader& r, std::optional<std::string>& out) {
  int64_t len = r.ReadVarint();
  if (!r.ok() || len < -1) return false;
  if (len == -1) {
    out.reset();
    return true;
  }
  if (static_cast<uint64_t>(len) > r.remaining()) return false;
  out = std::string(AsString(r.ReadBytes(static_cast<size_t>(len))));
  return true;
}

bool ReadHeaders(ByteReader& r, std::vector<Header>& headers) {
  int64_t count = r.ReadVarint();
  // Each header takes at least two bytes (its two lengths).
  if (!r.ok() || count < 0 || static_cast<uint64_t>(count) > r.remaining() / 2) return false;
  headers.resize(static_cast<size_t>(count));
  for (Header& h : headers) {
    std::optional<std::string> key;
    // Kafka rejects null header keys.
    if (!ReadNullableString(r, key) || !key.has_value()) return false;
    h.key = std::move(*key);
    if (!ReadNullableString(r, h.value)) return false;
  }
  return true;
}

// Decodes the body of one record (after its length prefix) into rec, with
// deltas still relative. False if the body is malformed or has bytes left.
bool ReadRecordBody(ByteView body, int64_t& ts_delta, int64_t& offset_delta, Record& rec) {
  ByteReader r(body);
  r.ReadU8();  // attributes: unused in magic 2
  ts_delta = r.ReadVarint();
  offset_delta = r.ReadVarint();
  if (!r.ok() || offset_delta < 0 || offset_delta > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  if (!ReadNullableString(r, rec.key) || !ReadNullableString(r, rec.value)) return false;
  if (!ReadHeaders(r, rec.headers)) return false;
  return r.ok() && r.empty();
}

void EncodeNullable(ByteWriter& w, const std::optional<std::string>& s) {
  if (!s.has_value()) {
    w.PutVarint(-1);
    return;
  }
  w.PutVarint(static_cast<int64_t>(s->size()));
  w.PutBytes(*s);
}

void EncodeRecord(ByteWriter& w, const Record& rec, int64_t base_timestamp, int32_t offset_delta) {
  ByteWriter body;
  body.PutU8(0);  // attributes
  body.PutVarint(WrapSub(rec.timestamp, base_timestamp));
  body.PutVarint(offset_delta);
  EncodeNullable(body, rec.key);
  EncodeNullable(body, rec.value);
  body.PutVarint(static_cast<int64_t>(rec.headers.size()));
  for (const Header& h : rec.headers) {
    body.PutVarint(static_cast<int64_t>(h.key.size()));
    body.PutBytes(h.key);
    EncodeNullable(body, h.value);
  }
  w.PutVarint(static_cast<int64_t>(body.size()));
  w.PutBytes(body.buffer());
}

Status CheckHeaderFields(ByteView batch) {
  const uint8_t* p = batch.data();
  if (p[kMagicOffset] != kMagic) {
    return Status::Corruption("record batch: unsupported magic " + Str(p[kMagicOffset]) +
                              " (only magic 2 is supported)");
  }
  uint32_t stored = LoadBE32(p + kCrcOffset);
  uint32_t computed = BatchCrc(p, batch.size());
  if (stored != computed) {
    return Status::Corruption("record batch: crc mismatch (stored " + Str(stored) + ", computed " +
                              Str(computed) + ")");
  }
  int16_t codec = LoadBE16(p + kAttributesOffset) & kCodecMask;
  if (codec > static_cast<int16_t>(Compression::kZstd)) {
    return Status::Corruption("record batch: unknown compression codec " + Str(codec));
  }
  int32_t count = LoadI32(p + kRecordCountOffset);
  int32_t last_delta = LoadI32(p + kLastOffsetDeltaOffset);
  if (count < 0) return Status::Corruption("record batch: negative record count " + Str(count));
  // Deltas are distinct and within [0, lastOffsetDelta]; compaction may remove
  // records, so lastOffsetDelta may exceed count - 1 but never fall below it.
  if (last_delta < 0 || (count > 0 && last_delta < count - 1)) {
    return Status::Corruption("record batch: lastOffsetDelta " + Str(last_delta) +
                              " inconsistent with record count " + Str(count));
  }
  size_t section = batch.size() - kBatchHeaderSize;
  if (codec == 0 && static_cast<uint64_t>(count) > section / kMinRecordSize) {
    return Status::Corruption("record batch: record count " + Str(count) + " cannot fit in " +
                              Str(static_cast<int64_t>(section)) + " bytes of records");
  }
  return Status::OK();
}

}  // namespace

Result<RecordBatchView> RecordBatchView::Parse(ByteView data) {
  if (data.size() < kBatchHeaderSize) {
    return Status::Corruption("record batch truncated: " + Str(static_cast<int64_t>(data.size())) +
                              " bytes, header needs " + Str(kBatchHeaderSize));
  }
  int32_t length = LoadI32(data.data() + kBatchLengthOffset);
  if (length < static_cast<int32_t>(kBatchHeaderSize - kBatchLogOverhead)) {
    return Status::Corruption("record batch: batchLength " + Str(length) +
                              " is smaller than the header");
  }
  size_t total = kBatchLogOverhead + static_cast<size_t>(length);
  if (data.size() < total) {
    return Status::Corruption("record batch truncated: batchLength says " + Str(total) +
                              " bytes, only " + Str(static_cast<int64_t>(data.size())) +
                              " present");
  }
  ByteView batch = data.first(total);
  SH_RETURN_IF_ERROR(CheckHeaderFields(batch));
  return RecordBatchView(batch);
}

int64_t RecordBatchView::base_offset() const { return LoadI64(bytes_.data()); }
int32_t RecordBatchView::batch_length() const {
  return LoadI32(bytes_.data() + kBatchLengthOffset);
}
int32_t RecordBatchView::partition_leader_epoch() const {
  return LoadI32(bytes_.data() + kPartitionLeaderEpochOffset);
}
uint32_t RecordBatchView::crc() const { return LoadBE32(bytes_.data() + kCrcOffset); }
int16_t RecordBatchView::attributes() const { return LoadBE16(bytes_.data() + kAttributesOffset); }
int32_t RecordBatchView::last_offset_delta() const {
  return LoadI32(bytes_.data() + kLastOffsetDeltaOffset);
}
int64_t RecordBatchView::base_timestamp() const {
  return LoadI64(bytes_.data() + kBaseTimestampOffset);
}
int64_t RecordBatchView::max_timestamp() const {
  return LoadI64(bytes_.data() + kMaxTimestampOffset);
}
int64_t RecordBatchView::producer_id() const { return LoadI64(bytes_.data() + kProducerIdOffset); }
int16_t RecordBatchView::producer_epoch() const {
  return LoadBE16(bytes_.data() + kProducerEpochOffset);
}
int32_t RecordBatchView::base_sequence() const {
  return LoadI32(bytes_.data() + kBaseSequenceOffset);
}
int32_t RecordBatchView::record_count() const {
  return LoadI32(bytes_.data() + kRecordCountOffset);
}
int64_t RecordBatchView::last_offset() const { return WrapAdd(base_offset(), last_offset_delta()); }

Result<std::vector<Record>> RecordBatchView::DecodeRecords() const {
  const std::string where = "record batch at offset " + Str(base_offset());
  ByteView section = records_section();
  Bytes decompressed;
  if (compression() != Compression::kNone) {
    auto r = Decompress(compression(), section, kMaxDecompressedSize);
    if (!r.ok()) return r.status().WithContext(where);
    decompressed = std::move(r).value();
    section = decompressed;
  }
  const int32_t count = record_count();
  const bool log_append = timestamp_type() == TimestampType::kLogAppendTime;
  std::vector<Record> records;
  records.reserve(std::min<size_t>(static_cast<size_t>(count), section.size() / kMinRecordSize));
  ByteReader r(section);
  int64_t prev_delta = -1;
  for (int32_t i = 0; i < count; ++i) {
    int64_t length = r.ReadVarint();
    if (!r.ok() || length < 0 || static_cast<uint64_t>(length) > r.remaining()) {
      return Status::Corruption(where + ": record " + Str(i) + " has a bad length");
    }
    Record rec;
    int64_t ts_delta = 0;
    int64_t offset_delta = 0;
    if (!ReadRecordBody(r.ReadBytes(static_cast<size_t>(length)), ts_delta, offset_delta, rec)) {
      return Status::Corruption(where + ": record " + Str(i) + " is malformed");
    }
    if (offset_delta <= prev_delta || offset_delta > last_offset_delta()) {
      return Status::Corruption(where + ": record " + Str(i) + " has offsetDelta " +
                                Str(offset_delta) + " out of order or past lastOffsetDelta " +
                                Str(last_offset_delta()));
    }
    prev_delta = offset_delta;
    rec.offset = WrapAdd(base_offset(), offset_delta);
    rec.timestamp = log_append ? max_timestamp() : WrapAdd(base_timestamp(), ts_delta);
    records.push_back(std::move(rec));
  }
  if (!r.empty()) {
    return Status::Corruption(where + ": " + Str(static_cast<int64_t>(r.remaining())) +
                              " bytes left after " + Str(count) + " records");
  }
  return records;
}

Result<std::vector<RecordBatchView>> ParseBatches(ByteView data) {
  std::vector<RecordBatchView> batches;
  size_t pos = 0;
  while (pos < data.size()) {
    auto batch = RecordBatchView::Parse(data.subspan(pos));
    if (!batch.ok()) {
      return batch.status().WithContext("batch at byte " + Str(static_cast<int64_t>(pos)));
    }
    pos += batch->size();
    batches.push_back(*batch);
  }
  return batches;
}

size_t PeekBatchSize(ByteView data) {
  if (data.size() < kBatchLogOverhead) return 0;
  int32_t length = LoadI32(data.data() + kBatchLengthOffset);
  return kBatchLogOverhead + static_cast<size_t>(std::max<int32_t>(length, 0));
}

void SetBaseOffset(uint8_t* batch, int64_t base_offset) {
  StoreBE64(batch, static_cast<uint64_t>(base_offset));
}

void SetPartitionLeaderEpoch(uint8_t* batch, int32_t epoch) {
  StoreBE32(batch + kPartitionLeaderEpochOffset, static_cast<uint32_t>(epoch));
}

void SetLogAppendTime(uint8_t* batch, size_t batch_size, int64_t timestamp_ms) {
  SH_CHECK(batch_size >= kBatchHeaderSize);
  batch[kAttributesOffset + 1] |= kTimestampTypeBit;  // low byte of the big-endian int16
  StoreBE64(batch + kMaxTimestampOffset, static_cast<uint64_t>(timestamp_ms));
  StoreBE32(batch + kCrcOffset, BatchCrc(batch, batch_size));
}

void BatchBuilder::Add(std::optional<std::string> key, std::optional<std::string> value,
                       int64_t timestamp_ms, std::vector<Header> headers) {
  Record rec;
  rec.key = std::move(key);
  rec.value = std::move(value);
  rec.timestamp = timestamp_ms;
  rec.headers = std::move(headers);
  records_.push_back(std::move(rec));
}

Result<Bytes> BatchBuilder::Build() const {
  if (records_.empty()) return Status::InvalidArgument("record batch: no records to build");
  if (records_.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::TooLarge("record batch: too many records");
  }
  const int64_t base_ts = records_.front().timestamp;
  int64_t max_ts = base_ts;
  ByteWriter encoded;
  for (size_t i = 0; i < records_.size(); ++i) {
    max_ts = std::max(max_ts, records_[i].timestamp);
    EncodeRecord(encoded, records_[i], base_ts, static_cast<int32_t>(i));
  }
  SH_ASSIGN_OR_RETURN(Bytes section, Compress(options_.compression, encoded.buffer()));
  size_t total = kBatchHeaderSize + section.size();
  if (total - kBatchLogOverhead > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::TooLarge("record batch: " + Str(static_cast<int64_t>(total)) +
                            " bytes exceeds the int32 batchLength");
  }
  int16_t attributes = static_cast<int16_t>(options_.compression);
  if (options_.timestamp_type == TimestampType::kLogAppendTime) attributes |= kTimestampTypeBit;
  ByteWriter w(total);
  w.PutBE64(static_cast<uint64_t>(options_.base_offset));
  w.PutBE32(static_cast<uint32_t>(total - kBatchLogOverhead));
  w.PutBE32(static_cast<uint32_t>(options_.partition_leader_epoch));
  w.PutU8(kMagic);
  w.PutBE32(0);  // crc, patched below
  w.PutBE16(static_cast<uint16_t>(attributes));
  w.PutBE32(static_cast<uint32_t>(records_.size() - 1));  // lastOffsetDelta
  w.PutBE64(static_cast<uint64_t>(base_ts));
  w.PutBE64(static_cast<uint64_t>(max_ts));
  w.PutBE64(static_cast<uint64_t>(options_.producer_id));
  w.PutBE16(static_cast<uint16_t>(options_.producer_epoch));
  w.PutBE32(static_cast<uint32_t>(options_.base_sequence));
  w.PutBE32(static_cast<uint32_t>(records_.size()));
  w.PutBytes(section);
  w.PatchBE32(kCrcOffset, BatchCrc(w.buffer().data(), w.size()));
  return w.Take();
}

}  // namespace sh::records
