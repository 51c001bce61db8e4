// Pins the WAL object layout of docs/formats/wal.md byte by byte, and checks
// that the reader catches every torn prefix and every changed byte.
#include "wal/wal_format.h"

#include <gtest/gtest.h>

#include "base/crc32c.h"
#include "wal/wal_reader.h"
#include "wal/wal_test_util.h"

namespace sh::wal {
namespace {

using testing::Encode;
using testing::MakeBatch;
using testing::MakeEntry;

uint64_t LE(const Bytes& b, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | b.at(pos + i);
  return v;
}

uint32_t Crc(const Bytes& b, size_t begin, size_t end) {
  return crc32c::Value(b.data() + begin, end - begin);
}

TEST(WalFormat, PinsEveryFieldOfAOneEntryObject) {
  WalEntry e = MakeEntry("t", 3, 100, 1, 2);
  const size_t batch = e.batches.size();
  Bytes obj = Encode("a1", 5, {e}, 1234);
  const size_t total = 93 + batch + 16;
  ASSERT_EQ(obj.size(), total);
  // Header: "SHWL", version 1, agent id length 2, sequence 5, created 1234,
  // object size, entry count 1, CRC of [0, 36).
  EXPECT_EQ(std::string(obj.begin(), obj.begin() + 4), "SHWL");
  EXPECT_EQ(LE(obj, 4, 2), 1u);
  EXPECT_EQ(LE(obj, 6, 2), 2u);
  EXPECT_EQ(LE(obj, 8, 8), 5u);
  EXPECT_EQ(LE(obj, 16, 8), 1234u);
  EXPECT_EQ(LE(obj, 24, 8), total);
  EXPECT_EQ(LE(obj, 32, 4), 1u);
  EXPECT_EQ(LE(obj, 36, 4), Crc(obj, 0, 36));
  EXPECT_EQ(std::string(obj.begin() + 40, obj.begin() + 42), "a1");
  EXPECT_EQ(LE(obj, 42, 4), Crc(obj, 40, 42));
  // Entry at 46: length (bytes after it), topic, partition, epoch, offsets,
  // record count, batches length, batches, CRC of [46, crc).
  EXPECT_EQ(LE(obj, 46, 4), 1 + batch + 42);
  EXPECT_EQ(LE(obj, 50, 2), 1u);
  EXPECT_EQ(obj[52], 't');
  EXPECT_EQ(LE(obj, 53, 4), 3u);
  EXPECT_EQ(LE(obj, 57, 8), 7u);
  EXPECT_EQ(LE(obj, 65, 8), 100u);
  EXPECT_EQ(LE(obj, 73, 8), 101u);
  EXPECT_EQ(LE(obj, 81, 4), 2u);
  EXPECT_EQ(LE(obj, 85, 4), batch);
  EXPECT_TRUE(std::equal(e.batches.begin(), e.batches.end(), obj.begin() + 89));
  const size_t crc_at = 89 + batch;
  EXPECT_EQ(LE(obj, crc_at, 4), Crc(obj, 46, crc_at));
  // Trailer: entry count, CRC of the entry CRCs, CRC of the trailer's first 8, "SHWE".
  const size_t t = crc_at + 4;
  EXPECT_EQ(LE(obj, t, 4), 1u);
  EXPECT_EQ(LE(obj, t + 4, 4), Crc(obj, crc_at, crc_at + 4));
  EXPECT_EQ(LE(obj, t + 8, 4), Crc(obj, t, t + 8));
  EXPECT_EQ(std::string(obj.begin() + t + 12, obj.end()), "SHWE");
}

TEST(WalFormat, PinsTheHeaderBytes) {
  Bytes obj = Encode("a1", 5, {}, 1234);
  ASSERT_EQ(obj.size(), 62u);  // header 46 + trailer 16, no entries
  const Bytes want = {0x53, 0x48, 0x57, 0x4c, 0x01, 0x00, 0x02, 0x00,  // magic, version, id len
                      0x05, 0,    0,    0,    0,    0,    0,    0,     // sequence
                      0xd2, 0x04, 0,    0,    0,    0,    0,    0,     // created_at_ms 1234
                      62,   0,    0,    0,    0,    0,    0,    0,     // object size
                      0,    0,    0,    0};                            // entry count
  EXPECT_EQ(Bytes(obj.begin(), obj.begin() + 36), want);
  EXPECT_EQ(LE(obj, 58, 4), 0x45574853u);  // "SHWE"
  EXPECT_EQ(LE(obj, 50, 4), 0u);           // chain CRC of no entries
}

TEST(WalFormat, KeysCarryAgentAndTwentyDigitSequence) {
  EXPECT_EQ(WalObjectKey("agent-1", 42), "wal/agent-1/00000000000000000042.wal");
  auto k = ParseWalObjectKey("wal/agent-1/00000000000000000042.wal");
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->agent_id, "agent-1");
  EXPECT_EQ(k->sequence, 42u);
  EXPECT_FALSE(ParseWalObjectKey("wal/agent-1/0000000000000000042.wal").has_value());
  EXPECT_FALSE(ParseWalObjectKey("wal/a/b/00000000000000000042.wal").has_value());
  EXPECT_FALSE(ParseWalObjectKey("wal//00000000000000000042.wal").has_value());
  EXPECT_FALSE(ParseWalObjectKey("wal/a/0000000000000000004x.wal").has_value());
  EXPECT_FALSE(ParseWalObjectKey("wal/a/99999999999999999999.wal").has_value());
  EXPECT_FALSE(ParseWalObjectKey("seg/a/00000000000000000042.wal").has_value());
}

TEST(WalFormat, AgentIdsMustNameOneDirectory) {
  EXPECT_TRUE(ValidateAgentId("agent-1").ok());
  EXPECT_TRUE(ValidateAgentId(std::string(255, 'a')).ok());
  for (std::string bad :
       {std::string(), std::string(256, 'a'), std::string("a/b"), std::string("."),
        std::string(".."), std::string(".tmp-x"), std::string("a\0b", 3)}) {
    EXPECT_EQ(ValidateAgentId(bad).code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(WalFormat, MakeWalEntryReadsOffsetsFromBatchHeaders) {
  WalEntry e = MakeEntry("orders", 1, 50, 3, 4);
  EXPECT_EQ(e.base_offset, 50);
  EXPECT_EQ(e.last_offset, 61);
  EXPECT_EQ(e.record_count, 12);
  Bytes cut = e.batches;
  cut.pop_back();
  EXPECT_EQ(MakeWalEntry("orders", 1, 0, cut).status().code(), ErrorCode::kCorruption);
  EXPECT_FALSE(MakeWalEntry("orders", 1, 0, {}).ok());
  EXPECT_FALSE(MakeWalEntry("", 1, 0, MakeBatch(0, 1)).ok());
  // Batches must not go backwards.
  Bytes back = MakeBatch(10, 2);
  Bytes earlier = MakeBatch(5, 2);
  back.insert(back.end(), earlier.begin(), earlier.end());
  EXPECT_EQ(MakeWalEntry("orders", 1, 0, back).status().code(), ErrorCode::kCorruption);
}

TEST(WalFormat, ValidateRejectsEntryFieldsThatDisagreeWithBatches) {
  WalEntry e = MakeEntry("t", 0, 10, 2, 3);
  EXPECT_TRUE(ValidateWalEntry(e.topic, 0, 10, 15, 6, e.batches).ok());
  EXPECT_FALSE(ValidateWalEntry(e.topic, 0, 11, 15, 6, e.batches).ok());
  EXPECT_FALSE(ValidateWalEntry(e.topic, 0, 10, 16, 6, e.batches).ok());
  EXPECT_FALSE(ValidateWalEntry(e.topic, 0, 10, 15, 5, e.batches).ok());
  EXPECT_FALSE(ValidateWalEntry(e.topic, -1, 10, 15, 6, e.batches).ok());
}

TEST(WalFormat, RoundTripsManyEntriesAcrossPartitions) {
  std::vector<WalEntry> entries;
  for (int i = 0; i < 60; ++i) {
    entries.push_back(
        MakeEntry("topic-" + std::to_string(i % 3), i % 5, 1000 + i * 10, 1 + i % 3, 1 + i % 3));
  }
  Bytes obj = Encode("agent-7", 99, entries, 555);
  std::string key = WalObjectKey("agent-7", 99);
  WalDamage damage = WalDamage::kCorrupt;
  Result<WalObject> parsed = ParseWalObject(key, obj, &damage);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(damage, WalDamage::kNone);
  EXPECT_EQ(parsed->header.agent_id, "agent-7");
  EXPECT_EQ(parsed->header.sequence, 99u);
  EXPECT_EQ(parsed->header.created_at_ms, 555);
  EXPECT_EQ(parsed->header.object_size, obj.size());
  ASSERT_EQ(parsed->entries.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const WalEntryView& v = parsed->entries[i];
    EXPECT_EQ(v.topic, entries[i].topic);
    EXPECT_EQ(v.partition, entries[i].partition);
    EXPECT_EQ(v.leader_epoch, entries[i].leader_epoch);
    EXPECT_EQ(v.base_offset, entries[i].base_offset);
    EXPECT_EQ(v.last_offset, entries[i].last_offset);
    EXPECT_EQ(v.record_count, entries[i].record_count);
    EXPECT_EQ(Bytes(v.batches.begin(), v.batches.end()), entries[i].batches);
  }
}

TEST(WalFormat, HeaderMustMatchTheKey) {
  Bytes obj = Encode("a1", 5, {MakeEntry("t", 0, 0)});
  EXPECT_TRUE(ParseWalObject(WalObjectKey("a1", 5), obj).ok());
  EXPECT_TRUE(ParseWalObject("not-a-wal-key", obj).ok());
  Status wrong_seq = ParseWalObject(WalObjectKey("a1", 6), obj).status();
  EXPECT_EQ(wrong_seq.code(), ErrorCode::kCorruption);
  EXPECT_NE(wrong_seq.message().find("sequence"), std::string::npos);
  EXPECT_EQ(ParseWalObject(WalObjectKey("a2", 5), obj).status().code(), ErrorCode::kCorruption);
}

// The region a byte at pos belongs to, as the reader names it.
std::string RegionOf(size_t pos, const WalObject& layout, size_t size) {
  if (pos < 40) return "header";
  if (pos < layout.entries.front().position) return "header: agent id";
  if (pos >= size - kWalTrailerSize) return "trailer";
  for (size_t i = layout.entries.size(); i-- > 0;) {
    if (pos >= layout.entries[i].position) return "entry " + std::to_string(i);
  }
  return "?";
}

TEST(WalFormat, EveryChangedByteIsCorruptionNamingItsRegion) {
  Bytes obj = Encode("agent", 3, {MakeEntry("t", 0, 0, 2, 2), MakeEntry("u", 1, 40, 1, 3)});
  const std::string key = WalObjectKey("agent", 3);
  Result<WalObject> layout = ParseWalObject(key, obj);
  ASSERT_TRUE(layout.ok());
  for (uint8_t mask : {0x01, 0x80, 0xff}) {
    for (size_t pos = 0; pos < obj.size(); ++pos) {
      Bytes bad = obj;
      bad[pos] ^= mask;
      WalDamage damage = WalDamage::kNone;
      Result<WalObject> r = ParseWalObject(key, bad, &damage);
      ASSERT_FALSE(r.ok()) << "byte " << pos << " mask " << int(mask);
      EXPECT_EQ(r.status().code(), ErrorCode::kCorruption) << pos;
      EXPECT_EQ(damage, WalDamage::kCorrupt) << pos << ": " << r.status().ToString();
      std::string want = "corrupt: " + RegionOf(pos, *layout, obj.size()) + ":";
      EXPECT_NE(r.status().message().find(want), std::string::npos)
          << "byte " << pos << ": " << r.status().ToString() << " (want " << want << ")";
      EXPECT_NE(r.status().message().find(key), std::string::npos);
    }
  }
}

TEST(WalFormat, EveryPrefixIsTornNamingWhereItStops) {
  Bytes obj = Encode("agent", 3, {MakeEntry("t", 0, 0, 2, 2), MakeEntry("u", 1, 40, 1, 3)});
  const std::string key = WalObjectKey("agent", 3);
  Result<WalObject> layout = ParseWalObject(key, obj);
  ASSERT_TRUE(layout.ok());
  for (size_t len = 0; len < obj.size(); ++len) {
    WalDamage damage = WalDamage::kNone;
    Result<WalObject> r = ParseWalObject(key, ByteView(obj).first(len), &damage);
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    EXPECT_EQ(damage, WalDamage::kTorn) << len << ": " << r.status().ToString();
    std::string where = "inside the header";
    if (len >= obj.size() - kWalTrailerSize) {
      where = "inside the trailer";
    } else if (len >= layout->entries[1].position) {
      where = "inside entry 1";
    } else if (len >= layout->entries[0].position) {
      where = "inside entry 0";
    }
    EXPECT_NE(r.status().message().find(where), std::string::npos)
        << len << ": " << r.status().ToString();
  }
}

TEST(WalFormat, ExtraBytesOrAnotherVersionAreNotTorn) {
  Bytes obj = Encode("a", 1, {MakeEntry("t", 0, 0)});
  Bytes longer = obj;
  longer.push_back(0);
  WalDamage damage = WalDamage::kNone;
  EXPECT_EQ(ParseWalObject("k", longer, &damage).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(damage, WalDamage::kCorrupt);
  Bytes v2 = obj;
  v2[4] = 2;
  uint32_t crc = crc32c::Value(v2.data(), 36);
  for (int i = 0; i < 4; ++i) v2[36 + i] = static_cast<uint8_t>(crc >> (8 * i));
  EXPECT_EQ(ParseWalObject("k", v2, &damage).status().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace sh::wal
