// StreamClient: what streamctl needs from StreamHouse, whichever way it gets
// there. EmbeddedClient works on a data directory directly (the SQLite
// metadata file and the local object store); a Kafka-protocol client talks to
// a running agent. Commands are written once, against this interface.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "metadata/metadata_store.h"

namespace sh::cli {

struct PartitionSummary {
  int32_t partition = 0;
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;
  int64_t segment_count = 0;
  int64_t segment_bytes = 0;
};

struct TopicDescription {
  std::string name;
  int32_t partition_count = 0;
  std::map<std::string, std::string> config;
  std::vector<PartitionSummary> partitions;
};

struct FetchResult {
  Bytes batches;  // whole record batches; the first may start before the offset asked for
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
};

class StreamClient {
 public:
  virtual ~StreamClient() = default;

  virtual Status CreateTopic(const std::string& name, int32_t partitions,
                             const std::map<std::string, std::string>& config) = 0;
  virtual Result<std::vector<std::string>> ListTopics() = 0;
  // NotFound for an unknown topic.
  virtual Result<TopicDescription> DescribeTopic(const std::string& name) = 0;
  virtual Status DeleteTopic(const std::string& name) = 0;
  // Appends one record batch; returns the offset given to its first record once durable.
  virtual Result<int64_t> Produce(const std::string& topic, int32_t partition,
                                  ByteView batch) = 0;
  // Batches from offset, up to about max_bytes. OutOfRange if offset is
  // outside [log start, high watermark].
  virtual Result<FetchResult> Fetch(const std::string& topic, int32_t partition, int64_t offset,
                                    size_t max_bytes) = 0;
  virtual Result<std::vector<SegmentInfo>> ListSegments(const std::string& topic,
                                                        int32_t partition) = 0;
};

}  // namespace sh::cli
