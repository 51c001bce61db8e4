// For the cluster-mode broker tests: two agents (a1, a2) as two Broker
// instances on one metadata store and one object store, each through its own
// FaultyObjectStore view, with a topic "t" made by a1.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker_test_util.h"

namespace sh::broker {

class TwoAgentTest : public BrokerTest {
 protected:
  static constexpr int64_t kLeaseMs = 8000;
  static constexpr int64_t kMarginMs = 1000;

  // Cluster options, agent a1 open, topic t of `partitions` partitions.
  void SetUpAgents(int32_t partitions) {
    BrokerTest::SetUp();
    options_.cluster_mode = true;
    options_.lease_ms = kLeaseMs;
    options_.lease_safety_margin_ms = kMarginMs;
    options_.wal_flush_interval_ms = 1;
    a1_ = Agent("a1", view1_);
    ASSERT_NE(a1_, nullptr);
    Status s = a1_->CreateTopic("t", partitions, {{"segment.bytes", "4096"}}, false);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void TearDown() override {
    a2_.reset();
    a1_.reset();
  }

  std::unique_ptr<Broker> Agent(const std::string& id, FaultyObjectStore& view) {
    BrokerOptions o = options_;
    o.agent_id = id;
    auto b = Broker::Open(o, *metadata_, view, clock_);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::move(b).value() : nullptr;
  }

  // Records of t/p as `broker` serves them: (offset, value).
  static std::vector<std::pair<int64_t, std::string>> Served(Broker& broker, int32_t p = 0) {
    std::vector<std::pair<int64_t, std::string>> out;
    for (const records::Record& r : Decode(FetchAll(broker, "t", p, 0))) {
      out.emplace_back(r.offset, r.value.value_or(""));
    }
    return out;
  }

  // Produces one batch; the acknowledged records of topic t are kept in acked_.
  void Produce(Broker& broker, int n, const std::string& tag, size_t value_bytes = 10,
               int32_t p = 0, const std::string& topic = "t") {
    Bytes batch = MakeBatch(n, 1000, 1, value_bytes, records::Compression::kNone, tag);
    auto r = broker.Produce(topic, p, batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (topic != "t") return;
    for (const records::Record& rec : Decode(batch)) {
      acked_.emplace_back(r->base_offset + rec.offset, rec.value.value_or(""));
    }
  }

  FaultyObjectStore view1_{memory_};
  FaultyObjectStore view2_{memory_};
  std::unique_ptr<Broker> a1_, a2_;
  std::vector<std::pair<int64_t, std::string>> acked_;  // (offset, value) of t
};

}  // namespace sh::broker
