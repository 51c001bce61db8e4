// PartitionWriter and PartitionReader together, on the in-memory object store
// (through the fault injector) and SQLite metadata.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "metadata/counting_metadata_store.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/faulty_object_store.h"
#include "objstore/memory_object_store.h"
#include "records/record_batch.h"
#include "storage/partition_reader.h"
#include "storage/partition_writer.h"
#include "storage/segment_index.h"
#include "storage/segment_reader.h"

namespace sh::storage {
namespace {

using records::BatchBuilder;
using records::Record;

// A batch of n records whose values say which offset they should land at,
// given the offset of the first.
Bytes MakeBatch(int64_t first, int n, size_t value_size = 20, int64_t ts = 1000) {
  BatchBuilder b;
  for (int i = 0; i < n; ++i) {
    std::string value = "v" + std::to_string(first + i);
    value.resize(std::max(value.size(), value_size), '.');
    std::optional<std::string> key;
    if (i % 3 == 1) key = "";  // empty, not null
    if (i % 3 == 2) key = "k" + std::to_string(i);
    b.Add(key, value, ts + first + i, {{"h", std::to_string(i)}, {"n", std::nullopt}});
  }
  return b.Build().value();
}

std::vector<Record> Decode(ByteView batches) {
  std::vector<Record> out;
  auto views = records::ParseBatches(batches);
  EXPECT_TRUE(views.ok()) << views.status().ToString();
  for (const auto& v : *views) {
    auto recs = v.DecodeRecords();
    EXPECT_TRUE(recs.ok()) << recs.status().ToString();
    out.insert(out.end(), recs->begin(), recs->end());
  }
  return out;
}

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    sqlite_ = std::move(db).value();
    counting_ = std::make_unique<CountingMetadataStore>(*sqlite_);
    ASSERT_TRUE(sqlite_->CreateTopic({"t", 1, "{}", 0}).ok());
    index_ = std::make_unique<SegmentIndex>("t", 0, *counting_, clock_);
  }

  std::unique_ptr<PartitionWriter> OpenWriter(PartitionWriterOptions options = {},
                                              int64_t epoch = 0) {
    auto w = PartitionWriter::Open("t", 0, faulty_, *counting_, index_.get(), clock_, options,
                                   epoch);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return std::move(w).value();
  }

  // Reads the whole sealed log from offset in steps of max_bytes.
  std::vector<Record> ReadAll(int64_t offset, size_t max_bytes = 1 << 20) {
    PartitionReader reader("t", 0, faulty_, *index_, cache_);
    std::vector<Record> out;
    while (true) {
      auto r = reader.Read(offset, max_bytes);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), ErrorCode::kNotFound) << r.status().ToString();
        break;
      }
      if (r->batches.empty()) break;
      for (Record& rec : Decode(r->batches)) {
        if (rec.offset >= offset) out.push_back(rec);
      }
      offset = r->next_offset;
    }
    return out;
  }

  int64_t MetadataHw() { return sqlite_->GetPartition("t", 0)->high_watermark; }

  ManualClock clock_;
  MemoryObjectStore memory_;
  FaultyObjectStore faulty_{memory_};
  std::unique_ptr<SqliteMetadataStore> sqlite_;
  std::unique_ptr<CountingMetadataStore> counting_;
  std::unique_ptr<SegmentIndex> index_;
  SegmentCache cache_{64 << 20};
};

TEST_F(PartitionTest, AssignsOffsetsAndAdvancesTheHighWatermarkOnlyWhenSealed) {
  auto w = OpenWriter();
  Bytes two = MakeBatch(0, 3);
  Bytes batches = MakeBatch(0, 2);
  batches.insert(batches.end(), two.begin(), two.end());
  auto a = w->Append(batches);  // 2 + 3 records
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->base_offset, 0);
  EXPECT_EQ(a->last_offset, 4);
  EXPECT_EQ(w->next_offset(), 5);
  EXPECT_EQ(w->high_watermark(), 0);
  EXPECT_EQ(MetadataHw(), 0);
  EXPECT_EQ(memory_.object_count(), 0u);
  // The tail serves reads before the seal; a read inside the second batch returns it whole.
  auto tail = Decode(w->ReadTail(3, 1 << 20));
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].offset, 2);

  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(w->high_watermark(), 5);
  EXPECT_EQ(MetadataHw(), 5);
  auto segments = sqlite_->ListSegments("t", 0, 0);
  ASSERT_EQ(segments->size(), 1u);
  EXPECT_EQ((*segments)[0].object_key, "topics/t/0/seg_00000000000000000000.bin");
  EXPECT_EQ((*segments)[0].end_offset, 5);
  EXPECT_EQ((*segments)[0].record_count, 5);
  EXPECT_TRUE(memory_.Size((*segments)[0].object_key).ok());

  auto next = w->Append(MakeBatch(5, 1));
  EXPECT_EQ(next->base_offset, 5);
}

