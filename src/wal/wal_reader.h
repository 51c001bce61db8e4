// Reading WAL objects: parse and check one object, list an agent's objects.
//
// ParseWalObject checks every byte it returns: the header CRCs, the trailer
// (magic, CRC, entry count, the chain CRC over the entries), each entry's
// CRC-32C and the header-level structure of its batches. A failure is
// Corruption (Unsupported for a valid header of another version) with a
// message "wal object {key}: {torn|corrupt}: {region}: {what}", region one
// of `header`, `header: agent id`, `entry i`, `trailer`, `size`.
//
// Torn vs corrupt: a torn object is a strict prefix of a valid object (a
// Put cut short by a store that is not atomic). The header carries the
// object's total size under its CRC, so: fewer bytes than the header's 40,
// or a valid header whose size is more than the bytes present, is TORN;
// everything else that fails (a CRC mismatch or bad structure in an object
// of exactly its declared size, a bad header CRC, extra bytes) is CORRUPT.
// A single changed byte can therefore never make a complete object look torn.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "objstore/object_store.h"
#include "wal/wal_format.h"

namespace sh::wal {

enum class WalDamage : uint8_t {
  kNone = 0,  // parsed (or failed for a reason other than the bytes, e.g. I/O)
  kTorn,      // the object ends early: a prefix of a valid object
  kCorrupt,   // a complete object whose bytes fail a check
};
const char* WalDamageName(WalDamage damage);

// One parsed entry. Views borrow the bytes given to ParseWalObject.
struct WalEntryView {
  std::string_view topic;
  int32_t partition = 0;
  int64_t leader_epoch = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t record_count = 0;
  ByteView batches;
  uint64_t position = 0;  // where the entry starts in the object
};

struct WalObject {
  std::string key;
  WalHeader header;
  std::vector<WalEntryView> entries;  // borrow the parsed bytes
};

// Parses and checks a whole object. If damage is not null it is set to
// kNone on success, else to how the object is damaged. When key is a WAL
// key (ParseWalObjectKey), the header's agent id and sequence must match it.
Result<WalObject> ParseWalObject(std::string key, ByteView bytes, WalDamage* damage = nullptr);

struct WalObjectInfo {
  std::string key;
  uint64_t sequence = 0;
  uint64_t size = 0;
};

// The agent's WAL objects, sorted by sequence. InvalidArgument if the agent
// id fails ValidateAgentId. Keys under the agent's prefix
// that are not WAL object keys (e.g. another agent "a/b" nested below) are
// skipped.
Result<std::vector<WalObjectInfo>> ListWal(ObjectStore& store, std::string_view agent_id);

// Every agent's WAL objects, by agent id, each sorted by sequence, from one
// listing of "wal/" (takeover reads every agent's directory, live or not).
// Keys under "wal/" that are not WAL object keys are skipped, so a directory
// holding none contributes no agent.
Result<std::map<std::string, std::vector<WalObjectInfo>>> ListAllWal(ObjectStore& store);

}  // namespace sh::wal
