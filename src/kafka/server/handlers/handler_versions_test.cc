// Every handler's versions lie within what the generated codec can encode and
// decode for its API (generated/api_table.h), so ApiVersions, which is built
// from the handlers, never offers a version the codec lacks.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "broker/broker.h"
#include "kafka/protocol/generated/api_table.h"
#include "kafka/server/api_versions_handler.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/group_handlers.h"
#include "kafka/server/handlers/handlers.h"
#include "metadata/sqlite_metadata_store.h"
#include "objstore/memory_object_store.h"

namespace sh::kafka {
namespace {

TEST(HandlerVersionsTest, NoHandlerExceedsTheCodec) {
  auto metadata = SqliteMetadataStore::Open(":memory:").value();
  MemoryObjectStore store;
  auto broker =
      broker::Broker::Open(broker::BrokerOptions{}, *metadata, store, *SystemClock::Get()).value();
  group::GroupCoordinator coordinator(*metadata, *SystemClock::Get(), {});
  std::vector<std::unique_ptr<Handler>> handlers = MakeHandlers(*broker, {});
  for (auto& h : MakeGroupHandlers(coordinator, {})) handlers.push_back(std::move(h));
  ApiVersionsHandler api_versions(handlers);
  std::vector<const Handler*> all{&api_versions};
  for (const auto& h : handlers) all.push_back(h.get());
  for (const Handler* h : all) {
    const ApiInfo* codec = FindApi(static_cast<int16_t>(h->api_key()));
    ASSERT_NE(codec, nullptr) << "api " << static_cast<int16_t>(h->api_key());
    EXPECT_GE(h->min_version(), codec->min_version) << codec->name;
    EXPECT_LE(h->min_version(), h->max_version()) << codec->name;
    EXPECT_LE(h->max_version(), codec->max_version)
        << codec->name << ": the handler declares v" << h->max_version() << ", the codec stops at v"
        << codec->max_version;
  }
}

}  // namespace
}  // namespace sh::kafka