TEST_F(PartitionTest, RollsAtSegmentBytesAndReadsBackEverything) {
  PartitionWriterOptions options;
  options.segment_bytes = 64 << 10;
  options.block_bytes = 8 << 10;
  auto w = OpenWriter(options);
  int64_t offset = 0;
  for (int i = 0; i < 200; ++i) {
    int n = 1 + i % 5;
    ASSERT_TRUE(w->Append(MakeBatch(offset, n, 200)).ok());
    offset += n;
  }
  ASSERT_TRUE(w->Flush().ok());
  auto segments = sqlite_->ListSegments("t", 0, 0);
  EXPECT_GE(segments->size(), 3u);
  for (size_t i = 1; i < segments->size(); ++i) {
    EXPECT_EQ((*segments)[i].base_offset, (*segments)[i - 1].end_offset);  // no gap
  }
  EXPECT_EQ(segments->back().end_offset, offset);

  auto all = ReadAll(0, 10'000);  // small reads cross blocks and segments
  ASSERT_EQ(all.size(), static_cast<size_t>(offset));
  for (int64_t i = 0; i < offset; ++i) {
    EXPECT_EQ(all[i].offset, i);
    EXPECT_EQ(all[i].value->substr(0, 1 + std::to_string(i).size()), "v" + std::to_string(i));
    EXPECT_EQ(all[i].timestamp, 1000 + i);
  }
  // Null vs empty keys and null header values survive.
  // (offsets 3..5 are records 0..2 of the third batch)
  EXPECT_FALSE(all[3].key.has_value());
  EXPECT_EQ(all[4].key, "");
  EXPECT_EQ(all[5].key, "k2");
  EXPECT_EQ(all[5].headers[0].value, "2");
  EXPECT_EQ(all[5].headers[1].value, std::nullopt);

  // A read starting inside a batch returns that batch whole.
  PartitionReader reader("t", 0, faulty_, *index_, cache_);
  auto mid = reader.Read(offset - 2, 1);
  ASSERT_TRUE(mid.ok());
  auto recs = Decode(mid->batches);
  EXPECT_LE(recs.front().offset, offset - 2);
  EXPECT_EQ(recs.back().offset, offset - 1);
  EXPECT_EQ(mid->next_offset, offset);
  EXPECT_EQ(reader.Read(offset, 1 << 20).status().code(), ErrorCode::kNotFound);
}

TEST_F(PartitionTest, RollsAfterSegmentMs) {
  PartitionWriterOptions options;
  options.segment_ms = 60'000;
  auto w = OpenWriter(options);
  ASSERT_TRUE(w->Append(MakeBatch(0, 2)).ok());
  ASSERT_TRUE(w->MaybeRoll().ok());
  EXPECT_EQ(w->high_watermark(), 0);
  clock_.AdvanceMs(60'000);
  ASSERT_TRUE(w->MaybeRoll().ok());
  EXPECT_EQ(w->high_watermark(), 2);
}

TEST_F(PartitionTest, SteadyStateReadsMakeNoMetadataQueryAndNoObjectRequest) {
  auto w = OpenWriter();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(w->Append(MakeBatch(i * 10, 10)).ok());
    ASSERT_TRUE(w->Flush().ok());  // ten segments
  }
  ASSERT_EQ(ReadAll(0).size(), 100u);  // warms index and cache
  uint64_t metadata_before = static_cast<uint64_t>(counting_->total());
  uint64_t objects_before = faulty_.total_calls();
  for (int round = 0; round < 20; ++round) {
    for (int64_t o = 0; o < 100; o += 7) ASSERT_FALSE(ReadAll(o).empty());
  }
  EXPECT_EQ(static_cast<uint64_t>(counting_->total()), metadata_before);
  EXPECT_EQ(faulty_.total_calls(), objects_before);
}

TEST_F(PartitionTest, FailedUploadNeverAdvancesTheHighWatermark) {
  auto w = OpenWriter();
  ASSERT_TRUE(w->Append(MakeBatch(0, 4)).ok());
  faulty_.FailNext(ObjectOp::kPut, 2);
  EXPECT_FALSE(w->Flush().ok());
  EXPECT_FALSE(w->Flush().ok());
  EXPECT_EQ(w->high_watermark(), 0);
  EXPECT_EQ(MetadataHw(), 0);
  EXPECT_TRUE(sqlite_->ListSegments("t", 0, 0)->empty());
  // Appends go on meanwhile; the tail still serves them.
  ASSERT_EQ(w->Append(MakeBatch(4, 2))->base_offset, 4);
  EXPECT_EQ(Decode(w->ReadTail(0, 1 << 20)).size(), 6u);
  // Once the store works again everything is sealed in order, with no gap.
  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(MetadataHw(), 6);
  auto all = ReadAll(0);
  ASSERT_EQ(all.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(all[i].offset, i);
}

TEST_F(PartitionTest, TornUploadIsCaughtByTheReader) {
  auto w = OpenWriter();
  ASSERT_TRUE(w->Append(MakeBatch(0, 50, 100)).ok());
  faulty_.TruncateNextPutsFraction(1, 0.5, TornPut::kReportSuccess);  // a lying store
  ASSERT_TRUE(w->Flush().ok());
  PartitionReader reader("t", 0, faulty_, *index_, cache_);
  auto r = reader.Read(0, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.status().ToString().find("seg_00000000000000000000.bin"), std::string::npos)
      << r.status().ToString();
}

TEST_F(PartitionTest, DeposedLeaderCannotRegister) {
  auto lease = sqlite_->AcquireLease("t", 0, "agent-a", clock_.NowMs(), 10'000);
  ASSERT_TRUE(lease.ok());
  auto w = OpenWriter({}, lease->leader_epoch + 7);  // not the epoch of the lease
  ASSERT_TRUE(w->Append(MakeBatch(0, 3)).ok());
  Status s = w->Flush();
  EXPECT_EQ(s.code(), ErrorCode::kFenced) << s.ToString();
  EXPECT_EQ(MetadataHw(), 0);
  EXPECT_TRUE(sqlite_->ListSegments("t", 0, 0)->empty());
}

TEST_F(PartitionTest, ReopenedWriterContinuesAfterTheHighWatermark) {
  {
    auto w = OpenWriter();
    ASSERT_TRUE(w->Append(MakeBatch(0, 7)).ok());
    ASSERT_TRUE(w->Flush().ok());
  }
  auto w = OpenWriter();
  EXPECT_EQ(w->next_offset(), 7);
  ASSERT_EQ(w->Append(MakeBatch(7, 1))->base_offset, 7);
  ASSERT_TRUE(w->Flush().ok());
  EXPECT_EQ(ReadAll(0).size(), 8u);
}

TEST_F(PartitionTest, AppendsAndTailReadsGoOnWhileASealUploads) {
  auto w = OpenWriter();
  ASSERT_TRUE(w->Append(MakeBatch(0, 3)).ok());
  // The seal's upload blocks until the test lets it go.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> uploading;
  faulty_.SetSleepFunction([&, released](std::chrono::nanoseconds) {
    uploading.set_value();
    released.wait();
  });
  faulty_.SetDelay(ObjectOp::kPut, std::chrono::nanoseconds(1));
  std::thread sealer([&] { EXPECT_TRUE(w->Flush().ok()); });
  uploading.get_future().wait();
  // With the upload stuck, appends and tail reads must still complete.
  auto appended = std::async(std::launch::async, [&] {
    auto a = w->Append(MakeBatch(3, 2));
    return a.ok() ? a->base_offset : -1;
  });
  ASSERT_EQ(appended.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "append blocked behind a seal";
  EXPECT_EQ(appended.get(), 3);
  EXPECT_EQ(Decode(w->ReadTail(0, 1 << 20)).size(), 5u);
  EXPECT_EQ(w->high_watermark(), 0);  // not registered yet
  faulty_.SetDelay(ObjectOp::kPut, std::chrono::nanoseconds(0));
  release.set_value();
  sealer.join();
  EXPECT_EQ(w->high_watermark(), 5);
  EXPECT_EQ(ReadAll(0).size(), 5u);
}

TEST_F(PartitionTest, RejectsCorruptBatchesAndAppendsNothing) {
  auto w = OpenWriter();
  Bytes good = MakeBatch(0, 2);
  Bytes bad = MakeBatch(0, 2);
  bad[bad.size() - 1] ^= 0xff;  // breaks the CRC
  Bytes both = good;
  both.insert(both.end(), bad.begin(), bad.end());
  EXPECT_EQ(w->Append(both).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(w->next_offset(), 0);
  EXPECT_EQ(w->tail_bytes(), 0u);
}

}  // namespace
}  // namespace sh::storage
