// librdkafka (C API) round trip against a StreamHouse agent.
//
// Produces the known record set of tests/compat/compat_data.py with acks=all to
// the 3 partitions of an existing topic, then reads every partition back with
// assign() at explicit offsets (no consumer group is joined) and checks keys
// (null vs empty), values (empty vs null), headers (duplicate keys), explicit
// CreateTime timestamps and offsets against the delivery reports. Then checks
// watermarks and offsetsForTimes for every record's timestamp.
//
// Usage: rdkafka_roundtrip BOOTSTRAP TOPIC   (or $SH_BOOTSTRAP)
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PARTITIONS 3
#define RECORDS 8
#define BASE_TS 1700000000000LL
#define LARGE_SIZE (900 * 1024)
#define WAIT_MS 30000

typedef struct {
  const char* name;
  const unsigned char* value;
  size_t size;
} header_t;

typedef struct {
  const unsigned char* key;  // NULL: null key
  size_t key_len;
  const unsigned char* value;  // NULL: null value (tombstone)
  size_t value_len;
  header_t headers[3];
  int header_count;
  int64_t timestamp;
} record_t;

static unsigned char g_key_buf[PARTITIONS][RECORDS][32];
static unsigned char g_val_buf[PARTITIONS][RECORDS][64];
static unsigned char g_binary_value[256];
static unsigned char* g_large[PARTITIONS];
static record_t g_records[PARTITIONS][RECORDS];
static int64_t g_delivered[PARTITIONS][RECORDS];
static int g_failures;

static void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "FAIL: ");
  vfprintf(stdout, fmt, ap);
  fprintf(stdout, "\n");
  va_end(ap);
  if (++g_failures > 60) {
    fprintf(stdout, "too many failures; stopping\n");
    exit(1);
  }
}

static void set_text(record_t* r, unsigned char* kbuf, const char* key, unsigned char* vbuf,
                     const char* value) {
  if (key) {
    size_t n = strlen(key);
    memcpy(kbuf, key, n);
    r->key = kbuf;
    r->key_len = n;
  }
  if (value) {
    size_t n = strlen(value);
    memcpy(vbuf, value, n);
    r->value = vbuf;
    r->value_len = n;
  }
}

// The same rules as compat_data.records(p).
static void build_records(void) {
  static const unsigned char kA[] = "a", kB[] = "b", kEmpty[] = "", kBin[] = {0, 255},
                             kLast[] = "last";
  for (int i = 0; i < 256; i++) g_binary_value[i] = (unsigned char)i;
  for (int p = 0; p < PARTITIONS; p++) {
    g_large[p] = malloc(LARGE_SIZE);
    for (size_t j = 0; j < LARGE_SIZE; j++) g_large[p][j] = (unsigned char)((j * 7 + p) % 251);
    char k[32], v[64];
    for (int i = 0; i < RECORDS; i++) {
      record_t* r = &g_records[p][i];
      memset(r, 0, sizeof(*r));
      r->timestamp = BASE_TS + p * 1000000LL + i * 1000LL;
      unsigned char *kb = g_key_buf[p][i], *vb = g_val_buf[p][i];
      snprintf(k, sizeof(k), "k%d-%d", p, i);
      switch (i) {
        case 0:
          snprintf(v, sizeof(v), "p%d-r0 null key", p);
          set_text(r, kb, NULL, vb, v);
          break;
        case 1:
          snprintf(v, sizeof(v), "p%d-r1 empty key", p);
          set_text(r, kb, "", vb, v);
          break;
        case 2:
          set_text(r, kb, k, vb, "");
          break;
        case 3:
          set_text(r, kb, k, vb, NULL);
          break;
        case 4:
          snprintf(v, sizeof(v), "p%d-r4 headers", p);
          set_text(r, kb, k, vb, v);
          r->headers[0] = (header_t){"h1", kA, 1};
          r->headers[1] = (header_t){"h1", kB, 1};
          r->headers[2] = (header_t){"h2", kEmpty, 0};
          r->header_count = 3;
          break;
        case 5:
          kb[0] = 0, kb[1] = 1, kb[2] = 2, kb[3] = 255, kb[4] = (unsigned char)p;
          r->key = kb;
          r->key_len = 5;
          r->value = g_binary_value;
          r->value_len = 256;
          r->headers[0] = (header_t){"bin", kBin, 2};
          r->header_count = 1;
          break;
        case 6:
          set_text(r, kb, k, vb, NULL);
          r->value = g_large[p];
          r->value_len = LARGE_SIZE;
          break;
        case 7:
          snprintf(v, sizeof(v), "p%d-r7 after large", p);
          set_text(r, kb, k, vb, v);
          r->headers[0] = (header_t){"h", kLast, 4};
          r->header_count = 1;
          break;
      }
    }
  }
}

