// The consumer protocol's assignment (what the group leader hands each member
// in SyncGroup and DescribeGroups reports as member_assignment):
//
//   ConsumerProtocolAssignment => version:int16
//                                 assigned_partitions:[topic:string [partition:int32]]
//                                 user_data:bytes
//
// Versions 0-3 share this layout (strings int16-length-prefixed, arrays and
// bytes int32-length-prefixed, -1 for null). Fields added by later versions
// follow it and are ignored.
#pragma once

#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "cli/stream_client.h"

namespace sh::cli {

// The assigned partitions; empty bytes (a member not yet synced) give none.
// Corruption if the bytes hold no valid assignment.
Result<std::vector<AssignedPartitions>> ParseConsumerAssignment(ByteView bytes);

// The encoding of an assignment at version 0 with no user data, for tests.
Bytes EncodeConsumerAssignment(const std::vector<AssignedPartitions>& assignment);

}  // namespace sh::cli
