#include "kafka/server/handlers/delete_topics_handler.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.h"
#include "kafka/server/blocking_executor.h"
#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

using TopicResult = DeleteTopicsResponse::DeletableTopicResult;

// Kafka's UNKNOWN_TOPIC_ID (v6 requests that name a topic by id only).
constexpr int16_t kUnknownTopicId = 100;

// The v6 form of every version's request: v0-v5 list names only.
std::vector<DeleteTopicsRequest::DeleteTopicState> Entries(const DeleteTopicsRequest& req,
                                                           int16_t version) {
  if (version >= 6) return req.topics;
  std::vector<DeleteTopicsRequest::DeleteTopicState> out;
  for (const std::string& name : req.topic_names) out.push_back({name, Uuid{}});
  return out;
}

}  // namespace

asio::awaitable<Result<std::optional<Bytes>>> DeleteTopicsHandler::Handle(RequestContext& ctx) {
  Result<DeleteTopicsRequest> req = DecodeRequest<DeleteTopicsRequest>(ctx);
  if (!req.ok()) co_return req.status();
  int16_t version = ctx.header.request_api_version;
  DeleteTopicsResponse resp = co_await ctx.blocking.Run([&] { return Answer(*req, version); });
  co_return EncodeResponse(ctx, resp);
}

DeleteTopicsResponse DeleteTopicsHandler::Answer(const DeleteTopicsRequest& req, int16_t version) {
  std::vector<DeleteTopicsRequest::DeleteTopicState> entries = Entries(req, version);
  std::map<std::string, int> count;
  for (const auto& e : entries) {
    if (e.name.has_value()) ++count[*e.name];
  }
  DeleteTopicsResponse resp;
  for (const auto& e : entries) {
    TopicResult r;
    r.name = e.name;
    r.topic_id = e.topic_id;
    if (!e.name.has_value()) {
      bool has_id = e.topic_id != Uuid{};
      r.error_code = has_id ? kUnknownTopicId : Code(KafkaError::kInvalidRequest);
      r.error_message = has_id ? "StreamHouse does not know topics by id; delete it by name"
                               : "the entry has neither a topic name nor a topic id";
    } else if (count[*e.name] > 1) {
      r.error_code = Code(KafkaError::kInvalidRequest);
      r.error_message = "topic '" + *e.name + "' appears more than once in the request";
    } else if (Status st = broker_.DeleteTopic(*e.name); !st.ok()) {
      r.error_code = Code(KafkaErrorFor(st, ApiKey::kDeleteTopics));
      r.error_message = st.message();
    }
    resp.responses.push_back(std::move(r));
  }
  return resp;
}

}  // namespace sh::kafka
