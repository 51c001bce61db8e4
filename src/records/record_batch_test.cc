#include "records/record_batch.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/crc32c.h"

namespace sh::records {
namespace {

using std::nullopt;

Bytes FromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Record MakeRecord(int64_t offset, int64_t ts, std::optional<std::string> key,
                  std::optional<std::string> value, std::vector<Header> headers = {}) {
  Record r;
  r.offset = offset;
  r.timestamp = ts;
  r.key = std::move(key);
  r.value = std::move(value);
  r.headers = std::move(headers);
  return r;
}

// Recomputes the CRC after a test edits CRC-covered bytes on purpose, so the
// check under test is the one after the CRC.
void FixCrc(Bytes& batch) {
  StoreBE32(batch.data() + kCrcOffset,
            crc32c::Value(batch.data() + kAttributesOffset, batch.size() - kAttributesOffset));
}

Bytes Build(const std::vector<Record>& records, BatchOptions options = {}) {
  BatchBuilder b(options);
  for (const Record& r : records) b.Add(r.key, r.value, r.timestamp, r.headers);
  auto built = b.Build();
  SH_CHECK_MSG(built.ok(), built.status().ToString());
  return std::move(built).value();
}

std::vector<Record> MixedRecords() {
  return {
      MakeRecord(0, 1000, "k", "v"),
      MakeRecord(1, 1001, nullopt, "value with null key"),
      MakeRecord(2, 999, "", ""),  // empty, not null; earlier than the first: negative delta
      MakeRecord(3, 1500, "key only", nullopt),
      MakeRecord(4, 1200, nullopt, nullopt, {{"h1", "x"}, {"h-null", nullopt}, {"", ""}}),
  };
}

// ---- Known batches from another Kafka client ----
//
// From github.com/IBM/sarama, record_test.go (recordBatchTestCases): one
// record, key {1,2,3,4}, value {5,6,7}, header {8,9,10} -> {11,12},
// firstTimestamp 1479847795000 ms, timestampDelta 5 ms, in each codec. The
// byte arrays there, written here as hex. Their snappy section is raw
// (unframed) snappy; their lz4 frame carries a content checksum.

const Bytes kSaramaUncompressed = FromHex(
    "0000000000000000000000460000000002547961fd000000000000000001588dcd5938000000000000000000"
    "000000000000000000000000000000000128000a00080102030406050607020608090a040b0c");
const Bytes kSaramaGzip = FromHex(
    "00000000000000000000005f0000000002e74acea5000100000000000001588dcd5938000000000000000000"
    "00000000000000000000000000000000011f8b080000096e8800ff001500eaff28000a000801020304060506"
    "07020608090a040b0c0300adc9586715000000");
const Bytes kSaramaSnappy = FromHex(
    "000000000000000000000048000000000215009f61000200000000000001588dcd5938000000000000000000"
    "0000000000000000000000000000000001155028000a00080102030406050607020608090a040b0c");
const Bytes kSaramaLz4 = FromHex(
    "0000000000000000000000590000000002a94a77c5000300000000000001588dcd5938000000000000000000"
    "000000000000000000000000000000000104224d186470b91500008028000a00080102030406050607020608"
    "090a040b0c000000000c3bef92");
// "empty record" and "control batch": zero records.
const Bytes kSaramaEmpty = FromHex(
    "0000000000000000000000310000000002595fb7dd0000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000");
const Bytes kSaramaControl = FromHex(
    "0000000000000000000000310000000002512e43d90020000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000");

struct SaramaCase {
  const char* name;
  const Bytes* bytes;
  Compression codec;
  uint32_t crc;
};

class SaramaVectorTest : public ::testing::TestWithParam<SaramaCase> {};

TEST_P(SaramaVectorTest, ParsesAndDecodes) {
  const SaramaCase& c = GetParam();
  auto batch = RecordBatchView::Parse(*c.bytes);
  ASSERT_TRUE(batch.ok()) << c.name << ": " << batch.status().ToString();
  EXPECT_EQ(batch->size(), c.bytes->size());
  EXPECT_EQ(batch->crc(), c.crc);
  EXPECT_EQ(batch->compression(), c.codec);
  EXPECT_EQ(batch->timestamp_type(), TimestampType::kCreateTime);
  EXPECT_EQ(batch->base_offset(), 0);
  EXPECT_EQ(batch->record_count(), 1);
  EXPECT_EQ(batch->last_offset_delta(), 0);
  EXPECT_EQ(batch->base_timestamp(), 1479847795000);
  auto records = batch->DecodeRecords();
  ASSERT_TRUE(records.ok()) << c.name << ": " << records.status().ToString();
  ASSERT_EQ(records->size(), 1u);
  Record want = MakeRecord(0, 1479847795005, std::string("\x01\x02\x03\x04"),
                           std::string("\x05\x06\x07"), {{"\x08\x09\x0a", "\x0b\x0c"}});
  EXPECT_EQ((*records)[0], want);
}

INSTANTIATE_TEST_SUITE_P(
    Sarama, SaramaVectorTest,
    ::testing::Values(SaramaCase{"none", &kSaramaUncompressed, Compression::kNone, 0x547961fd},
                      SaramaCase{"gzip", &kSaramaGzip, Compression::kGzip, 0xe74acea5},
                      SaramaCase{"snappy", &kSaramaSnappy, Compression::kSnappy, 0x15009f61},
                      SaramaCase{"lz4", &kSaramaLz4, Compression::kLz4, 0xa94a77c5}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SaramaVectorTest, EmptyAndControlBatches) {
  auto empty = RecordBatchView::Parse(kSaramaEmpty);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->record_count(), 0);
  EXPECT_FALSE(empty->is_control());
  auto records = empty->DecodeRecords();
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());

