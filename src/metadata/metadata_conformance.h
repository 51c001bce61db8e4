// The MetadataStore conformance suite: one parameterised GoogleTest suite
// that every backend must pass.
//
// A backend's test binary links the sh_metadata_conformance target and
// instantiates the suite with one line, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, MetadataConformanceTest,
//                            ::testing::Values(MetadataBackend{"postgres", MakeFreshPgStore}),
//                            MetadataBackendName);
//
// `make` must return a new, empty store on every call (a fresh database or
// schema); each test creates one and destroys it at the end.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "metadata/metadata_store.h"

namespace sh {

struct MetadataBackend {
  std::string name;  // becomes part of the test name: letters, digits, '_'
  std::function<std::unique_ptr<MetadataStore>()> make;
};

// Test output shows the backend by name rather than as raw bytes.
inline void PrintTo(const MetadataBackend& backend, std::ostream* os) { *os << backend.name; }

// The name generator for INSTANTIATE_TEST_SUITE_P.
std::string MetadataBackendName(const ::testing::TestParamInfo<MetadataBackend>& info);

class MetadataConformanceTest : public ::testing::TestWithParam<MetadataBackend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr) << "backend " << GetParam().name << " failed to open";
  }
  MetadataStore& store() { return *store_; }

  std::unique_ptr<MetadataStore> store_;
};

}  // namespace sh
