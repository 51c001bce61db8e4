// Kafka's default partitioner for keyed records: murmur2 of the key bytes,
// made positive, modulo the partition count. Matching it means a key lands on
// the same partition whether it was produced by streamctl or a Java client.
#pragma once

#include <cstdint>
#include <string_view>

namespace sh::cli {

// Murmur2 as in org.apache.kafka.common.utils.Utils.murmur2 (seed 0x9747b28c).
int32_t Murmur2(std::string_view data);

// REQUIRES: partition_count > 0.
int32_t PartitionForKey(std::string_view key, int32_t partition_count);

}  // namespace sh::cli