static void dr_cb(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  (void)opaque;
  intptr_t id = (intptr_t)m->_private;
  int p = (int)(id / RECORDS), i = (int)(id % RECORDS);
  if (m->err) {
    fail("delivery p%d r%d: %s", p, i, rd_kafka_err2str(m->err));
    return;
  }
  if (m->partition != p) fail("delivery p%d r%d reported partition %d", p, i, m->partition);
  g_delivered[p][i] = m->offset;
}

static rd_kafka_t* new_client(rd_kafka_type_t type, const char* bootstrap) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const char* common[][2] = {{"bootstrap.servers", bootstrap}, {"client.id", "sh-compat-c"}};
  const char* producer[][2] = {
      {"acks", "all"}, {"linger.ms", "5"}, {"message.timeout.ms", "60000"}};
  const char* consumer[][2] = {{"group.id", "rdkafka-compat-unused"},
                               {"enable.auto.commit", "false"},
                               {"fetch.message.max.bytes", "2097152"}};
  for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
    if (rd_kafka_conf_set(conf, common[i][0], common[i][1], err, sizeof(err)))
      fail("config %s: %s", common[i][0], err);
  if (type == RD_KAFKA_PRODUCER) {
    for (size_t i = 0; i < sizeof(producer) / sizeof(producer[0]); i++)
      if (rd_kafka_conf_set(conf, producer[i][0], producer[i][1], err, sizeof(err)))
        fail("config %s: %s", producer[i][0], err);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  } else {
    for (size_t i = 0; i < sizeof(consumer) / sizeof(consumer[0]); i++)
      if (rd_kafka_conf_set(conf, consumer[i][0], consumer[i][1], err, sizeof(err)))
        fail("config %s: %s", consumer[i][0], err);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (!rk) {
    fprintf(stdout, "FAIL: rd_kafka_new: %s\n", err);
    exit(1);
  }
  return rk;
}

static void produce_all(const char* bootstrap, const char* topic) {
  rd_kafka_t* rk = new_client(RD_KAFKA_PRODUCER, bootstrap);
  for (int p = 0; p < PARTITIONS; p++) {
    for (int i = 0; i < RECORDS; i++) {
      const record_t* r = &g_records[p][i];
      g_delivered[p][i] = -100;
      rd_kafka_headers_t* hdrs = rd_kafka_headers_new(4);
      for (int h = 0; h < r->header_count; h++)
        rd_kafka_header_add(hdrs, r->headers[h].name, -1, r->headers[h].value,
                            (ssize_t)r->headers[h].size);
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY((void*)r->key, r->key_len),
          RD_KAFKA_V_VALUE((void*)r->value, r->value_len), RD_KAFKA_V_HEADERS(hdrs),
          RD_KAFKA_V_TIMESTAMP(r->timestamp), RD_KAFKA_V_OPAQUE((void*)(intptr_t)(p * RECORDS + i)),
          RD_KAFKA_V_END);
      if (e) {
        rd_kafka_headers_destroy(hdrs);
        fail("producev p%d r%d: %s", p, i, rd_kafka_err2str(e));
      }
      rd_kafka_poll(rk, 0);
    }
  }
  rd_kafka_resp_err_t e = rd_kafka_flush(rk, 60000);
  if (e) fail("flush: %s (%d messages left)", rd_kafka_err2str(e), rd_kafka_outq_len(rk));
  rd_kafka_destroy(rk);
  for (int p = 0; p < PARTITIONS; p++)
    for (int i = 0; i < RECORDS; i++)
      if (g_delivered[p][i] != i)
        fail("delivery report p%d r%d: offset %" PRId64 ", want %d", p, i, g_delivered[p][i], i);
}

