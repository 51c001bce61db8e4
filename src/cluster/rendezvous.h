// Rendezvous (highest-random-weight) hashing: which live agent should own a
// partition or a consumer group (docs/design.md §8, docs/cluster.md).
//
// Every agent computes the same answer from the same inputs, with no
// coordination: for a key k and agents a1..an, the owner is the agent with the
// largest Weight(k, ai). Adding an agent moves to it only the keys where it
// now wins (about 1/(n+1) of them); removing an agent moves only the keys it
// owned. Ties (a 64-bit collision) go to the smaller agent id.
//
// The hash is StableHash64, fixed by this file and docs/cluster.md: agents
// built by different compilers or versions must agree, so std::hash (whose
// values are unspecified) is never used.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sh::cluster {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// "topic/partition", for messages.
std::string ToString(const TopicPartition& tp);

// FNV-1a 64 over the bytes, then the SplitMix64 finaliser so that keys
// differing in one byte get unrelated values. Stable across builds and
// platforms (byte-wise, no endianness dependence).
uint64_t StableHash64(std::string_view bytes);

// The weight of agent_id for key: StableHash64 of key, a 0x00 separator and
// the agent id (the separator keeps ("ab","c") and ("a","bc") apart).
uint64_t RendezvousWeight(std::string_view key, std::string_view agent_id);

// The key a partition is hashed under: topic, 0x00, partition as decimal.
std::string PartitionKey(const std::string& topic, int32_t partition);
// The key a consumer group is hashed under: "group", 0x00, group id (never
// equal to a partition key, whose topic cannot be "group\0...").
std::string GroupKey(const std::string& group_id);

// The agent with the highest weight for key; nullopt if agents is empty.
// Duplicate ids in agents count once.
std::optional<std::string> DesiredOwnerOfKey(std::string_view key,
                                             const std::vector<std::string>& agents);

// DesiredOwnerOfKey(PartitionKey(topic, partition), live_agent_ids).
std::optional<std::string> DesiredOwner(const std::string& topic, int32_t partition,
                                        const std::vector<std::string>& live_agent_ids);

// The coordinator of a consumer group: DesiredOwnerOfKey(GroupKey(group_id), ...).
std::optional<std::string> GroupCoordinator(const std::string& group_id,
                                            const std::vector<std::string>& live_agent_ids);

// Desired owner of every partition. Empty if agents is empty.
std::map<TopicPartition, std::string> Assign(const std::vector<TopicPartition>& partitions,
                                             const std::vector<std::string>& agents);

}  // namespace sh::cluster
