// The consumer protocol's subscription metadata (what a "consumer" group
// member sends in JoinGroup), read only as far as the coordinator needs it:
// the subscribed topics, for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC.
//
//   Subscription => version:int16 topics:[string] user_data:bytes ...
//   (every version keeps this prefix; strings are int16-length-prefixed)
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace sh::kafka::group {

// The topics of a Subscription; Corruption if the bytes do not hold one.
Result<std::vector<std::string>> ParseSubscriptionTopics(ByteView metadata);

}  // namespace sh::kafka::group
