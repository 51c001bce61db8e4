#include "storage/partition_reader.h"

#include "records/record_batch.h"
#include "storage/segment_reader.h"
#include "storage/time_query.h"

namespace sh::storage {
namespace {

// Header fields read straight from the batch bytes; the block was checked
// (CRC, whole batches) when it was loaded.
int64_t BatchBaseOffset(const uint8_t* p) { return static_cast<int64_t>(LoadBE64(p)); }
int64_t BatchLastOffset(const uint8_t* p) {
  return BatchBaseOffset(p) + static_cast<int32_t>(LoadBE32(p + 23));
}

}  // namespace

PartitionReader::PartitionReader(std::string topic, int32_t partition, ObjectStore& store,
                                 SegmentIndex& index, SegmentCache& cache)
    : topic_(std::move(topic)), partition_(partition), store_(store), index_(index), cache_(cache) {}

Result<std::shared_ptr<const SegmentReader>> PartitionReader::OpenSegment(
    const SegmentInfo& segment) {
  if (auto reader = cache_.GetReader(segment.object_key)) return reader;
  SH_ASSIGN_OR_RETURN(std::shared_ptr<const SegmentReader> reader,
                      SegmentReader::Open(store_, segment.object_key,
                                          static_cast<uint64_t>(segment.size_bytes)));
  cache_.PutReader(segment.object_key, reader);
  return reader;
}

Result<std::shared_ptr<const Bytes>> PartitionReader::LoadBlock(const SegmentReader& reader,
                                                                size_t block) {
  if (auto data = cache_.GetBlock(reader.key(), block)) return data;
  SH_ASSIGN_OR_RETURN(Bytes data, reader.ReadBlock(store_, block));
  auto shared = std::make_shared<const Bytes>(std::move(data));
  cache_.PutBlock(reader.key(), block, shared);
  return shared;
}

Result<ReadResult> PartitionReader::Read(int64_t offset, size_t max_bytes) {
  ReadResult result;
  result.next_offset = offset;
  SH_ASSIGN_OR_RETURN(std::shared_ptr<const SegmentInfo> segment, index_.Find(offset));
  while (true) {
    SH_ASSIGN_OR_RETURN(std::shared_ptr<const SegmentReader> reader, OpenSegment(*segment));
    std::optional<size_t> block = reader->FindBlock(result.next_offset);
    for (; block && *block < reader->blocks().size(); ++*block) {
      SH_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> data, LoadBlock(*reader, *block));
      ByteView rest(*data);
      while (!rest.empty()) {
        size_t size = records::PeekBatchSize(rest);
        if (size < records::kBatchHeaderSize || size > rest.size()) {
          return Status::Corruption("block " + std::to_string(*block) + " of " + reader->key() +
                                    ": batch framing broken");
        }
        const uint8_t* batch = rest.data();
        rest = rest.subspan(size);
        if (BatchLastOffset(batch) < result.next_offset) continue;  // before the read start
        if (!result.batches.empty() && result.batches.size() + size > max_bytes) {
          return result;
        }
        result.batches.insert(result.batches.end(), batch, batch + size);
        result.next_offset = BatchLastOffset(batch) + 1;
      }
    }
    // This segment is exhausted: continue in the next one if the index knows
    // of one (asking past the known end would cost a metadata query).
    if (segment->end_offset >= index_.known_end()) return result;
    auto next = index_.Find(segment->end_offset);
    if (!next.ok()) {
      if (next.status().code() == ErrorCode::kNotFound) return result;
      return next.status();
    }
    if (result.batches.size() >= max_bytes) return result;
    segment = std::move(next).value();
  }
}

Result<std::optional<TimestampHit>> PartitionReader::FindInSegment(const SegmentInfo& segment,
                                                                   int64_t from, int64_t ts_ms) {
  SH_ASSIGN_OR_RETURN(std::shared_ptr<const SegmentReader> reader, OpenSegment(segment));
  std::optional<size_t> block = reader->FindBlockByTimestamp(ts_ms);
  for (; block && *block < reader->blocks().size(); ++*block) {
    if (reader->blocks()[*block].last_offset < from) continue;
    SH_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> data, LoadBlock(*reader, *block));
    SH_ASSIGN_OR_RETURN(std::vector<records::RecordBatchView> batches,
                        records::ParseBatches(*data));
    for (const records::RecordBatchView& b : batches) {
      SH_ASSIGN_OR_RETURN(std::optional<TimestampHit> found, FindInBatch(b, from, ts_ms));
      if (found) return found;
    }
  }
  return std::optional<TimestampHit>();
}

}  // namespace sh::storage
