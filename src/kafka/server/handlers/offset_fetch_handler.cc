#include "kafka/server/handlers/offset_fetch_handler.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/group/group_coordinator.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

using Response = OffsetFetchResponse;

// What one group asks for: topic -> partitions, or nullopt for everything committed.
using TopicRequest = std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>;

struct PartitionAnswer {
  int32_t partition = 0;
  int64_t offset = -1;
  std::string metadata;
  KafkaError error = KafkaError::kNone;
  int32_t leader_epoch = -1;  // as committed; sent in v5+
};

struct GroupAnswer {
  KafkaError error = KafkaError::kNone;
  std::vector<std::pair<std::string, std::vector<PartitionAnswer>>> topics;
};

// A refusal of the whole group; v0-v1 have only per-partition errors, so
// every asked partition carries it too.
GroupAnswer Refused(const TopicRequest& wanted, KafkaError error) {
  GroupAnswer out;
  out.error = error;
  if (wanted.has_value()) {
    for (const auto& [topic, partitions] : *wanted) {
      std::vector<PartitionAnswer> answers;
      for (int32_t p : partitions) answers.push_back({p, -1, "", error});
      out.topics.emplace_back(topic, std::move(answers));
    }
  }
  return out;
}

// Blocking: reads the group's committed offsets from the store.
GroupAnswer FetchGroup(MetadataStore& store, const std::string& group_id,
                       const TopicRequest& wanted) {
  GroupAnswer out;
  std::map<std::pair<std::string, int32_t>, const CommittedOffset*> by_partition;
  Result<std::vector<CommittedOffset>> committed = store.FetchOffsets(group_id);
  if (!committed.ok() && committed.status().code() != ErrorCode::kNotFound) {
    return Refused(wanted, KafkaErrorFor(committed.status(), ApiKey::kOffsetFetch));
  }
  if (committed.ok()) {
    for (const CommittedOffset& o : *committed) by_partition[{o.topic, o.partition}] = &o;
  }
  if (!wanted.has_value()) {
    // Every committed offset, grouped by topic.
    for (const auto& [key, o] : by_partition) {
      if (out.topics.empty() || out.topics.back().first != key.first) {
        out.topics.emplace_back(key.first, std::vector<PartitionAnswer>{});
      }
      out.topics.back().second.push_back(
          {key.second, o->offset, o->metadata, KafkaError::kNone, o->leader_epoch});
    }
    return out;
  }
  for (const auto& [topic, partitions] : *wanted) {
    std::vector<PartitionAnswer> answers;
    for (int32_t p : partitions) {
      auto it = by_partition.find({topic, p});
      if (it == by_partition.end()) {
        answers.push_back({p, -1, ""});  // nothing committed
      } else {
        const CommittedOffset& o = *it->second;
        answers.push_back({p, o.offset, o.metadata, KafkaError::kNone, o.leader_epoch});
      }
    }
    out.topics.emplace_back(topic, std::move(answers));
  }
  return out;
}

template <typename Topics>
TopicRequest Wanted(const std::optional<Topics>& topics) {
  if (!topics.has_value()) return std::nullopt;
  TopicRequest out(std::in_place);
  for (const auto& t : *topics) out->emplace_back(t.name, t.partition_indexes);
  return out;
}

template <typename TopicT, typename PartitionT>
std::vector<TopicT> ToWire(const GroupAnswer& answer) {
  std::vector<TopicT> topics;
  for (const auto& [name, partitions] : answer.topics) {
    TopicT t;
    t.name = name;
    for (const PartitionAnswer& p : partitions) {
      PartitionT wire;
      wire.partition_index = p.partition;
      wire.committed_offset = p.offset;
      wire.committed_leader_epoch = p.leader_epoch;
      wire.metadata = p.metadata;
      wire.error_code = Code(p.error);
      t.partitions.push_back(std::move(wire));
    }
    topics.push_back(std::move(t));
  }
  return topics;
}

// One group's answer; a group coordinated by another agent is
// NOT_COORDINATOR (per group in v8+).
asio::awaitable<GroupAnswer> AnswerGroup(RequestContext& ctx, const ClusterView* view,
                                         MetadataStore& store, const std::string& group_id,
                                         const TopicRequest& wanted) {
  if (KafkaError e = CoordinatorError(view, group_id); e != KafkaError::kNone) {
    co_return Refused(wanted, e);
  }
  co_return co_await ctx.blocking.Run([&] { return FetchGroup(store, group_id, wanted); });
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> OffsetFetchHandler::Handle(RequestContext& ctx) {
  Result<OffsetFetchRequest> req = DecodeRequest<OffsetFetchRequest>(ctx);
  if (!req.ok()) co_return req.status();
  MetadataStore& store = coordinator_.store();
  Response resp;
  if (ctx.header.request_api_version >= 8) {
    for (const auto& g : req->groups) {
      TopicRequest wanted = Wanted(g.topics);
      GroupAnswer a = co_await AnswerGroup(ctx, cluster_.get(), store, g.group_id, wanted);
      Response::OffsetFetchResponseGroup group;
      group.group_id = g.group_id;
      group.error_code = Code(a.error);
      group.topics =
          ToWire<Response::OffsetFetchResponseTopics, Response::OffsetFetchResponsePartitions>(a);
      resp.groups.push_back(std::move(group));
    }
  } else {
    TopicRequest wanted = Wanted(req->topics);
    GroupAnswer a = co_await AnswerGroup(ctx, cluster_.get(), store, req->group_id, wanted);
    resp.error_code = Code(a.error);
    resp.topics =
        ToWire<Response::OffsetFetchResponseTopic, Response::OffsetFetchResponsePartition>(a);
  }
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
