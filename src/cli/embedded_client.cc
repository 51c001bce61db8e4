#include "cli/embedded_client.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/clock.h"
#include "metadata/sqlite_metadata_store.h"
#include "metadata/topic_config.h"
#include "objstore/local_object_store.h"
#include "records/record_batch.h"
#include "storage/partition_reader.h"
#include "storage/partition_writer.h"
#include "storage/segment_index.h"

namespace sh::cli {

Result<std::unique_ptr<EmbeddedClient>> EmbeddedClient::Open(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::IOError("cannot create data directory " + data_dir + ": " + ec.message());
  std::string lock_path = data_dir + "/LOCK";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Unavailable("data directory " + data_dir +
                               " is in use by another process (a running agent? then use "
                               "--bootstrap HOST:PORT)");
  }
  auto metadata = SqliteMetadataStore::Open(data_dir + "/metadata.db");
  if (!metadata.ok()) {
    ::close(fd);
    return metadata.status();
  }
  auto store = LocalObjectStore::Open(data_dir);
  if (!store.ok()) {
    ::close(fd);
    return store.status();
  }
  return std::unique_ptr<EmbeddedClient>(
      new EmbeddedClient(fd, std::move(metadata).value(), std::move(store).value()));
}

EmbeddedClient::EmbeddedClient(int lock_fd, std::unique_ptr<MetadataStore> metadata,
                               std::unique_ptr<ObjectStore> store)
    : lock_fd_(lock_fd),
      metadata_(std::move(metadata)),
      reads_(*metadata_),
      store_(std::move(store)),
      cache_(64 << 20) {}

EmbeddedClient::~EmbeddedClient() { ::close(lock_fd_); }

Status EmbeddedClient::CreateTopic(const std::string& name, int32_t partitions,
                                   const std::map<std::string, std::string>& config) {
  TopicInfo topic;
  topic.name = name;
  topic.partition_count = partitions;
  topic.config_json = EncodeTopicConfig(config);
  topic.created_at_ms = SystemClock::Get()->NowMs();
  return metadata_->CreateTopic(topic);
}

Result<std::vector<std::string>> EmbeddedClient::ListTopics() { return reads_.ListTopics(); }

Result<TopicDescription> EmbeddedClient::DescribeTopic(const std::string& name) {
  return reads_.DescribeTopic(name);
}

Status EmbeddedClient::DeleteTopic(const std::string& name) {
  SH_ASSIGN_OR_RETURN(std::vector<PartitionInfo> partitions, metadata_->ListPartitions(name));
  // Metadata first: once the rows are gone no reader looks for the objects,
  // and an object left behind by a crash here is garbage, never a hole.
  std::vector<std::string> keys;
  for (const PartitionInfo& p : partitions) {
    SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                        metadata_->ListSegments(name, p.partition, 0));
    for (const SegmentInfo& s : segments) keys.push_back(s.object_key);
  }
  SH_RETURN_IF_ERROR(metadata_->DeleteTopic(name));
  for (const std::string& key : keys) SH_RETURN_IF_ERROR(store_->Delete(key));
  return Status::OK();
}

Result<int64_t> EmbeddedClient::Produce(const std::string& topic, int32_t partition,
                                        ByteView batch) {
  SH_RETURN_IF_ERROR(reads_.CheckPartition(topic, partition));
  SH_ASSIGN_OR_RETURN(
      std::unique_ptr<storage::PartitionWriter> writer,
      storage::PartitionWriter::Open(topic, partition, *store_, *metadata_, nullptr,
                                     *SystemClock::Get(), storage::PartitionWriterOptions{}));
  SH_ASSIGN_OR_RETURN(storage::AppendResult appended, writer->Append(batch));
  SH_RETURN_IF_ERROR(writer->Flush());
  return appended.base_offset;
}

