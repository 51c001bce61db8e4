// Helpers for the WAL tests: batches and entries with known offsets.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "records/record_batch.h"
#include "wal/wal_format.h"

namespace sh::wal::testing {

// A v2 batch at base_offset holding count records whose values name their
// offset ("{tag}-{offset}") so that any mix-up shows.
inline Bytes MakeBatch(int64_t base_offset, int count, const std::string& tag = "v") {
  records::BatchOptions opts;
  opts.base_offset = base_offset;
  records::BatchBuilder b(opts);
  for (int i = 0; i < count; ++i) {
    b.Add(std::nullopt, tag + "-" + std::to_string(base_offset + i), 1000 + i);
  }
  Result<Bytes> built = b.Build();
  SH_CHECK(built.ok());
  return std::move(built).value();
}

// An entry of n_batches batches of per_batch records each, from base_offset,
// written by a leader of `epoch`.
inline WalEntry MakeEntry(const std::string& topic, int32_t partition, int64_t base_offset,
                          int n_batches = 1, int per_batch = 2, const std::string& tag = "v",
                          int64_t epoch = 7) {
  Bytes all;
  for (int i = 0; i < n_batches; ++i) {
    Bytes b = MakeBatch(base_offset + static_cast<int64_t>(i) * per_batch, per_batch, tag);
    all.insert(all.end(), b.begin(), b.end());
  }
  Result<WalEntry> e = MakeWalEntry(topic, partition, epoch, std::move(all));
  SH_CHECK_MSG(e.ok(), e.status().ToString());
  return std::move(e).value();
}

inline Bytes Encode(const std::string& agent, uint64_t sequence,
                    const std::vector<WalEntry>& entries, int64_t created_at_ms = 1234) {
  std::vector<const WalEntry*> ptrs;
  for (const WalEntry& e : entries) ptrs.push_back(&e);
  return EncodeWalObject(agent, sequence, created_at_ms, ptrs);
}

}  // namespace sh::wal::testing
