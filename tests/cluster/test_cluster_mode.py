#!/usr/bin/python3
"""Cluster mode end to end: an agent with its metadata in PostgreSQL and its
objects in S3 (s3rver), both started here on loopback (docs/design.md §1).

1. confluent-kafka (acks=all) produces records of varied sizes, keys and
   headers to a 3-partition topic; a consumer reads them back byte-exact
   (values, keys, headers) at the offsets the delivery reports gave.
2. The agent stops gracefully (tails sealed): segment objects exist under the
   configured prefix in the bucket, rows exist in PostgreSQL's topics,
   partitions and segments tables, and the agent wrote nothing to its data
   directory.
3. A new agent (with a fresh, empty data directory) serves everything again,
   and a new record of each partition gets the next offset.

  test_cluster_mode.py [--agent PATH] [--timeout S]
"""

import argparse
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(TESTS, "compat"), os.path.join(TESTS, "support")]
import cluster_env  # noqa: E402
import harness  # noqa: E402
import servers  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

TOPIC = "cluster-check"
PARTITIONS = 3
PREFIX = "check/sh"
SIZES = [0, 1, 7, 100, 1000, 4096, 65536, 300000]


def make_records():
    """[(partition, key, value, headers)]: every size, key shape and header shape."""
    keys = [None, b"", b"k", bytes(range(256)), b"\x00\xff" * 500]
    # No None header values: Debian's confluent-kafka (< 1.8.2) loses a reference
    # to None reading them back and aborts the interpreter (its issue #1191).
    header_sets = [None, [("a", b"1")],
                   [("dup", b"x"), ("dup", b"y"), ("empty", b"")],
                   [("bin", bytes(range(255, -1, -1)))]]
    out = []
    for i in range(120):
        size = SIZES[i % len(SIZES)]
        value = bytes((i * 31 + j) & 0xFF for j in range(size))
        if i == 5:
            value = None  # a tombstone
        out.append((i % PARTITIONS, keys[i % len(keys)], value,
                    header_sets[(i // 2) % len(header_sets)]))
    return out


def produce(bootstrap, records, deadline):
    """Returns {(partition, offset): record}; fails on any delivery error."""
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                  "message.timeout.ms": 60000, "max.in.flight.requests.per.connection": 1})
    placed, errors = {}, []

    def report(err, msg, rec):
        if err is not None:
            errors.append(str(err))
        else:
            placed[(msg.partition(), msg.offset())] = rec

    for rec in records:
        part, key, value, headers = rec
        p.produce(TOPIC, value=value, key=key, partition=part, headers=headers,
                  on_delivery=lambda err, msg, rec=rec: report(err, msg, rec))
        p.poll(0)
    left = p.flush(max(1.0, deadline - time.monotonic()))
    if left or errors:
        raise AssertionError("%d undelivered, errors: %s" % (left, errors[:3]))
    if len(placed) != len(records):
        raise AssertionError("%d records acknowledged at %d distinct offsets" %
                             (len(records), len(placed)))
    return placed


def norm_headers(headers):
    return [(k, v) for k, v in (headers or [])]


def consume_all(bootstrap, deadline):
    """{(partition, offset): (key, value, headers)} of the whole topic."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "cluster-check",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    got = {}
    try:
        for part in range(PARTITIONS):
            low, high = c.get_watermark_offsets(TopicPartition(TOPIC, part), timeout=10)
            if low != 0:
                raise AssertionError("partition %d starts at %d, not 0" % (part, low))
            c.assign([TopicPartition(TOPIC, part, 0)])
            expect = 0
            while expect < high:
                if time.monotonic() > deadline:
                    raise AssertionError("reading partition %d took too long" % part)
                msg = c.poll(1.0)
                if msg is None:
                    continue
                if msg.error():
                    raise AssertionError("consume error: %s" % msg.error())
                if msg.offset() != expect:
                    raise AssertionError("partition %d: offset %d where %d was due" %
                                         (part, msg.offset(), expect))
                got[(part, msg.offset())] = (msg.key(), msg.value(), norm_headers(msg.headers()))
                expect += 1
    finally:
        c.close()
    return got


def check_same(placed, got, when):
    if set(got) != set(placed):
        raise AssertionError("%s: offsets read %s differ from offsets acknowledged %s" %
                             (when, sorted(set(got) ^ set(placed))[:5], len(placed)))
    for at, (_, key, value, headers) in placed.items():
        if got[at] != (key, value, norm_headers(headers)):
            raise AssertionError("%s: record at %s differs: key %r value %s headers %r" %
                                 (when, at, got[at][0], len(got[at][1] or b""), got[at][2]))
    print("cluster: %s: %d records byte-exact" % (when, len(got)), flush=True)


def psql(url, sql):
    r = subprocess.run(["psql", url, "-Atc", sql], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("psql %r failed: %s" % (sql, r.stdout))
    return r.stdout.strip()


def check_stored(pg, s3, agent):
    keys = s3.objects(PREFIX + "/")
    for part in range(PARTITIONS):
        segs = [k for k in keys if k.startswith("%s/topics/%s/%d/seg_" % (PREFIX, TOPIC, part))]
        if not segs:
            raise AssertionError("no segment object of partition %d under %s/ in the bucket; "
                                 "keys: %s" % (part, PREFIX, keys[:20]))
    outside = s3.objects("")
    if any(not k.startswith(PREFIX + "/") for k in outside):
        raise AssertionError("objects outside the prefix %s: %s" % (PREFIX, outside[:5]))
    q = "'%s'" % TOPIC
    if psql(pg.url, "select partition_count from topics where name = %s" % q) != str(PARTITIONS):
        raise AssertionError("topics row of %s missing or wrong in PostgreSQL" % TOPIC)
    parts = int(psql(pg.url, "select count(*) from partitions where topic = %s" % q))
    segs = int(psql(pg.url, "select count(*) from segments where topic = %s" % q))
    keyed = int(psql(pg.url, "select count(*) from segments where topic = %s and object_key "
                     "like 'topics/%s/%%'" % (q, TOPIC)))
    if parts != PARTITIONS or segs < PARTITIONS or keyed != segs:
        raise AssertionError("PostgreSQL holds %d partitions, %d segments (%d keyed under "
                             "topics/) of %s" % (parts, segs, keyed, TOPIC))
    data_dir = os.path.join(agent.tmp, "data")
    if os.path.exists(data_dir):
        raise AssertionError("a cluster agent wrote to its data directory: %s" %
                             os.listdir(data_dir))
    print("cluster: %d objects under %s/, %d segment rows in PostgreSQL" %
          (len(keys), PREFIX, segs), flush=True)


def start_agent(binary, pg, s3):
    env = {"SH_TEST_POSTGRES_URL": pg.url, "SH_TEST_S3_ENDPOINT": s3.endpoint,
           "SH_TEST_S3_BUCKET": s3.bucket, "SH_TEST_S3_ACCESS_KEY": s3.access_key,
           "SH_TEST_S3_SECRET_KEY": s3.secret_key}
    agent = harness.Agent(binary, cluster_env.agent_args(PREFIX, env))
    agent.start()
    return agent


def stop_agent(agent):
    graceful = agent.stop()
    if not graceful:
        agent.print_log()
        raise AssertionError("agent did not stop gracefully on SIGTERM")


def run(binary, pg, s3, deadline, agents):
    agents.append(start_agent(binary, pg, s3))
    agent = agents[-1]
    agent.create_topic(TOPIC, PARTITIONS)
    placed = produce(agent.bootstrap, make_records(), deadline)
    check_same(placed, consume_all(agent.bootstrap, deadline), "first agent")
    stop_agent(agent)
    check_stored(pg, s3, agent)

    agents.append(start_agent(binary, pg, s3))
    agent = agents[-1]
    check_same(placed, consume_all(agent.bootstrap, deadline), "after restart")
    # The log continues where it ended: no offset is given twice.
    counts = {p: sum(1 for (q, _) in placed if q == p) for p in range(PARTITIONS)}
    more = [(p, b"after", b"restart-%d" % p, None) for p in range(PARTITIONS)]
    for (p, off), _ in produce(agent.bootstrap, more, deadline).items():
        if off != counts[p]:
            raise AssertionError("partition %d: new record at offset %d, expected %d" %
                                 (p, off, counts[p]))
    stop_agent(agent)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", default=None)
    ap.add_argument("--timeout", type=float, default=150)
    args = ap.parse_args()
    started = time.monotonic()
    agents, opened = [], []

    def cleanup():
        for a in agents:
            if a.alive():
                a.proc.kill()
                a.proc.wait()
            a.cleanup()
        for s in reversed(opened):
            s.close()

    def expire():
        print("cluster: FAIL: time bound of %d s passed" % args.timeout, flush=True)
        for a in agents:
            a.print_log()
        cleanup()
        os._exit(1)

    timer = threading.Timer(args.timeout, expire)
    timer.daemon = True
    timer.start()
    ok = False
    try:
        pg = servers.Postgres()
        opened.append(pg)
        pg.start()
        s3 = servers.S3Server()
        opened.append(s3)
        s3.start()
        run(args.agent, pg, s3, started + args.timeout - 10, agents)
        ok = True
    except Exception as e:  # noqa: BLE001 - every failure is reported
        import traceback
        traceback.print_exc()
        print("cluster: FAIL: %s: %s" % (type(e).__name__, e), flush=True)
        for a in agents:
            a.print_log()
    finally:
        timer.cancel()
        cleanup()
    print("cluster: %s in %.1f s" % ("PASS" if ok else "FAIL", time.monotonic() - started),
          flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
