#include "kafka/server/handlers/group_handlers.h"

#include "kafka/server/handlers/cluster_access.h"
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
  std::shared_ptr<const ClusterView> cluster = ResolveClusterView(options);
  std::vector<std::unique_ptr<Handler>> handlers;
  handlers.push_back(std::make_unique<FindCoordinatorHandler>(options));
  handlers.push_back(std::make_unique<JoinGroupHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<SyncGroupHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<HeartbeatHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<LeaveGroupHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<OffsetCommitHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<OffsetFetchHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<ListGroupsHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<DescribeGroupsHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<DeleteGroupsHandler>(coordinator, cluster));
  handlers.push_back(std::make_unique<OffsetDeleteHandler>(coordinator, cluster));
  return handlers;
}

}  // namespace sh::kafka
