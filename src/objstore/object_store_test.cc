// The conformance suite over the in-process backends. Backend-specific tests
// live in local_object_store_test.cc and faulty_object_store_test.cc.
#include <gtest/gtest.h>

#include <memory>

#include "objstore/local_object_store.h"
#include "objstore/memory_object_store.h"
#include "objstore/object_store_conformance.h"
#include "objstore/test_temp_dir.h"

namespace sh {
namespace {

class LocalHarness final : public ObjectStoreHarness {
 public:
  LocalHarness() {
    auto store = LocalObjectStore::Open(dir_.path() + "/root");
    if (store.ok()) store_ = std::move(store).value();
  }
  bool ok() const { return !dir_.path().empty() && store_ != nullptr; }
  ObjectStore& store() override { return *store_; }

 private:
  TempDir dir_;
  std::unique_ptr<LocalObjectStore> store_;
};

ObjectStoreBackend MemoryBackend() {
  return {
      "Memory", [] {
        return std::make_unique<SimpleObjectStoreHarness>(std::make_unique<MemoryObjectStore>());
      }};
}

ObjectStoreBackend LocalBackend() {
  return {"Local", []() -> std::unique_ptr<ObjectStoreHarness> {
            auto h = std::make_unique<LocalHarness>();
            if (!h->ok()) return nullptr;
            return h;
          }};
}

INSTANTIATE_TEST_SUITE_P(Memory, ObjectStoreConformanceTest, ::testing::Values(MemoryBackend()),
                         ObjectStoreBackendName);
INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreConformanceTest, ::testing::Values(LocalBackend()),
                         ObjectStoreBackendName);

}  // namespace
}  // namespace sh
