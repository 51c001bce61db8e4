// ObjectStore: the only way StreamHouse touches its log data.
//
// Keys are '/'-separated paths ("topics/orders/3/seg_00000000000000001000.bin").
// Backends: LocalObjectStore (a directory; embedded mode), MemoryObjectStore
// (tests), FaultyObjectStore (wraps another to inject failures), and S3 for
// clusters. Calls are blocking; the agent calls them from a worker pool, never
// from a network thread. All methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace sh {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores data under key, replacing any previous object. Atomic: a reader
  // sees the whole new object or the old one, never part. On OK the object is
  // durable (local: fsynced file and directory; S3: PUT acknowledged).
  virtual Status Put(std::string_view key, ByteView data) = 0;

  // The whole object. NotFound if absent.
  virtual Result<Bytes> Get(std::string_view key) = 0;

  // Bytes [offset, min(offset + length, size)) of the object: a range that
  // runs past the end is cut at the end (as an HTTP/S3 ranged GET is).
  // OutOfRange if offset > size, or offset == size with length > 0 (no byte
  // of the range exists); length 0 at offset <= size gives no bytes.
  // NotFound if absent. Callers that need exactly length bytes must check
  // the size of what they got.
  virtual Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) = 0;

  // Size in bytes. NotFound if absent.
  virtual Result<uint64_t> Size(std::string_view key) = 0;

  // Every object whose key starts with prefix, sorted by key.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;

  // Removes the object. Deleting an absent object is OK (idempotent).
  virtual Status Delete(std::string_view key) = 0;

  // A short description for logs: "file:///var/lib/streamhouse", "memory".
  virtual std::string Describe() const = 0;
};

}  // namespace sh
