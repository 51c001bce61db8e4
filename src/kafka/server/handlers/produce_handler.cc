#include "kafka/server/handlers/produce_handler.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"
#include "kafka/protocol/generated/produce.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/completion.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

using Response = ProduceResponse;
using Topics = std::vector<Response::TopicProduceResponse>;

Response::PartitionProduceResponse Fail(int32_t index, KafkaError error, std::string message) {
  Response::PartitionProduceResponse out;
  out.index = index;
  out.error_code = Code(error);
  out.base_offset = -1;
  out.error_message = std::move(message);
  return out;
}

Response::PartitionProduceResponse Answer(int32_t index, const std::string& topic,
                                          const Result<broker::ProduceResult>& produced) {
  if (!produced.ok()) {
    SH_LOG(DEBUG) << "produce to " << topic << "/" << index
                  << " failed: " << produced.status().ToString();
    return Fail(index, KafkaErrorFor(produced.status(), ApiKey::kProduce),
                produced.status().message());
  }
  Response::PartitionProduceResponse out;
  out.index = index;
  out.base_offset = produced->base_offset;
  out.log_append_time_ms = produced->log_append_time_ms;
  out.log_start_offset = produced->log_start_offset;
  return out;
}

// The responses of one request, filled in by the broker's callbacks (on
// worker or WAL threads); the last one completes the awaiting coroutine.
class PendingProduce {
 public:
  PendingProduce(Completion<Topics> done, Topics topics, size_t partitions)
      : done_(std::move(done)), topics_(std::move(topics)), remaining_(partitions) {}

  void Set(size_t t, size_t p, Response::PartitionProduceResponse response) {
    std::unique_lock lock(mu_);
    topics_[t].partition_responses[p] = std::move(response);
    if (--remaining_ > 0) return;
    lock.unlock();
    done_(std::move(topics_));
  }

 private:
  Completion<Topics> done_;
  std::mutex mu_;
  Topics topics_;     // guarded by mu_
  size_t remaining_;  // guarded by mu_
};

// Starts every partition's produce; done gets the responses.
void StartProduce(broker::Broker& broker, std::shared_ptr<const ClusterView> cluster,
                  BlockingExecutor& blocking, const ProduceRequest& req,
                  std::function<void()> release_order, Completion<Topics> done) {
  Topics topics;
  size_t partitions = 0;
  for (const ProduceRequest::TopicProduceData& t : req.topic_data) {
    Response::TopicProduceResponse topic;
    topic.name = t.name;
    topic.partition_responses.resize(t.partition_data.size());
    partitions += t.partition_data.size();
    topics.push_back(std::move(topic));
  }
  if (partitions == 0) {
    done(std::move(topics));
    return;
  }
  auto pending = std::make_shared<PendingProduce>(std::move(done), std::move(topics), partitions);
  // What the worker needs, taken now: once the last partition is answered the
  // awaiting coroutine resumes (on another thread) and req is destroyed, so
  // the worker must not read req after its last call. Record bytes are read
  // only inside ProduceAsync, before that partition's answer.
  struct Item {
    size_t ti, pi;
    std::string topic;
    int32_t index;
    std::optional<ByteView> records;
  };
  std::vector<Item> items;
  for (size_t ti = 0; ti < req.topic_data.size(); ++ti) {
    const ProduceRequest::TopicProduceData& t = req.topic_data[ti];
    for (size_t pi = 0; pi < t.partition_data.size(); ++pi) {
      const auto& p = t.partition_data[pi];
      std::optional<ByteView> records;
      if (p.records) records = ByteView(*p.records);
      items.push_back({ti, pi, t.name, p.index, records});
    }
  }
  const int16_t acks = req.acks;
  const bool transactional = req.transactional_id.has_value();
  // The lookups inside ProduceAsync may block: run them on a worker.
  asio::post(blocking.executor(), [&broker, cluster = std::move(cluster), items = std::move(items),
                               acks, transactional, pending,
                               release_order = std::move(release_order)] {
    for (const Item& item : items) {
      if (acks != 0 && acks != 1 && acks != -1) {
        pending->Set(item.ti, item.pi,
                     Fail(item.index, KafkaError::kInvalidRequiredAcks,
                          "acks must be -1, 0 or 1, not " + std::to_string(acks)));
      } else if (transactional) {
        // Transactions are not supported: refuse rather than write records
        // that a read_committed consumer would treat wrongly.
        pending->Set(item.ti, item.pi,
                     Fail(item.index, KafkaError::kTransactionalIdAuthorizationFailed,
                          "transactions are not supported"));
      } else if (KafkaError led = LeadershipError(cluster.get(), item.topic, item.index);
                 led != KafkaError::kNone) {
        pending->Set(item.ti, item.pi,
                     Fail(item.index, led, "this agent does not lead the partition"));
      } else if (!item.records || item.records->empty()) {
        pending->Set(item.ti, item.pi, Fail(item.index, KafkaError::kCorruptMessage, "no records"));
      } else {
        broker.ProduceAsync(
            item.topic, item.index, *item.records,
            [pending, ti = item.ti, pi = item.pi, index = item.index, name = item.topic](
                Result<broker::ProduceResult> r) { pending->Set(ti, pi, Answer(index, name, r)); });
      }
    }
    // Every partition has its offsets (the WAL entries are queued in order):
    // the connection may start its next request while this one waits for
    // durability. Its response still goes out first.
    if (release_order) release_order();
  });
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> ProduceHandler::Handle(RequestContext& ctx) {
  Result<ProduceRequest> decoded = DecodeRequest<ProduceRequest>(ctx);
  if (!decoded.ok()) co_return decoded.status();
  ProduceRequest& req = *decoded;
  Response resp;
  resp.responses = co_await AwaitCompletion<Topics>([this, &ctx, &req](Completion<Topics> done) {
    StartProduce(broker_, cluster_, ctx.blocking, req, ctx.release_order, std::move(done));
  });
  if (req.acks == 0) co_return std::optional<Bytes>();
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
