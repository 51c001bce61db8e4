#include "kafka/server/handlers/handlers.h"

#include "broker/broker.h"
#include "kafka/server/handlers/alter_configs_handler.h"
#include "kafka/server/handlers/cluster_access.h"
#include "kafka/server/handlers/create_partitions_handler.h"
#include "kafka/server/handlers/create_topics_handler.h"
#include "kafka/server/handlers/delete_records_handler.h"
#include "kafka/server/handlers/delete_topics_handler.h"
#include "kafka/server/handlers/describe_cluster_handler.h"
#include "kafka/server/handlers/describe_configs_handler.h"
#include "kafka/server/handlers/fetch_handler.h"
#include "kafka/server/handlers/incremental_alter_configs_handler.h"
#include "kafka/server/handlers/init_producer_id_handler.h"
#include "kafka/server/handlers/list_offsets_handler.h"
#include "kafka/server/handlers/metadata_handler.h"
#include "kafka/server/handlers/offset_for_leader_epoch_handler.h"
#include "kafka/server/handlers/produce_handler.h"

namespace sh::kafka {

std::vector<std::unique_ptr<Handler>> MakeHandlers(broker::Broker& broker,
                                                   const HandlerOptions& options) {
  std::shared_ptr<const ClusterView> cluster = ResolveClusterView(options);
  std::vector<std::unique_ptr<Handler>> handlers;
  handlers.push_back(std::make_unique<ProduceHandler>(broker, cluster));
  handlers.push_back(std::make_unique<FetchHandler>(broker, cluster));
  handlers.push_back(std::make_unique<ListOffsetsHandler>(broker, cluster));
  handlers.push_back(std::make_unique<MetadataHandler>(broker, options));
  handlers.push_back(std::make_unique<CreateTopicsHandler>(broker));
  handlers.push_back(std::make_unique<DeleteTopicsHandler>(broker));
  handlers.push_back(std::make_unique<DeleteRecordsHandler>(broker, cluster));
  handlers.push_back(std::make_unique<OffsetForLeaderEpochHandler>(broker, cluster));
  handlers.push_back(std::make_unique<DescribeConfigsHandler>(broker));
  handlers.push_back(std::make_unique<AlterConfigsHandler>(broker));
  handlers.push_back(std::make_unique<CreatePartitionsHandler>(broker));
  handlers.push_back(std::make_unique<IncrementalAlterConfigsHandler>(broker));
  handlers.push_back(std::make_unique<DescribeClusterHandler>(broker, options));
  handlers.push_back(std::make_unique<InitProducerIdHandler>(
      [&broker]() -> Result<int64_t> { return broker.AllocateProducerId(); }));
  return handlers;
}

}  // namespace sh::kafka
