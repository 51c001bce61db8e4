#include "cluster/rendezvous.h"

namespace sh::cluster {

std::string ToString(const TopicPartition& tp) {
  return tp.topic + "/" + std::to_string(tp.partition);
}

uint64_t StableHash64(std::string_view bytes) {
  // FNV-1a, 64-bit.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  // SplitMix64 finaliser: FNV-1a alone leaves the high bits weakly mixed
  // for short keys that differ only in their last byte.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

uint64_t RendezvousWeight(std::string_view key, std::string_view agent_id) {
  std::string joined;
  joined.reserve(key.size() + 1 + agent_id.size());
  joined.append(key);
  joined.push_back('\0');
  joined.append(agent_id);
  return StableHash64(joined);
}

std::string PartitionKey(const std::string& topic, int32_t partition) {
  std::string key = topic;
  key.push_back('\0');
  key += std::to_string(partition);
  return key;
}

std::string GroupKey(const std::string& group_id) {
  std::string key = "group";
  key.push_back('\0');
  key += group_id;
  return key;
}

std::optional<std::string> DesiredOwnerOfKey(std::string_view key,
                                             const std::vector<std::string>& agents) {
  const std::string* best = nullptr;
  uint64_t best_weight = 0;
  for (const auto& agent : agents) {
    uint64_t w = RendezvousWeight(key, agent);
    if (best == nullptr || w > best_weight || (w == best_weight && agent < *best)) {
      best = &agent;
      best_weight = w;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::optional<std::string> DesiredOwner(const std::string& topic, int32_t partition,
                                        const std::vector<std::string>& live_agent_ids) {
  return DesiredOwnerOfKey(PartitionKey(topic, partition), live_agent_ids);
}

std::optional<std::string> GroupCoordinator(const std::string& group_id,
                                            const std::vector<std::string>& live_agent_ids) {
  return DesiredOwnerOfKey(GroupKey(group_id), live_agent_ids);
}

std::map<TopicPartition, std::string> Assign(const std::vector<TopicPartition>& partitions,
                                             const std::vector<std::string>& agents) {
  std::map<TopicPartition, std::string> out;
  if (agents.empty()) return out;
  for (const auto& tp : partitions) {
    out[tp] = *DesiredOwner(tp.topic, tp.partition, agents);
  }
  return out;
}

}  // namespace sh::cluster