static int bytes_eq(const void* a, size_t alen, const void* b, size_t blen) {
  if ((a == NULL) != (b == NULL)) return 0;
  return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void check_message(int p, int i, const rd_kafka_message_t* m) {
  const record_t* r = &g_records[p][i];
  if (m->offset != g_delivered[p][i])
    fail("p%d r%d: offset %" PRId64 ", delivery report said %" PRId64, p, i, m->offset,
         g_delivered[p][i]);
  if (!bytes_eq(m->key, m->key_len, r->key, r->key_len))
    fail("p%d r%d: key %s (%zu bytes), want %s (%zu bytes)", p, i, m->key ? "set" : "null",
         m->key_len, r->key ? "set" : "null", r->key_len);
  if (!bytes_eq(m->payload, m->len, r->value, r->value_len))
    fail("p%d r%d: value %s (%zu bytes), want %s (%zu bytes)", p, i, m->payload ? "set" : "null",
         m->len, r->value ? "set" : "null", r->value_len);
  rd_kafka_timestamp_type_t tstype;
  int64_t ts = rd_kafka_message_timestamp(m, &tstype);
  if (ts != r->timestamp || tstype != RD_KAFKA_TIMESTAMP_CREATE_TIME)
    fail("p%d r%d: timestamp %" PRId64 " type %d, want %" PRId64 " CreateTime", p, i, ts,
         (int)tstype, r->timestamp);
  rd_kafka_headers_t* hdrs = NULL;
  int count = 0;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* val;
    size_t size;
    for (size_t h = 0; !rd_kafka_header_get_all(hdrs, h, &name, &val, &size); h++, count++) {
      if ((int)h >= r->header_count) continue;
      const header_t* want = &r->headers[h];
      if (strcmp(name, want->name) != 0 || !bytes_eq(val, size, want->value, want->size))
        fail("p%d r%d: header %zu is %s (%zu bytes), want %s (%zu bytes)", p, i, h, name, size,
             want->name, want->size);
    }
  }
  if (count != r->header_count) fail("p%d r%d: %d headers, want %d", p, i, count, r->header_count);
}

static void consume_all(const char* bootstrap, const char* topic) {
  rd_kafka_t* rk = new_client(RD_KAFKA_CONSUMER, bootstrap);
  for (int p = 0; p < PARTITIONS; p++) {
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, p)->offset = 0;
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e) fail("assign p%d: %s", p, rd_kafka_err2str(e));
    int next = 0;
    time_t deadline = time(NULL) + WAIT_MS / 1000;
    while (next < RECORDS && time(NULL) < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
      if (!m) continue;
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
          printf("consumer p%d: %s\n", p, rd_kafka_message_errstr(m));
      } else if (m->partition != p) {
        fail("consumer assigned p%d got a message of p%d", p, m->partition);
      } else {
        check_message(p, next++, m);
      }
      rd_kafka_message_destroy(m);
    }
    if (next != RECORDS) fail("p%d: read %d records back, want %d", p, next, RECORDS);
    rd_kafka_assign(rk, NULL);
  }

  for (int p = 0; p < PARTITIONS; p++) {
    int64_t lo = -5, hi = -5;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, WAIT_MS);
    if (e || lo != 0 || hi != RECORDS)
      fail("watermarks p%d: %s low %" PRId64 " high %" PRId64 ", want 0 and %d", p,
           rd_kafka_err2str(e), lo, hi, RECORDS);
  }

  // offsetsForTimes: each record's timestamp, 500 ms before it, and past the last one.
  for (int p = 0; p < PARTITIONS; p++) {
    for (int i = 0; i <= RECORDS; i++) {
      for (int early = 0; early < 2; early++) {
        int64_t ts = i < RECORDS ? g_records[p][i].timestamp - early * 500
                                 : g_records[p][RECORDS - 1].timestamp + 1;
        int64_t want = i < RECORDS ? i : -1;
        rd_kafka_topic_partition_list_t* q = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(q, topic, p)->offset = ts;
        rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, q, WAIT_MS);
        if (e || q->elems[0].err || q->elems[0].offset != want)
          fail("offsetsForTimes p%d ts %" PRId64 ": %s/%s offset %" PRId64 ", want %" PRId64, p, ts,
               rd_kafka_err2str(e), rd_kafka_err2str(q->elems[0].err), q->elems[0].offset, want);
        rd_kafka_topic_partition_list_destroy(q);
        if (i == RECORDS) break;
      }
    }
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

int main(int argc, char** argv) {
  const char* bootstrap = argc > 1 ? argv[1] : getenv("SH_BOOTSTRAP");
  const char* topic = argc > 2 ? argv[2] : "rdkafka-known-set";
  if (!bootstrap) {
    fprintf(stderr, "usage: rdkafka_roundtrip BOOTSTRAP [TOPIC]\n");
    return 2;
  }
  printf("librdkafka %s against %s, topic %s\n", rd_kafka_version_str(), bootstrap, topic);
  build_records();
  produce_all(bootstrap, topic);
  printf("produced %d records to %d partitions\n", PARTITIONS * RECORDS, PARTITIONS);
  consume_all(bootstrap, topic);
  for (int p = 0; p < PARTITIONS; p++) free(g_large[p]);
  if (g_failures) {
    printf("rdkafka_roundtrip: %d failures\n", g_failures);
    return 1;
  }
  printf("rdkafka_roundtrip: all checks passed\n");
  return 0;
}
