// The broker's topic calls (broker.h "topics"): names, partition counts and
// configs are checked here, then the metadata store holds the topic.
#include <algorithm>

#include "broker/broker.h"
#include "broker/broker_impl.h"
#include "broker/topic_settings.h"
#include "metadata/topic_config.h"

namespace sh::broker {

Result<TopicInfo> Broker::GetTopic(const std::string& name) {
  return impl_->metadata_.GetTopic(name);
}

Result<TopicInfo> Broker::GetOrCreateTopic(const std::string& name) {
  Result<TopicInfo> found = impl_->metadata_.GetTopic(name);
  if (found.ok() || found.status().code() != ErrorCode::kNotFound) return found;
  if (!IsValidTopicName(name)) {
    return Status(ErrorCode::kInvalidArgument, SubCode::kInvalidTopicName,
                  "invalid topic name \"" + name + "\"");
  }
  if (!options_.auto_create_topics) return found;
  Status created = CreateTopic(name, -1, {}, false);
  if (!created.ok() && created.code() != ErrorCode::kAlreadyExists) return created;
  return impl_->metadata_.GetTopic(name);
}

Result<std::vector<TopicInfo>> Broker::ListTopics() { return impl_->metadata_.ListTopics(); }

Status Broker::CreateTopic(const std::string& name, int32_t partitions,
                           const std::map<std::string, std::string>& configs, bool validate_only) {
  if (!IsValidTopicName(name)) {
    return {ErrorCode::kInvalidArgument, SubCode::kInvalidTopicName,
            "invalid topic name \"" + name + "\""};
  }
  if (partitions < 0) partitions = options_.default_partitions;
  if (partitions < 1 || partitions > kMaxPartitions) {
    return {ErrorCode::kInvalidArgument, SubCode::kInvalidPartitionCount,
            "topic " + name + ": partition count " + std::to_string(partitions) + " not in 1.." +
                std::to_string(kMaxPartitions)};
  }
  SH_RETURN_IF_ERROR(ValidateTopicConfig(configs).WithContext("topic " + name));
  if (validate_only) {
    Result<TopicInfo> existing = impl_->metadata_.GetTopic(name);
    if (existing.ok()) return Status::AlreadyExists("topic " + name + " already exists");
    if (existing.status().code() != ErrorCode::kNotFound) return existing.status();
    return Status::OK();
  }
  TopicInfo info;
  info.name = name;
  info.partition_count = partitions;
  info.config_json = EncodeTopicConfig(configs);
  info.created_at_ms = impl_->clock_.NowMs();
  return impl_->metadata_.CreateTopic(info);
}

Status Broker::DeleteTopic(const std::string& name) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  impl_->CloseTopic(name);
  // The segment list goes with the metadata, so read it first.
  std::vector<std::string> keys;
  for (int32_t p = 0; p < info.partition_count; ++p) {
    Result<std::vector<SegmentInfo>> segments = impl_->metadata_.ListSegments(name, p);
    if (!segments.ok()) {
      LogIfError(segments.status(), "listing segments of a deleted topic");
      continue;
    }
    for (const SegmentInfo& s : *segments) keys.push_back(s.object_key);
  }
  SH_RETURN_IF_ERROR(impl_->metadata_.DeleteTopic(name));
  // Also whatever is under the topic's prefix without a row (a seal that
  // uploaded but never registered).
  Result<std::vector<ObjectInfo>> listed = impl_->store_.List("topics/" + name + "/");
  if (listed.ok()) {
    for (const ObjectInfo& o : *listed) keys.push_back(o.key);
  } else {
    LogIfError(listed.status(), "listing objects of a deleted topic");
  }
  for (const std::string& key : keys) {
    impl_->cache_.Erase(key);
    Status deleted = impl_->store_.Delete(key);
    if (!deleted.ok()) {
      SH_LOG(WARN) << "topic " << name << " deleted but not its object " << key << ": "
                   << deleted.ToString();
    }
  }
  return Status::OK();
}

Status Broker::CreatePartitions(const std::string& name, int32_t count, bool validate_only) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  if (count <= info.partition_count) {
    return {ErrorCode::kInvalidArgument, SubCode::kInvalidPartitionCount,
            "topic " + name + " has " + std::to_string(info.partition_count) +
                " partitions; cannot change to " + std::to_string(count)};
  }
  if (count > kMaxPartitions) {
    return {ErrorCode::kInvalidArgument, SubCode::kInvalidPartitionCount,
            "topic " + name + ": partition count " + std::to_string(count) + " over " +
                std::to_string(kMaxPartitions)};
  }
  if (validate_only) return Status::OK();
  return impl_->metadata_.AddPartitions(name, count);
}

Result<std::vector<ConfigEntry>> Broker::DescribeTopicConfig(const std::string& name) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  SH_ASSIGN_OR_RETURN(TopicConfig config, ParseTopicConfig(info.config_json));
  return DescribeTopicSettings(options_, config);
}

Status Broker::AlterTopicConfig(const std::string& name,
                                const std::map<std::string, std::string>& set,
                                const std::vector<std::string>& remove, bool incremental,
                                bool validate_only) {
  SH_ASSIGN_OR_RETURN(TopicInfo info, impl_->metadata_.GetTopic(name));
  TopicConfig next;
  if (incremental) {
    SH_ASSIGN_OR_RETURN(next, ParseTopicConfig(info.config_json));
    const std::vector<std::string>& known = SupportedTopicConfigNames();
    for (const std::string& r : remove) {
      if (std::find(known.begin(), known.end(), r) == known.end()) {
        return Status::InvalidArgument("topic " + name + ": unknown topic config " + r);
      }
      next.erase(r);
    }
    for (const auto& [k, v] : set) next[k] = v;
  } else {
    next = set;
  }
  // What the caller sends is checked strictly; names already stored by
  // another tool that this broker does not know are left alone.
  SH_RETURN_IF_ERROR(ValidateTopicConfig(set).WithContext("topic " + name));
  SH_RETURN_IF_ERROR(
      ResolveTopicSettings(options_, next, true).status().WithContext("topic " + name));
  if (validate_only) return Status::OK();
  SH_RETURN_IF_ERROR(impl_->metadata_.UpdateTopicConfig(name, EncodeTopicConfig(next)));
  // New segment settings take effect now where the tail can be sealed; the
  // background pass retries the others.
  Result<TopicSettings> settings = ResolveTopicSettings(options_, next, true);
  if (settings.ok()) {
    for (const auto& leader : impl_->Leaders(&name)) {
      LogIfError(leader->Reconfigure(*settings), "applying topic config");
    }
  }
  return Status::OK();
}
}  // namespace sh::broker