Result<FetchResult> EmbeddedClient::Fetch(const std::string& topic, int32_t partition,
                                          int64_t offset, size_t max_bytes) {
  SH_RETURN_IF_ERROR(reads_.CheckPartition(topic, partition));
  SH_ASSIGN_OR_RETURN(PartitionInfo info, metadata_->GetPartition(topic, partition));
  FetchResult out;
  out.high_watermark = info.high_watermark;
  out.log_start_offset = info.log_start_offset;
  if (offset < info.log_start_offset || offset > info.high_watermark) {
    return Status::OutOfRange("offset " + std::to_string(offset) + " is outside " + topic + "/" +
                              std::to_string(partition) + "'s log [" +
                              std::to_string(info.log_start_offset) + ", " +
                              std::to_string(info.high_watermark) + "]");
  }
  if (offset == info.high_watermark) return out;
  auto& index = indexes_[{topic, partition}];
  if (!index) {
    index =
        std::make_unique<storage::SegmentIndex>(topic, partition, *metadata_, *SystemClock::Get());
  }
  storage::PartitionReader reader(topic, partition, *store_, *index, cache_);
  SH_ASSIGN_OR_RETURN(storage::ReadResult read, reader.Read(offset, max_bytes));
  out.batches = std::move(read.batches);
  return out;
}

Result<std::vector<SegmentInfo>> EmbeddedClient::ListSegments(const std::string& topic,
                                                              int32_t partition) {
  return reads_.ListSegments(topic, partition);
}

}  // namespace sh::cli

// ---- consumer groups ----
// No agent runs on a locked data directory, so no group has members here: a
// group the store knows is Empty, as an agent would report it after a restart.

namespace sh::cli {

Result<std::vector<GroupListing>> EmbeddedClient::ListGroups() { return reads_.ListGroups(); }

Result<GroupDescription> EmbeddedClient::DescribeGroup(const std::string& group) {
  return reads_.DescribeGroup(group);
}

Result<std::vector<GroupOffset>> EmbeddedClient::FetchCommittedOffsets(const std::string& group) {
  return reads_.FetchCommittedOffsets(group);
}

Status EmbeddedClient::CommitOffsets(const std::string& group,
                                     const std::vector<GroupOffset>& offsets) {
  const int64_t now = SystemClock::Get()->NowMs();
  std::vector<CommittedOffset> rows;
  for (const GroupOffset& o : offsets) {
    SH_RETURN_IF_ERROR(reads_.CheckPartition(o.topic, o.partition));
    rows.push_back({group, o.topic, o.partition, o.offset, o.metadata, now});
  }
  return metadata_->CommitOffsets(rows);
}

Status EmbeddedClient::DeleteGroup(const std::string& group) {
  Status st = metadata_->DeleteGroup(group);
  if (st.code() == ErrorCode::kNotFound) {
    return Status::NotFound("group " + group + " does not exist");
  }
  return st;
}

Result<std::optional<int64_t>> EmbeddedClient::OffsetForTimestamp(const std::string& topic,
                                                                  int32_t partition,
                                                                  int64_t timestamp_ms) {
  SH_RETURN_IF_ERROR(reads_.CheckPartition(topic, partition));
  SH_ASSIGN_OR_RETURN(PartitionInfo info, metadata_->GetPartition(topic, partition));
  // Skip the sealed segments whose records are all older; from the first
  // that may hold a match on, scan batch by batch (timestamps need not grow
  // with offsets, so a later segment can still hold the first match).
  int64_t from = info.log_start_offset;
  SH_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                      metadata_->ListSegments(topic, partition, from));
  for (const SegmentInfo& s : segments) {
    if (s.max_timestamp_ms >= timestamp_ms) break;
    from = std::max(from, s.end_offset);
  }
  while (from < info.high_watermark) {
    SH_ASSIGN_OR_RETURN(FetchResult fetched, Fetch(topic, partition, from, 1 << 20));
    if (fetched.batches.empty()) break;
    SH_ASSIGN_OR_RETURN(std::vector<records::RecordBatchView> batches,
                        records::ParseBatches(fetched.batches));
    for (const records::RecordBatchView& batch : batches) {
      if (batch.last_offset() >= from && batch.max_timestamp() >= timestamp_ms) {
        SH_ASSIGN_OR_RETURN(std::vector<records::Record> recs, batch.DecodeRecords());
        for (const records::Record& r : recs) {
          if (r.offset >= from && r.timestamp >= timestamp_ms) return std::optional(r.offset);
        }
      }
      from = std::max(from, batch.last_offset() + 1);
    }
  }
  return std::optional<int64_t>();
}

Result<std::vector<AgentListing>> EmbeddedClient::ListAgents() { return reads_.ListAgents(); }

Result<std::vector<LeaseListing>> EmbeddedClient::ListLeases(
    const std::optional<std::string>& topic) {
  return reads_.ListLeases(topic);
}

}  // namespace sh::cli
