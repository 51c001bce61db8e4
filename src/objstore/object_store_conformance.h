// The ObjectStore contract as one parameterised GoogleTest suite.
//
// Every backend must pass it. To run it against a backend, give a factory
// that makes a fresh, empty store and instantiate the suite once:
//
//   INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreConformanceTest,
//                            ::testing::Values(ObjectStoreBackend{"S3", MakeS3Harness}),
//                            ObjectStoreBackendName);
//
// The test binary must link the `sh_objstore_conformance` object library,
// which holds the TEST_P bodies.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "objstore/object_store.h"

namespace sh {

// One store under test, with whatever it needs (a temp dir, a bucket); the
// destructor releases those resources.
class ObjectStoreHarness {
 public:
  virtual ~ObjectStoreHarness() = default;
  virtual ObjectStore& store() = 0;
};

// Holds a store that needs nothing else.
class SimpleObjectStoreHarness final : public ObjectStoreHarness {
 public:
  explicit SimpleObjectStoreHarness(std::unique_ptr<ObjectStore> store)
      : store_(std::move(store)) {}
  ObjectStore& store() override { return *store_; }

 private:
  std::unique_ptr<ObjectStore> store_;
};

struct ObjectStoreBackend {
  std::string name;  // test-name suffix: letters, digits and '_' only
  // Returns a harness over an empty store, or nullptr on failure (the test
  // then fails with the backend's name).
  std::function<std::unique_ptr<ObjectStoreHarness>()> make;
};

// Shows a backend by name in test output (instead of its bytes).
void PrintTo(const ObjectStoreBackend& backend, std::ostream* os);

// For INSTANTIATE_TEST_SUITE_P: names each instance after its backend.
std::string ObjectStoreBackendName(const ::testing::TestParamInfo<ObjectStoreBackend>& info);

class ObjectStoreConformanceTest : public ::testing::TestWithParam<ObjectStoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override { harness_.reset(); }
  ObjectStore& store() { return harness_->store(); }

  // Puts data under key and fails the test if the store refuses.
  void MustPut(std::string_view key, std::string_view data);

 private:
  std::unique_ptr<ObjectStoreHarness> harness_;
};

}  // namespace sh
