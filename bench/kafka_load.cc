// kafka_load: produce/consume load over the Kafka protocol with librdkafka.
//
// Produces fixed-size records at a chosen rate (or as fast as the producer
// goes), measures per-record produce latency from enqueue to delivery report,
// then (mode both/consume) reads the records back from the start of every
// partition and measures consume throughput. Every phase is bounded in time.
//
//   kafka_load --bootstrap HOST:PORT --topic T [--partitions N] [--record-size B]
//              (--records N | --seconds S) [--rate R] [--acks all|1|0]
//              [--compression none|gzip|snappy|lz4|zstd] [--mode produce|consume|both]
//              [--linger-ms MS] [--max-seconds S]
//
// Output: human-readable lines, then one `RESULT key=value ...` line per phase
// for scripts (scripts/load-test.sh).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bootstrap;
  std::string topic;
  int partitions = 3;
  size_t record_size = 100;
  int64_t records = 0;
  double seconds = 0;
  double rate = 0;  // records/s; 0: unlimited
  std::string acks = "all";
  std::string compression = "none";
  std::string mode = "both";
  int linger_ms = 5;
  double max_seconds = 600;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "kafka_load: %s\n"
               "usage: kafka_load --bootstrap HOST:PORT --topic T [--partitions N]\n"
               "  [--record-size B] (--records N | --seconds S) [--rate R/s] [--acks all|1|0]\n"
               "  [--compression none|gzip|snappy|lz4|zstd] [--mode produce|consume|both]\n"
               "  [--linger-ms MS] [--max-seconds S]\n",
               why);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") Usage("produce/consume load over the Kafka protocol");
    if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
    std::string v = argv[++i];
    if (a == "--bootstrap") {
      o.bootstrap = v;
    } else if (a == "--topic") {
      o.topic = v;
    } else if (a == "--partitions") {
      o.partitions = std::atoi(v.c_str());
    } else if (a == "--record-size") {
      o.record_size = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--records") {
      o.records = std::strtoll(v.c_str(), nullptr, 10);
    } else if (a == "--seconds") {
      o.seconds = std::atof(v.c_str());
    } else if (a == "--rate") {
      o.rate = std::atof(v.c_str());  // accepts "5000" and "5000/s"
    } else if (a == "--acks") {
      o.acks = v;
    } else if (a == "--compression") {
      o.compression = v;
    } else if (a == "--mode") {
      o.mode = v;
    } else if (a == "--linger-ms") {
      o.linger_ms = std::atoi(v.c_str());
    } else if (a == "--max-seconds") {
      o.max_seconds = std::atof(v.c_str());
    } else {
      Usage(("unknown flag " + a).c_str());
    }
  }
  if (o.bootstrap.empty() || o.topic.empty()) Usage("--bootstrap and --topic are required");
  if (o.records <= 0 && o.seconds <= 0 && o.mode != "consume")
    Usage("one of --records N or --seconds S is required");
  if (o.partitions <= 0 || o.record_size == 0) Usage("--partitions and --record-size must be > 0");
  if (o.mode != "produce" && o.mode != "consume" && o.mode != "both") Usage("bad --mode");
  if (o.acks == "all") o.acks = "-1";
  return o;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

void SetOrDie(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka_load: config %s=%s: %s\n", key, value.c_str(), err);
    std::exit(2);
  }
}

rd_kafka_t* NewClient(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "kafka_load: rd_kafka_new: %s\n", err);
    std::exit(1);
  }
  return rk;
}

// Creates the topic unless it exists; the agent may also auto-create it.
void EnsureTopic(const Options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  SetOrDie(conf, "bootstrap.servers", o.bootstrap);
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, conf);
  char err[512];
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, 1, err, sizeof(err));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  if (ev == nullptr) {
    std::fprintf(stderr, "kafka_load: CreateTopics %s: no answer in 30 s\n", o.topic.c_str());
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** topics =
        res ? rd_kafka_CreateTopics_result_topics(res, &n) : nullptr;
    rd_kafka_resp_err_t e =
        n > 0 ? rd_kafka_topic_result_error(topics[0]) : rd_kafka_event_error(ev);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      std::fprintf(stderr, "kafka_load: CreateTopics %s: %s\n", o.topic.c_str(),
                   rd_kafka_err2str(e));
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
}

