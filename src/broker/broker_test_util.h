// Test helpers for the broker tests: a broker on SQLite :memory: and a
// MemoryObjectStore behind a FaultyObjectStore, driven by a ManualClock.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "broker/broker.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/faulty_object_store.h"
#include "objstore/memory_object_store.h"
#include "records/record_batch.h"

namespace sh::broker {

class BrokerTest : public testing::Test {
 protected:
  void SetUp() override {
    auto md = SqliteMetadataStore::Open(":memory:", &clock_);
    ASSERT_TRUE(md.ok()) << md.status().ToString();
    metadata_ = std::move(md).value();
    options_.flush_ms = 1'000'000'000;  // tests seal explicitly unless they say otherwise
    options_.retention_ms = -1;
  }

  void OpenBroker() {
    auto b = Broker::Open(options_, *metadata_, store_, clock_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    broker_ = std::move(b).value();
  }

  // A topic of `partitions` partitions with small segments unless configs say otherwise.
  void CreateTopic(const std::string& name, int32_t partitions = 1,
                   std::map<std::string, std::string> configs = {}) {
    if (!configs.count("segment.bytes")) configs["segment.bytes"] = "4096";
    Status s = broker_->CreateTopic(name, partitions, configs, false);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<SegmentInfo> Segments(const std::string& topic, int32_t partition = 0) {
    auto segs = metadata_->ListSegments(topic, partition, 0);
    EXPECT_TRUE(segs.ok()) << segs.status().ToString();
    return segs.ok() ? *segs : std::vector<SegmentInfo>{};
  }

  ManualClock clock_;
  std::unique_ptr<SqliteMetadataStore> metadata_;
  MemoryObjectStore memory_;
  FaultyObjectStore store_{memory_};
  BrokerOptions options_;
  std::unique_ptr<Broker> broker_;
};

// A CreateTime batch of n records: key null / empty / "k<i>" in turn, a value
// of value_bytes bytes, a header on odd records, timestamps ts0 + i * step.
inline Bytes MakeBatch(int n, int64_t ts0, int64_t step = 1, size_t value_bytes = 10,
                       records::Compression compression = records::Compression::kNone,
                       const std::string& tag = "v") {
  records::BatchOptions opts;
  opts.compression = compression;
  records::BatchBuilder b(opts);
  for (int i = 0; i < n; ++i) {
    std::optional<std::string> key;
    if (i % 3 == 1) key = "";
    if (i % 3 == 2) key = "k" + std::to_string(i);
    std::string value = tag + std::to_string(i);
    value.resize(std::max(value.size(), value_bytes), 'x');
    std::vector<records::Header> headers;
    if (i % 2 == 1) headers.push_back({"h" + std::to_string(i), std::nullopt});
    if (i % 4 == 3) headers.push_back({"h2", std::string("")});
    b.Add(key, value, ts0 + i * step, headers);
  }
  Result<Bytes> built = b.Build();
  EXPECT_TRUE(built.ok());
  return built.ok() ? *built : Bytes{};
}

inline std::vector<records::RecordBatchView> Batches(const Bytes& bytes) {
  auto parsed = records::ParseBatches(bytes);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : std::vector<records::RecordBatchView>{};
}

inline std::vector<records::Record> Decode(const Bytes& bytes) {
  std::vector<records::Record> out;
  for (const auto& b : Batches(bytes)) {
    auto recs = b.DecodeRecords();
    EXPECT_TRUE(recs.ok()) << recs.status().ToString();
    if (recs.ok()) out.insert(out.end(), recs->begin(), recs->end());
  }
  return out;
}

// Every batch from offset to the high watermark, fetching in steps of max_bytes.
inline Bytes FetchAll(Broker& broker, const std::string& topic, int32_t partition, int64_t from,
                      size_t max_bytes = 1 << 20) {
  Bytes all;
  int64_t next = from;
  for (int i = 0; i < 100000; ++i) {
    auto r = broker.Fetch(topic, partition, next, max_bytes);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->batches.empty()) break;
    auto batches = Batches(r->batches);
    if (batches.empty()) break;
    for (const auto& b : batches) {
      if (b.last_offset() < next) continue;
      all.insert(all.end(), b.bytes().begin(), b.bytes().end());
    }
    next = batches.back().last_offset() + 1;
  }
  return all;
}

}  // namespace sh::broker
