// ListOffsets (key 2), versions 0-7 (Kafka 3.0's maximum).
//
// timestamp -2: the log start offset; -1: the high watermark; >= 0: the first
// offset whose record timestamp is >= it (offset -1 and timestamp -1 if no
// record is that late); -3 (max timestamp, v7): the offset of the record with
// the largest timestamp. v0 answers in old_style_offsets.
#pragma once

#include "broker/broker.h"
#include "kafka/server/handler.h"

namespace sh::kafka {

class ListOffsetsHandler final : public Handler {
 public:
  explicit ListOffsetsHandler(broker::Broker& broker) : broker_(broker) {}
  ApiKey api_key() const override { return ApiKey::kListOffsets; }
  int16_t min_version() const override { return 0; }
  int16_t max_version() const override { return 7; }
  asio::awaitable<Result<std::optional<Bytes>>> Handle(RequestContext& ctx) override;

 private:
  broker::Broker& broker_;
};

}  // namespace sh::kafka