  auto control = RecordBatchView::Parse(kSaramaControl);
  ASSERT_TRUE(control.ok()) << control.status().ToString();
  EXPECT_TRUE(control->is_control());
  EXPECT_FALSE(control->is_transactional());
  EXPECT_EQ(control->crc(), 0x512e43d9u);
}

TEST(SaramaVectorTest, OurBuilderMatchesSaramaBytes) {
  // Same content and header fields as sarama's uncompressed case (which
  // writes producerId 0, epoch 0, sequence 0, epoch 0, maxTimestamp 0).
  BatchOptions opts;
  opts.producer_id = 0;
  opts.producer_epoch = 0;
  opts.base_sequence = 0;
  opts.partition_leader_epoch = 0;
  BatchBuilder b(opts);
  b.Add(std::string("\x01\x02\x03\x04"), std::string("\x05\x06\x07"), 1479847795000,
        {{"\x08\x09\x0a", "\x0b\x0c"}});
  auto built = b.Build();
  ASSERT_TRUE(built.ok());
  // The one difference: we write maxTimestamp, sarama wrote 0. Fix it up.
  Bytes ours = *built;
  ASSERT_EQ(ours.size(), kSaramaUncompressed.size());
  Bytes want = kSaramaUncompressed;
  StoreBE64(want.data() + kMaxTimestampOffset, 1479847795000);
  // sarama's record has timestampDelta 5; ours 0 (one record, delta from itself).
  want[kBatchHeaderSize + 2] = 0;
  FixCrc(want);
  EXPECT_EQ(ours, want);
}

// ---- Round trips ----

class RoundTripTest : public ::testing::TestWithParam<Compression> {};

TEST_P(RoundTripTest, MixedRecords) {
  BatchOptions opts;
  opts.compression = GetParam();
  opts.base_offset = 500;
  opts.producer_id = 77;
  opts.producer_epoch = 3;
  opts.base_sequence = 10;
  opts.partition_leader_epoch = 9;
  std::vector<Record> want = MixedRecords();
  Bytes bytes = Build(want, opts);
  auto batch = RecordBatchView::Parse(bytes);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->compression(), GetParam());
  EXPECT_EQ(batch->base_offset(), 500);
  EXPECT_EQ(batch->last_offset(), 504);
  EXPECT_EQ(batch->record_count(), 5);
  EXPECT_EQ(batch->producer_id(), 77);
  EXPECT_EQ(batch->producer_epoch(), 3);
  EXPECT_EQ(batch->base_sequence(), 10);
  EXPECT_EQ(batch->partition_leader_epoch(), 9);
  EXPECT_EQ(batch->base_timestamp(), 1000);
  EXPECT_EQ(batch->max_timestamp(), 1500);
  EXPECT_EQ(batch->batch_length(), static_cast<int32_t>(bytes.size() - kBatchLogOverhead));
  auto got = batch->DecodeRecords();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  for (size_t i = 0; i < want.size(); ++i) want[i].offset = 500 + static_cast<int64_t>(i);
  EXPECT_EQ(*got, want);
  // Null and empty stay distinct.
  EXPECT_FALSE((*got)[1].key.has_value());
  ASSERT_TRUE((*got)[2].key.has_value());
  EXPECT_TRUE((*got)[2].key->empty());
  EXPECT_FALSE((*got)[4].headers[1].value.has_value());
}