struct ProduceState {
  std::vector<int64_t> latencies_ns;
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> failed{0};
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// Delivery reports run on the thread calling rd_kafka_poll/flush (this one).
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<ProduceState*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (st->failed++ == 0) st->first_error = m->err;
    return;
  }
  int64_t enqueued = static_cast<int64_t>(reinterpret_cast<intptr_t>(m->_private));
  st->latencies_ns.push_back(NowNs() - enqueued);
  st->delivered++;
}

double Percentile(std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]) / 1e6;
}

// A pool of pseudo-random bytes; record i takes a slice at a position that moves by a
// large prime stride, so neither the codec nor the agent's segment compression sees
// repeated records within any practical window.
constexpr size_t kPoolBytes = 16 << 20;

std::vector<char> PayloadPool(size_t record_size) {
  std::vector<char> p(kPoolBytes + record_size);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& c : p) {  // xorshift64
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x >> 24);
  }
  return p;
}

const char* Slice(const std::vector<char>& pool, int64_t i) {
  return pool.data() + (static_cast<uint64_t>(i) * 1000003ull) % kPoolBytes;
}

int64_t Produce(const Options& o, Clock::time_point hard_deadline) {
  ProduceState st;
  st.latencies_ns.reserve(o.records > 0 ? static_cast<size_t>(o.records) : 1 << 20);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  SetOrDie(conf, "bootstrap.servers", o.bootstrap);
  SetOrDie(conf, "acks", o.acks);
  SetOrDie(conf, "compression.codec", o.compression);
  SetOrDie(conf, "linger.ms", std::to_string(o.linger_ms));
  SetOrDie(conf, "queue.buffering.max.messages", "200000");
  SetOrDie(conf, "message.timeout.ms", "60000");
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_conf_set_opaque(conf, &st);
  rd_kafka_t* rk = NewClient(RD_KAFKA_PRODUCER, conf);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  std::vector<char> pool = PayloadPool(o.record_size);

  const Clock::time_point start = Clock::now();
  const Clock::time_point stop_at = o.seconds > 0
                                        ? start + std::chrono::duration_cast<Clock::duration>(
                                                      std::chrono::duration<double>(o.seconds))
                                        : hard_deadline;
  int64_t sent = 0;
  while ((o.records <= 0 || sent < o.records) && Clock::now() < std::min(stop_at, hard_deadline)) {
    if (o.rate > 0) {  // pace: record i is due at start + i / rate
      auto due = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(static_cast<double>(sent) / o.rate));
      while (Clock::now() < due) {
        rd_kafka_poll(rk, 0);
        std::this_thread::sleep_for(
            std::min<Clock::duration>(due - Clock::now(), std::chrono::microseconds(500)));
      }
    }
    int partition = static_cast<int>(sent % o.partitions);
    void* stamp = reinterpret_cast<void*>(static_cast<intptr_t>(NowNs()));
    if (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, const_cast<char*>(Slice(pool, sent)),
                         o.record_size, nullptr, 0, stamp) != 0) {
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
        continue;
      }
      std::fprintf(stderr, "kafka_load: produce: %s\n", rd_kafka_err2str(e));
      break;
    }
    sent++;
    if (sent % 1000 == 0) rd_kafka_poll(rk, 0);
  }
  auto flush_left = std::max<int64_t>(
      1000,
      std::chrono::duration_cast<std::chrono::milliseconds>(hard_deadline - Clock::now()).count());
  rd_kafka_flush(rk, static_cast<int>(std::min<int64_t>(flush_left, 120000)));
  const double elapsed = Seconds(Clock::now() - start);
  int64_t left = rd_kafka_outq_len(rk);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);

  const int64_t delivered = st.delivered.load();
  const double rps = static_cast<double>(delivered) / elapsed;
  const double mbps = rps * static_cast<double>(o.record_size) / 1e6;
  std::sort(st.latencies_ns.begin(), st.latencies_ns.end());
  double p50 = Percentile(st.latencies_ns, 0.50), p95 = Percentile(st.latencies_ns, 0.95);
  double p99 = Percentile(st.latencies_ns, 0.99), mx = Percentile(st.latencies_ns, 1.0);
  std::printf(
      "produce: %" PRId64
      " records of %zu B to %d partitions, acks=%s, compression=%s, "
      "rate %s\n",
      sent, o.record_size, o.partitions, o.acks.c_str(), o.compression.c_str(),
      o.rate > 0 ? (std::to_string(static_cast<int64_t>(o.rate)) + "/s").c_str() : "unlimited");
  std::printf("produce: delivered %" PRId64 ", failed %" PRId64 " (%s), undelivered %" PRId64
              " in %.2f s: %.0f records/s, %.2f MB/s\n",
              delivered, st.failed.load(), rd_kafka_err2str(st.first_error), left, elapsed, rps,
              mbps);
  std::printf("produce latency ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n", p50, p95, p99, mx);
  std::printf("RESULT phase=produce records=%" PRId64 " failed=%" PRId64
              " seconds=%.3f "
              "records_per_s=%.0f mb_per_s=%.3f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f "
              "max_ms=%.3f\n",
              delivered, st.failed.load() + left, elapsed, rps, mbps, p50, p95, p99, mx);
  std::fflush(stdout);
  return delivered;
}

