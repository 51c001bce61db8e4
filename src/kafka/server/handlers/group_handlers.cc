#include "kafka/server/handlers/group_handlers.h"

#include "kafka/server/handlers/delete_groups_handler.h"
#include "kafka/server/handlers/describe_groups_handler.h"
#include "kafka/server/handlers/find_coordinator_handler.h"
#include "kafka/server/handlers/heartbeat_handler.h"
#include "kafka/server/handlers/join_group_handler.h"
#include "kafka/server/handlers/leave_group_handler.h"
#include "kafka/server/handlers/list_groups_handler.h"
#include "kafka/server/handlers/offset_commit_handler.h"
#include "kafka/server/handlers/offset_delete_handler.h"
#include "kafka/server/handlers/offset_fetch_handler.h"
#include "kafka/server/handlers/sync_group_handler.h"

namespace sh::kafka {

std::vector<std::unique_ptr<Handler>> MakeGroupHandlers(group::GroupCoordinator& coordinator,
                                                        const HandlerOptions& options) {
  std::vector<std::unique_ptr<Handler>> handlers;
  handlers.push_back(std::make_unique<FindCoordinatorHandler>(options));
  handlers.push_back(std::make_unique<JoinGroupHandler>(coordinator));
  handlers.push_back(std::make_unique<SyncGroupHandler>(coordinator));
  handlers.push_back(std::make_unique<HeartbeatHandler>(coordinator));
  handlers.push_back(std::make_unique<LeaveGroupHandler>(coordinator));
  handlers.push_back(std::make_unique<OffsetCommitHandler>(coordinator));
  handlers.push_back(std::make_unique<OffsetFetchHandler>(coordinator));
  handlers.push_back(std::make_unique<ListGroupsHandler>(coordinator));
  handlers.push_back(std::make_unique<DescribeGroupsHandler>(coordinator));
  handlers.push_back(std::make_unique<DeleteGroupsHandler>(coordinator));
  handlers.push_back(std::make_unique<OffsetDeleteHandler>(coordinator));
  return handlers;
}

}  // namespace sh::kafka