TEST_P(RoundTripTest, OneRecordAndManyRecords) {
  for (int n : {1, 1000}) {
    std::vector<Record> want;
    for (int i = 0; i < n; ++i) {
      want.push_back(MakeRecord(i, 1700000000000 + i, "key-" + std::to_string(i % 10),
                                "value-" + std::to_string(i)));
    }
    BatchOptions opts;
    opts.compression = GetParam();
    Bytes bytes = Build(want, opts);
    auto batch = RecordBatchView::Parse(bytes);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    EXPECT_EQ(batch->last_offset_delta(), n - 1);
    auto got = batch->DecodeRecords();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want);
  }
}

TEST_P(RoundTripTest, LargeRecords) {
  std::mt19937 rng(5);
  std::string big(3 << 20, '\0');
  for (char& c : big) c = static_cast<char>(rng() % 64);
  std::vector<Record> want = {MakeRecord(0, 5, std::string(300, 'k'), big),
                              MakeRecord(1, 6, nullopt, std::string(200000, 'z'),
                                         {{std::string(1000, 'h'), std::string(70000, 'v')}})};
  BatchOptions opts;
  opts.compression = GetParam();
  Bytes bytes = Build(want, opts);
  auto batch = RecordBatchView::Parse(bytes);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto got = batch->DecodeRecords();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, want);
}

TEST_P(RoundTripTest, ExtremeTimestampsAndOffsets) {
  std::vector<Record> want = {MakeRecord(0, -1, "a", "b"),
                              MakeRecord(1, std::numeric_limits<int64_t>::max(), "c", "d")};
  BatchOptions opts;
  opts.compression = GetParam();
  opts.base_offset = std::numeric_limits<int64_t>::max() - 1;
  Bytes bytes = Build(want, opts);
  auto batch = RecordBatchView::Parse(bytes);
  ASSERT_TRUE(batch.ok());
  auto got = batch->DecodeRecords();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)[0].timestamp, -1);
  EXPECT_EQ((*got)[1].timestamp, std::numeric_limits<int64_t>::max());
  EXPECT_EQ((*got)[1].offset, std::numeric_limits<int64_t>::max());
}

TEST_P(RoundTripTest, RandomMutationsNeverCrash) {
  BatchOptions opts;
  opts.compression = GetParam();
  Bytes good = Build(MixedRecords(), opts);
  std::mt19937 rng(static_cast<uint32_t>(GetParam()) + 100);
  for (int trial = 0; trial < 2000; ++trial) {
    Bytes b = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      size_t pos = kAttributesOffset + rng() % (b.size() - kAttributesOffset);
      b[pos] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) b.resize(kBatchHeaderSize + rng() % (b.size() - kBatchHeaderSize));
    StoreBE32(b.data() + kBatchLengthOffset, static_cast<uint32_t>(b.size() - kBatchLogOverhead));
    FixCrc(b);
    auto batch = RecordBatchView::Parse(b);
    if (!batch.ok()) {
      EXPECT_EQ(batch.status().code(), ErrorCode::kCorruption);
      continue;
    }
    auto records = batch->DecodeRecords();
    if (!records.ok()) {
      EXPECT_TRUE(records.status().code() == ErrorCode::kCorruption ||
                  records.status().code() == ErrorCode::kTooLarge)
          << records.status().ToString();
    } else {
      EXPECT_EQ(records->size(), static_cast<size_t>(batch->record_count()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, RoundTripTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip,
                                           Compression::kSnappy, Compression::kLz4,
                                           Compression::kZstd),
                         [](const auto& info) { return std::string(CompressionName(info.param)); });

TEST(BatchBuilderTest, EmptyBuilderIsInvalidArgument) {
  BatchBuilder b;
  EXPECT_EQ(b.count(), 0u);
  auto r = b.Build();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
}

TEST(BatchBuilderTest, LogAppendTimeOption) {
  BatchOptions opts;
  opts.timestamp_type = TimestampType::kLogAppendTime;
  Bytes bytes = Build({MakeRecord(0, 10, "a", "b"), MakeRecord(1, 30, "c", "d")}, opts);
  auto batch = RecordBatchView::Parse(bytes);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->timestamp_type(), TimestampType::kLogAppendTime);
  auto got = batch->DecodeRecords();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0].timestamp, 30);  // every record reads maxTimestamp
  EXPECT_EQ((*got)[1].timestamp, 30);
}

// ---- Validation ----