// Reads from the beginning of every partition until `expect` records (or, with
// expect <= 0, until every partition reported end of partition).
int Consume(const Options& o, int64_t expect, Clock::time_point hard_deadline) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  SetOrDie(conf, "bootstrap.servers", o.bootstrap);
  SetOrDie(conf, "group.id", "kafka-load-unused");  // required by the API; no group is joined
  SetOrDie(conf, "enable.auto.commit", "false");
  SetOrDie(conf, "enable.partition.eof", "true");
  rd_kafka_t* rk = NewClient(RD_KAFKA_CONSUMER, conf);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(o.partitions);
  for (int p = 0; p < o.partitions; p++)
    rd_kafka_topic_partition_list_add(parts, o.topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);

  int64_t got = 0, bytes = 0;
  std::vector<bool> eof(static_cast<size_t>(o.partitions), false);
  int eofs = 0;
  Clock::time_point first{}, last{};
  while (Clock::now() < hard_deadline) {
    if (expect > 0 && got >= expect) break;
    if (expect <= 0 && eofs == o.partitions) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (m->partition >= 0 && m->partition < o.partitions && !eof[m->partition]) {
        eof[m->partition] = true;
        eofs++;
      }
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "kafka_load: consume: %s\n", rd_kafka_message_errstr(m));
    } else {
      if (got == 0) first = Clock::now();
      last = Clock::now();
      got++;
      bytes += static_cast<int64_t>(m->len);
      if (m->partition >= 0 && m->partition < o.partitions && eof[m->partition]) {
        eof[m->partition] = false;
        eofs--;
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  const double elapsed = got > 1 ? Seconds(last - first) : 0;
  const double rps = elapsed > 0 ? static_cast<double>(got) / elapsed : 0;
  const double mbps = elapsed > 0 ? static_cast<double>(bytes) / elapsed / 1e6 : 0;
  std::printf("consume: %" PRId64 " records (%" PRId64
              " bytes) in %.2f s: %.0f records/s, "
              "%.2f MB/s%s\n",
              got, bytes, elapsed, rps, mbps,
              expect > 0 && got < expect ? "  (INCOMPLETE: time bound reached)" : "");
  std::printf("RESULT phase=consume records=%" PRId64
              " seconds=%.3f records_per_s=%.0f "
              "mb_per_s=%.3f\n",
              got, elapsed, rps, mbps);
  std::fflush(stdout);
  return expect > 0 && got < expect ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  const Clock::time_point hard_deadline =
      Clock::now() +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.max_seconds));
  std::printf("kafka_load: librdkafka %s, %s, topic %s\n", rd_kafka_version_str(),
              o.bootstrap.c_str(), o.topic.c_str());
  int rc = 0;
  int64_t produced = 0;
  if (o.mode != "consume") {
    EnsureTopic(o);
    produced = Produce(o, hard_deadline);
    if (produced == 0) rc = 1;
  }
  if (o.mode != "produce") {
    int64_t expect = o.mode == "both" ? produced : o.records;
    rc |= Consume(o, expect, hard_deadline);
  }
  return rc;
}
