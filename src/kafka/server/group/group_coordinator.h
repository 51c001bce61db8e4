// GroupCoordinator: every classic consumer group of this agent (docs/design.md §8).
//
// Member state lives in memory (one Group state machine per group id, under
// one mutex); committed offsets live in the MetadataStore, so they survive a
// restart or a move of the coordinator. The coordinator itself never calls
// the store from a request: handlers do, on the blocking executor, after
// asking the coordinator whether the request may proceed.
//
// A background thread (Start) ticks the groups every tick_interval_ms to fire
// deadlines (session expiry, rebalance timeout, initial delay) and sweeps
// expired offsets of empty groups every offsets_retention_check_interval_ms.
// Tests call Tick()/SweepExpiredOffsets() themselves with a ManualClock.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "kafka/server/group/group.h"
#include "kafka/server/group/group_types.h"
#include "metadata/metadata_store.h"

namespace sh::kafka::group {

struct GroupCoordinatorOptions {
  GroupConfig group;
  int64_t tick_interval_ms = 50;
  // offsets.retention.minutes (Kafka: 7 days): the offsets of a group with no
  // members are deleted this long after it became empty (or after its last
  // commit, for a group only known from the store).
  int64_t offsets_retention_ms = 7ll * 24 * 3600 * 1000;
  int64_t offsets_retention_check_interval_ms = 600'000;  // offsets.retention.check.interval.ms

  bool operator==(const GroupCoordinatorOptions&) const = default;
};

struct LeaveMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

class GroupCoordinator {
 public:
  GroupCoordinator(MetadataStore& store, const Clock& clock, GroupCoordinatorOptions options = {});
  ~GroupCoordinator();  // Stop()s
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // Starts the tick thread. Idempotent.
  void Start();
  // Answers every waiting JoinGroup/SyncGroup with NOT_COORDINATOR (clients
  // look for the coordinator again), forgets member state, joins the thread.
  // Call before stopping the Kafka server, so no request stays parked.
  void Stop();

  // cb is called exactly once (see group_types.h).
  void Join(const JoinArgs& args, JoinCallback cb);
  void Sync(const SyncArgs& args, SyncCallback cb);
  KafkaError Heartbeat(const std::string& group_id, int32_t generation_id,
                       const std::string& member_id, const std::optional<std::string>& instance_id);
  // Top-level error (NONE unless the whole request fails) and one per member.
  KafkaError Leave(const std::string& group_id, const std::vector<LeaveMember>& members,
                   std::vector<KafkaError>* member_errors);
  // Whether an OffsetCommit may write; the caller then writes to the store.
  KafkaError CheckCommit(const std::string& group_id, int32_t generation_id,
                         const std::string& member_id,
                         const std::optional<std::string>& instance_id);

  // The in-memory view of a group, or nullopt if no member state is held.
  std::optional<GroupSummary> Describe(const std::string& group_id);
  std::vector<GroupSummary> ListActive();
  // DeleteGroups, in-memory part: NON_EMPTY_GROUP if it has members, else
  // forgets it (sets *was_known if it was held). The caller deletes the rows.
  KafkaError ForgetIfEmpty(const std::string& group_id, bool* was_known);
  // OffsetDelete: NONE with the subscribed topics, or NON_EMPTY_GROUP for a
  // non-consumer group with members.
  KafkaError SubscribedTopics(const std::string& group_id, std::set<std::string>* topics);

  // Fires deadlines of every group at the clock's current time.
  void Tick();
  // Deletes committed offsets of member-less groups past retention. Blocking
  // (store calls); the tick thread runs it; returns the groups deleted.
  Result<std::vector<std::string>> SweepExpiredOffsets();

  MetadataStore& store() { return store_; }
  const Clock& clock() const { return clock_; }
  const GroupCoordinatorOptions& options() const { return options_; }

 private:
  int64_t NowMs() const { return clock_.MonotonicMicros() / 1000; }
  Group* Find(const std::string& group_id);  // REQUIRES: mu_ held
  KafkaError CheckJoinArgs(const JoinArgs& args) const;
  void TickLoop();

  MetadataStore& store_;
  const Clock& clock_;
  const GroupCoordinatorOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Group>> groups_;  // guarded by mu_
  bool running_ = false;                                  // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_
  std::thread thread_;
};

}  // namespace sh::kafka::group
