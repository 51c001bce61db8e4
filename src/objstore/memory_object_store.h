// MemoryObjectStore: objects in a map. For tests (sh_objstore_testing, which
// only tests link): no agent setting opens one.
#pragma once

#include <map>
#include <mutex>

#include "objstore/object_store.h"

namespace sh {

class MemoryObjectStore final : public ObjectStore {
 public:
  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key) override;
  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<uint64_t> Size(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return "memory"; }

  // Test access: overwrite stored bytes directly (e.g. to corrupt an object).
  Status Replace(std::string_view key, Bytes data);
  size_t object_count() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Bytes, std::less<>> objects_;
};

}  // namespace sh