TEST(ParseTest, EveryFlippedByteInCrcRangeIsCorruption) {
  Bytes good = Build(MixedRecords());
  for (size_t i = kCrcOffset; i < good.size(); ++i) {
    Bytes b = good;
    b[i] ^= 0x01;
    auto r = RecordBatchView::Parse(b);
    ASSERT_FALSE(r.ok()) << "flip at byte " << i;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(r.status().message().find("crc"), std::string::npos) << r.status().ToString();
  }
}

TEST(ParseTest, BytesOutsideCrcRangeDoNotBreakIt) {
  Bytes good = Build(MixedRecords());
  for (size_t i : {size_t{0}, size_t{7}, kPartitionLeaderEpochOffset, size_t{15}}) {
    Bytes b = good;
    b[i] ^= 0x5a;
    EXPECT_TRUE(RecordBatchView::Parse(b).ok()) << "byte " << i;
  }
}

TEST(ParseTest, EveryTruncationIsCorruption) {
  Bytes good = Build(MixedRecords(), {.compression = Compression::kLz4});
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = RecordBatchView::Parse(ByteView(good.data(), n));
    ASSERT_FALSE(r.ok()) << "length " << n;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  }
}

TEST(ParseTest, WrongMagicIsCorruption) {
  for (uint8_t magic : {0, 1, 3}) {
    Bytes b = Build(MixedRecords());
    b[kMagicOffset] = magic;
    auto r = RecordBatchView::Parse(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(r.status().message().find("magic"), std::string::npos);
  }
}

TEST(ParseTest, BatchLengthSmallerThanHeaderIsCorruption) {
  Bytes b = Build(MixedRecords());
  StoreBE32(b.data() + kBatchLengthOffset, 48);
  EXPECT_FALSE(RecordBatchView::Parse(b).ok());
  StoreBE32(b.data() + kBatchLengthOffset, 0xffffffff);  // -1
  EXPECT_FALSE(RecordBatchView::Parse(b).ok());
}

TEST(ParseTest, TrailingBytesAfterBatchAreNotPartOfIt) {
  Bytes b = Build(MixedRecords());
  size_t size = b.size();
  b.push_back(0xee);
  auto r = RecordBatchView::Parse(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), size);
}

TEST(ParseTest, NegativeRecordCountIsCorruption) {
  Bytes b = Build(MixedRecords());
  StoreBE32(b.data() + 57, 0xffffffff);
  FixCrc(b);
  auto r = RecordBatchView::Parse(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("record count"), std::string::npos);
}

TEST(ParseTest, LastOffsetDeltaBelowCountIsCorruption) {
  Bytes b = Build(MixedRecords());  // 5 records
  StoreBE32(b.data() + 23, 3);      // lastOffsetDelta 3 < 4
  FixCrc(b);
  auto r = RecordBatchView::Parse(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("lastOffsetDelta"), std::string::npos);
}

TEST(ParseTest, ImpossibleRecordCountIsCorruption) {
  Bytes b = Build({MakeRecord(0, 1, "a", "b")});
  StoreBE32(b.data() + 57, 1000000);
  StoreBE32(b.data() + 23, 999999);
  FixCrc(b);
  EXPECT_FALSE(RecordBatchView::Parse(b).ok());
}

TEST(ParseTest, UnknownCodecIsCorruption) {
  Bytes b = Build(MixedRecords());
  b[kAttributesOffset + 1] |= 0x07;
  FixCrc(b);
  auto r = RecordBatchView::Parse(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("codec"), std::string::npos);
}

TEST(DecodeTest, FewerRecordsThanCountIsCorruption) {
  Bytes b = Build(MixedRecords());  // 5 records
  StoreBE32(b.data() + 57, 6);
  StoreBE32(b.data() + 23, 5);
  FixCrc(b);
  auto batch = RecordBatchView::Parse(b);
  ASSERT_TRUE(batch.ok());
  auto r = batch->DecodeRecords();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
}

TEST(DecodeTest, MoreRecordsThanCountIsCorruption) {
  Bytes b = Build(MixedRecords(), {.compression = Compression::kZstd});
  StoreBE32(b.data() + 57, 4);
  FixCrc(b);
  auto batch = RecordBatchView::Parse(b);
  ASSERT_TRUE(batch.ok());
  auto r = batch->DecodeRecords();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("left after"), std::string::npos);
}

