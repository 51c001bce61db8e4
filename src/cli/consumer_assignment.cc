#include "cli/consumer_assignment.h"

#include <cstdint>
#include <string>

namespace sh::cli {

namespace {

Status Bad(ByteView bytes, const std::string& what) {
  return Status::Corruption("consumer assignment of " + std::to_string(bytes.size()) +
                            " bytes: " + what);
}

// An int32 count that cannot be larger than what remains, at min_size bytes
// per element; -1 (null) reads as 0.
bool ReadCount(ByteReader& r, size_t min_size, int32_t* count) {
  *count = static_cast<int32_t>(r.ReadBE32());
  if (*count == -1) *count = 0;
  return r.ok() && *count >= 0 && static_cast<size_t>(*count) <= r.remaining() / min_size;
}

}  // namespace

Result<std::vector<AssignedPartitions>> ParseConsumerAssignment(ByteView bytes) {
  std::vector<AssignedPartitions> out;
  if (bytes.empty()) return out;
  ByteReader r(bytes);
  auto version = static_cast<int16_t>(r.ReadBE16());
  if (!r.ok() || version < 0) return Bad(bytes, "no valid version");
  int32_t topics = 0;
  if (!ReadCount(r, 6, &topics)) return Bad(bytes, "no valid topic array");
  for (int32_t i = 0; i < topics; ++i) {
    auto len = static_cast<int16_t>(r.ReadBE16());
    ByteView name = r.ReadBytes(len < 0 ? 0 : static_cast<size_t>(len));
    if (!r.ok() || len < 0) return Bad(bytes, "topic " + std::to_string(i) + " is cut short");
    AssignedPartitions& t = out.emplace_back();
    t.topic.assign(name.begin(), name.end());
    int32_t partitions = 0;
    if (!ReadCount(r, 4, &partitions)) {
      return Bad(bytes, "partitions of topic " + t.topic + " are cut short");
    }
    for (int32_t p = 0; p < partitions; ++p) {
      t.partitions.push_back(static_cast<int32_t>(r.ReadBE32()));
    }
  }
  // user_data follows; streamctl does not show it, but it must be there.
  auto user_data = static_cast<int32_t>(r.ReadBE32());
  if (user_data > 0) r.Skip(static_cast<size_t>(user_data));
  if (!r.ok() || user_data < -1) return Bad(bytes, "user data is missing or cut short");
  return out;
}

Bytes EncodeConsumerAssignment(const std::vector<AssignedPartitions>& assignment) {
  ByteWriter w;
  w.PutBE16(0);
  w.PutBE32(static_cast<uint32_t>(assignment.size()));
  for (const AssignedPartitions& t : assignment) {
    w.PutBE16(static_cast<uint16_t>(t.topic.size()));
    w.PutBytes(std::string_view(t.topic));
    w.PutBE32(static_cast<uint32_t>(t.partitions.size()));
    for (int32_t p : t.partitions) w.PutBE32(static_cast<uint32_t>(p));
  }
  w.PutBE32(0xFFFFFFFFu);  // null user data
  return w.Take();
}

}  // namespace sh::cli
