#include "kafka/server/handlers/fetch_handler.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kafka/protocol/generated/fetch.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"
#include "kafka/server/handlers/cluster_access.h"

namespace sh::kafka {
namespace {

using Response = FetchResponse;

// Wakes a waiting fetch when data arrives. The timer is only touched on
// `strand` (listeners post there; the wait runs there), so a wake-up from a
// producer's thread never races the wait.
struct Waiter {
  explicit Waiter(asio::any_io_executor executor)
      : strand(asio::make_strand(executor)), timer(strand) {}
  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer timer;
  bool woken = false;  // guarded by strand
};

// What the data listeners of one request reach: the waiter while the
// request waits, nothing once it is done. The waiter's timer and strand
// belong to the request's io_context, which may be destroyed as soon as the
// request is (a server stopping), while the broker may still be calling a
// copy of a listener on its WAL thread. So a listener never holds the last
// reference to the waiter: it copies it only under mu, into the completion it
// posts (run or destroyed by that context), and the request drops the link's
// own reference under mu too (Detach).
class WakeLink {
 public:
  explicit WakeLink(std::shared_ptr<Waiter> waiter) : waiter_(std::move(waiter)) {}

  // On any thread.
  void Wake() {
    std::lock_guard lock(mu_);
    if (!waiter_) return;
    asio::post(waiter_->strand, [w = waiter_] {
      w->woken = true;
      w->timer.cancel();
    });
  }

  // On the request's thread, or while its context destroys the request.
  void Detach() {
    std::lock_guard lock(mu_);
    waiter_.reset();
  }

 private:
  std::mutex mu_;
  std::shared_ptr<Waiter> waiter_;  // guarded by mu_; null once detached
};

// The data listeners of one request, detached and removed when the request's
// frame goes, also when the frame is destroyed without resuming.
class Listeners {
 public:
  Listeners(broker::Broker& broker, std::shared_ptr<Waiter> waiter)
      : broker_(broker), link_(std::make_shared<WakeLink>(std::move(waiter))) {}
  ~Listeners() {
    link_->Detach();
    for (uint64_t id : ids_) broker_.RemoveDataListener(id);
  }
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  void Listen(const std::string& topic, int32_t partition) {
    ids_.push_back(broker_.AddDataListener(topic, partition, [link = link_] { link->Wake(); }));
  }

 private:
  broker::Broker& broker_;
  std::shared_ptr<WakeLink> link_;
  std::vector<uint64_t> ids_;
};

asio::awaitable<void> WaitForData(std::shared_ptr<Waiter> waiter,
                                  std::chrono::steady_clock::time_point deadline) {
  // Runs on waiter->strand.
  if (!waiter->woken) {
    waiter->timer.expires_at(deadline);
    asio::error_code ec;  // operation_aborted: woken by a listener
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  waiter->woken = false;
}

// Whether this agent may serve the partition to this request: it leads it,
// and the client's current_leader_epoch (if any) is the leader's.
KafkaError CheckPartition(broker::Broker& broker, const ClusterView* view, const std::string& topic,
                          const FetchRequest::FetchPartition& p) {
  if (KafkaError e = LeadershipError(view, topic, p.partition); e != KafkaError::kNone) return e;
  if (p.current_leader_epoch < 0) return KafkaError::kNone;
  Result<int32_t> epoch = EffectiveLeaderEpoch(
      view, topic, p.partition, [&] { return broker.LeaderEpoch(topic, p.partition); });
  if (!epoch.ok()) return KafkaErrorFor(epoch.status(), ApiKey::kFetch);
  return LeaderEpochError(p.current_leader_epoch, *epoch);
}

// Reads every partition of the request once; returns the bytes gathered.
size_t ReadOnce(broker::Broker& broker, const ClusterView* view, const FetchRequest& req,
                std::vector<Response::FetchableTopicResponse>* out) {
  out->clear();
  size_t total = 0;
  const size_t max_bytes = static_cast<size_t>(std::max(req.max_bytes, 0));
  for (const FetchRequest::FetchTopic& t : req.topics) {
    Response::FetchableTopicResponse topic;
    topic.topic = t.topic;
    for (const FetchRequest::FetchPartition& p : t.partitions) {
      Response::PartitionData data;
      data.partition_index = p.partition;
      if (KafkaError e = CheckPartition(broker, view, t.topic, p); e != KafkaError::kNone) {
        data.error_code = Code(e);
        data.high_watermark = -1;
        data.records = Bytes();
        topic.partitions.push_back(std::move(data));
        continue;
      }
      // The request's max_bytes is soft: the first non-empty partition may
      // exceed it (one whole batch), so a consumer always makes progress.
      size_t remaining = max_bytes > total ? max_bytes - total : 0;
      size_t limit =
          std::min<size_t>(static_cast<size_t>(std::max(p.partition_max_bytes, 0)), remaining);
      Result<broker::FetchResult> fetched(Status::OK());
      if (limit == 0 && total > 0) {
        fetched = Result<broker::FetchResult>(broker::FetchResult{});
        Result<broker::PartitionOffsets> offsets = broker.Offsets(t.topic, p.partition);
        if (offsets.ok()) {
          fetched->high_watermark = offsets->high_watermark;
          fetched->log_start_offset = offsets->log_start_offset;
        } else {
          fetched = offsets.status();
        }
      } else {
        fetched = broker.Fetch(t.topic, p.partition, p.fetch_offset, std::max<size_t>(limit, 1));
      }
      if (!fetched.ok()) {
        data.error_code = Code(KafkaErrorFor(fetched.status(), ApiKey::kFetch));
        data.high_watermark = -1;
        data.records = Bytes();
      } else {
        data.high_watermark = fetched->high_watermark;
        data.last_stable_offset = fetched->high_watermark;
        data.log_start_offset = fetched->log_start_offset;
        total += fetched->batches.size();
        data.records = std::move(fetched->batches);
      }
      topic.partitions.push_back(std::move(data));
    }
    out->push_back(std::move(topic));
  }
  return total;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> FetchHandler::Handle(RequestContext& ctx) {
  Result<FetchRequest> decoded = DecodeRequest<FetchRequest>(ctx);
  if (!decoded.ok()) co_return decoded.status();
  FetchRequest& req = *decoded;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(req.max_wait_ms, 0));
  const size_t min_bytes = static_cast<size_t>(std::max(req.min_bytes, 1));

  // Listeners are registered before the first read, so records appended
  // between that read and the wait still wake it.
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  Listeners listeners(broker_, waiter);
  if (req.max_wait_ms > 0) {
    for (const auto& t : req.topics) {
      for (const auto& p : t.partitions) listeners.Listen(t.topic, p.partition);
    }
  }

  Response resp;
  while (true) {
    size_t total = co_await ctx.blocking.Run(
        [&] { return ReadOnce(broker_, cluster_.get(), req, &resp.responses); });
    if (total >= min_bytes || std::chrono::steady_clock::now() >= deadline) break;
    bool any_error = false;
    for (const auto& t : resp.responses) {
      for (const auto& p : t.partitions) any_error |= p.error_code != 0;
    }
    if (any_error) break;  // errors are answered at once, as Kafka does
    co_await asio::co_spawn(waiter->strand, WaitForData(waiter, deadline), asio::use_awaitable);
  }
  resp.session_id = 0;
  co_return EncodeResponse(ctx, resp);
}

}  // namespace sh::kafka