TEST(DecodeTest, OffsetDeltaPastLastOffsetDeltaIsCorruption) {
  // Two records claiming lastOffsetDelta 0 would need count <= 1: use a
  // one-record batch whose record says offsetDelta 1.
  Bytes b = Build({MakeRecord(0, 1, "a", "b")});
  // Record layout: length, attributes, timestampDelta, offsetDelta.
  ASSERT_EQ(b[kBatchHeaderSize + 3], 0);
  b[kBatchHeaderSize + 3] = 2;  // zigzag(1)
  FixCrc(b);
  auto batch = RecordBatchView::Parse(b);
  ASSERT_TRUE(batch.ok());
  auto r = batch->DecodeRecords();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offsetDelta"), std::string::npos);
}

TEST(DecodeTest, CorruptCompressedSectionIsCorruption) {
  Bytes b = Build(MixedRecords(), {.compression = Compression::kGzip});
  b[kBatchHeaderSize + 12] ^= 0xff;
  FixCrc(b);
  auto batch = RecordBatchView::Parse(b);
  ASSERT_TRUE(batch.ok());
  auto r = batch->DecodeRecords();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().message().find("gzip"), std::string::npos) << r.status().ToString();
}

// ---- Splitting and editing ----

TEST(ParseBatchesTest, SplitsConcatenation) {
  Bytes all;
  std::vector<size_t> sizes;
  int64_t base = 0;
  for (Compression c : {Compression::kNone, Compression::kSnappy, Compression::kZstd}) {
    Bytes b = Build(MixedRecords(), {.compression = c, .base_offset = base});
    sizes.push_back(b.size());
    all.insert(all.end(), b.begin(), b.end());
    base += 5;
  }
  auto batches = ParseBatches(all);
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  ASSERT_EQ(batches->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*batches)[i].size(), sizes[i]);
    EXPECT_EQ((*batches)[i].base_offset(), static_cast<int64_t>(5 * i));
  }
  EXPECT_EQ((*batches)[2].compression(), Compression::kZstd);
  EXPECT_EQ(PeekBatchSize(all), sizes[0]);

  auto none = ParseBatches({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParseBatchesTest, TrailingGarbageIsCorruption) {
  Bytes two = Build(MixedRecords());
  Bytes one = two;
  two.insert(two.end(), one.begin(), one.end());
  for (Bytes tail : {Bytes{1, 2, 3}, Bytes(one.begin(), one.end() - 1), Bytes(70, 0)}) {
    Bytes b = two;
    b.insert(b.end(), tail.begin(), tail.end());
    auto r = ParseBatches(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    // The message says where the bad batch starts.
    EXPECT_NE(r.status().message().find("byte " + std::to_string(two.size())), std::string::npos)
        << r.status().ToString();
  }
}

TEST(PeekBatchSizeTest, ShortAndNegative) {
  Bytes b = Build(MixedRecords());
  EXPECT_EQ(PeekBatchSize(ByteView(b.data(), 11)), 0u);
  EXPECT_EQ(PeekBatchSize(ByteView(b.data(), 12)), b.size());
  StoreBE32(b.data() + kBatchLengthOffset, 0x80000000);
  EXPECT_EQ(PeekBatchSize(b), kBatchLogOverhead);
}

TEST(EditTest, SetBaseOffsetAndEpochKeepCrcValid) {
  Bytes b = Build(MixedRecords(), {.compression = Compression::kLz4});
  uint32_t crc_before = LoadBE32(b.data() + kCrcOffset);
  SetBaseOffset(b.data(), 123456789012);
  SetPartitionLeaderEpoch(b.data(), 42);
  EXPECT_EQ(LoadBE32(b.data() + kCrcOffset), crc_before);
  auto batch = RecordBatchView::Parse(b);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->base_offset(), 123456789012);
  EXPECT_EQ(batch->partition_leader_epoch(), 42);
  EXPECT_EQ(batch->last_offset(), 123456789016);
  auto records = batch->DecodeRecords();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->back().offset, 123456789016);
}

TEST(EditTest, SetLogAppendTime) {
  Bytes b = Build(MixedRecords(), {.compression = Compression::kSnappy});
  uint32_t crc_before = LoadBE32(b.data() + kCrcOffset);
  SetLogAppendTime(b.data(), b.size(), 1700000000123);
  EXPECT_NE(LoadBE32(b.data() + kCrcOffset), crc_before);
  auto batch = RecordBatchView::Parse(b);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ(batch->compression(), Compression::kSnappy);  // codec bits untouched
  EXPECT_EQ(batch->max_timestamp(), 1700000000123);
  EXPECT_EQ(batch->base_timestamp(), 1000);  // the producer's, kept
  auto records = batch->DecodeRecords();
  ASSERT_TRUE(records.ok());
  for (const Record& r : *records) EXPECT_EQ(r.timestamp, 1700000000123);
}

}  // namespace
}  // namespace sh::records
