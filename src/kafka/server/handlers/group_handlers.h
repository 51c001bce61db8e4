// The consumer group handlers of an agent (docs/consumer-groups.md):
// FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch, ListGroups, DescribeGroups, DeleteGroups, OffsetDelete.
#pragma once

#include <memory>
#include <vector>

#include "kafka/server/handler.h"
#include "kafka/server/handlers/handlers.h"

namespace sh::kafka {

namespace group {
class GroupCoordinator;
}

// The handlers keep a reference to coordinator, which must outlive them, as
// must options.cluster if set: it says which agent coordinates each group
// (FindCoordinator; NOT_COORDINATOR for groups coordinated elsewhere).
std::vector<std::unique_ptr<Handler>> MakeGroupHandlers(group::GroupCoordinator& coordinator,
                                                        const HandlerOptions& options);

}  // namespace sh::kafka
