#include "kafka/server/group/consumer_protocol.h"

#include <cstdint>

namespace sh::kafka::group {

Result<std::vector<std::string>> ParseSubscriptionTopics(ByteView metadata) {
  ByteReader r(metadata);
  auto version = static_cast<int16_t>(r.ReadBE16());
  auto count = static_cast<int32_t>(r.ReadBE32());
  if (!r.ok() || version < 0 || count < 0 || static_cast<size_t>(count) > r.remaining() / 2) {
    return Status::Corruption("consumer subscription of " + std::to_string(metadata.size()) +
                              " bytes has no valid topic array");
  }
  std::vector<std::string> topics;
  for (int32_t i = 0; i < count; ++i) {
    auto len = static_cast<int16_t>(r.ReadBE16());
    ByteView name = r.ReadBytes(len < 0 ? 0 : static_cast<size_t>(len));
    if (!r.ok() || len < 0) {
      return Status::Corruption("consumer subscription: topic " + std::to_string(i) +
                                " runs past the end of the metadata");
    }
    topics.emplace_back(name.begin(), name.end());
  }
  return topics;
}

}  // namespace sh::kafka::group
