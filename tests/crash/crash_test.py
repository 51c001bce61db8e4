#!/usr/bin/python3
"""Crash test of the durability promise (docs/durability.md).

A confluent-kafka producer (acks=all; --idempotence adds enable.idempotence=true)
writes numbered records to several partitions while the agent is killed with
SIGKILL at random moments and restarted on the same data directory (same port);
the producer keeps going (librdkafka retries). Then a consumer reads every
partition back and the test checks:

  - every acknowledged record is there, at the offset its delivery report gave;
  - no offset was acknowledged for two different records;
  - each partition's offsets run from 0 without a gap;
  - with --idempotence: no record appears twice, and each partition holds its
    records in the order they were produced.

Without idempotence a record whose acknowledgement was lost in a crash may be
written twice by the client's retry (at-least-once); the count is printed.

  crash_test.py [--agent PATH] [--timeout S] [--idempotence] [--kills N] [--seed S]
                [--records N]

Also imported by scripts/soak.sh's driver (run_cycle).
"""

import argparse
import os
import random
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "compat"))
import harness  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

PARTITIONS = 4


def restart(agent):
    """Starts the agent again on its data directory and port (after a kill)."""
    tmp, port = agent.tmp, agent.port
    old_log = agent.log_path
    if os.path.exists(old_log):
        os.replace(old_log, old_log + ".%d" % int(time.time() * 1000))
    saved_mkdtemp, saved_port = harness.tempfile.mkdtemp, harness.free_port
    harness.tempfile.mkdtemp = lambda prefix=None: tmp
    harness.free_port = lambda: port
    try:
        agent.start()
    finally:
        harness.tempfile.mkdtemp, harness.free_port = saved_mkdtemp, saved_port


def kill(agent):
    os.kill(agent.pid, signal.SIGKILL)
    agent.proc.wait()


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}  # number -> (partition, offset)
        self.failed = {}  # number -> error string
        self.by_offset = {}  # (partition, offset) -> number

    def report(self, err, msg):
        n = int(msg.value().decode().split("-")[1])
        with self.lock:
            if err is not None:
                self.failed[n] = str(err)
                return
            key = (msg.partition(), msg.offset())
            other = self.by_offset.get(key)
            if other is not None and other != n:
                raise AssertionError("offset %s acknowledged for records %d and %d" %
                                     (key, other, n))
            self.by_offset[key] = n
            self.acked[n] = key


def produce(bootstrap, topic, records, seconds, idempotence, tally, deadline):
    """Produces records spread evenly over about `seconds`, then waits for every report."""
    conf = {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 60000,
        "retry.backoff.ms": 50,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
        "socket.connection.setup.timeout.ms": 3000,
        "topic.metadata.refresh.interval.ms": 1000,
    }
    if idempotence:
        conf["enable.idempotence"] = True
    p = Producer(conf)
    start = time.monotonic()
    for n in range(records):
        while True:
            try:
                p.produce(topic, value=("rec-%d" % n).encode(), partition=n % PARTITIONS,
                          on_delivery=tally.report)
                break
            except BufferError:
                p.poll(0.05)
        if n % 50 == 0:
            p.poll(0)
            ahead = start + seconds * n / records - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)  # spread the records over the kills
        if time.monotonic() > deadline:
            raise AssertionError("producing took too long")
    left = p.flush(max(1.0, deadline - time.monotonic()))
    if left:
        raise AssertionError("%d records still undelivered at the time bound" % left)


def consume_all(bootstrap, topic, deadline):
    """{partition: [(offset, number), ...]} up to each partition's high watermark."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "crash-check",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    out = {}
    try:
        for part in range(PARTITIONS):
            tp = TopicPartition(topic, part)
            low, high = c.get_watermark_offsets(tp, timeout=10)
            c.assign([TopicPartition(topic, part, low)])
            rows = []
            while (not rows or rows[-1][0] < high - 1) and high > low:
                if time.monotonic() > deadline:
                    raise AssertionError("reading partition %d took too long" % part)
                msg = c.poll(1.0)
                if msg is None:
                    continue
                if msg.error():
                    raise AssertionError("consume error: %s" % msg.error())
                rows.append((msg.offset(), int(msg.value().decode().split("-")[1])))
            out[part] = rows
    finally:
        c.close()
    return out


def check(tally, log, idempotence, strict=True):
    """Returns (acknowledged, recovered, lost, duplicated); raises on a broken promise
    (unless strict is False: then the problems are printed)."""
    problems = []
    at = {}
    count = {}
    for part, rows in log.items():
        for i, (off, n) in enumerate(rows):
            if off != i:
                problems.append("partition %d: offset %d at position %d (gap)" % (part, off, i))
                break
            at[(part, off)] = n
            count[n] = count.get(n, 0) + 1
        if idempotence:
            numbers = [n for _, n in rows]
            if numbers != sorted(numbers):
                problems.append("partition %d: records out of order" % part)
    lost = 0
    recovered = 0
    for n, key in tally.acked.items():
        if at.get(key) == n:
            recovered += 1
        else:
            lost += 1
            if lost <= 10:
                problems.append("acknowledged record %d at %s: found %s" % (n, key, at.get(key)))
    duplicated = sum(c - 1 for c in count.values() if c > 1)
    if idempotence and duplicated:
        problems.append("%d duplicate record(s) with idempotence on" % duplicated)
    if problems:
        if strict:
            raise AssertionError("; ".join(problems))
        print("crash: PROBLEMS: " + "; ".join(problems), flush=True)
    return len(tally.acked), recovered, lost, duplicated


class ProducerRun:
    """produce() on a thread of its own; finish() waits and raises what went wrong."""

    def __init__(self, bootstrap, topic, records, seconds, idempotence, deadline):
        self.tally = Tally()
        self.errors = []

        def body():
            try:
                produce(bootstrap, topic, records, seconds, idempotence, self.tally, deadline)
            except Exception as e:  # noqa: BLE001 - raised again by finish()
                self.errors.append(e)

        self.thread = threading.Thread(target=body, daemon=True)
        self.thread.start()

    def finish(self, deadline):
        self.thread.join(max(1.0, deadline - time.monotonic()))
        if self.thread.is_alive():
            raise AssertionError("producer did not finish in time")
        if self.errors:
            raise self.errors[0]
        if self.tally.failed:
            raise AssertionError("%d record(s) failed delivery, e.g. %s" %
                                 (len(self.tally.failed), next(iter(self.tally.failed.items()))))


def start_producer(bootstrap, topic, records, seconds, idempotence, deadline):
    return ProducerRun(bootstrap, topic, records, seconds, idempotence, deadline)


def run_cycle(agent, topic, records, kills, idempotence, rng, deadline, strict=True,
              seconds=4.0):
    """Produces for about `seconds` while killing and restarting the agent `kills` times
    at random moments; returns check()'s counts."""
    agent.create_topic(topic, PARTITIONS)
    run = start_producer(agent.bootstrap, topic, records, seconds, idempotence, deadline)
    tally = run.tally
    started = time.monotonic()
    # Kill moments: random, inside the producing window.
    moments = sorted(rng.uniform(0.1, 0.9) * seconds for _ in range(kills))
    for moment in moments:
        time.sleep(max(0.0, started + moment - time.monotonic()))
        kill(agent)
        print("crash: killed the agent with SIGKILL (%d acknowledged so far)" %
              len(tally.acked), flush=True)
        time.sleep(rng.uniform(0.0, 0.5))
        restart(agent)
    run.finish(deadline)
    return check(tally, consume_all(agent.bootstrap, topic, deadline), idempotence, strict)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent", default=None)
    p.add_argument("--timeout", type=float, default=85)
    p.add_argument("--idempotence", action="store_true")
    p.add_argument("--kills", type=int, default=2)
    p.add_argument("--records", type=int, default=20000)
    p.add_argument("--seconds", type=float, default=6.0, help="how long to produce")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print("crash: seed %d, idempotence %s" % (seed, args.idempotence), flush=True)
    rng = random.Random(seed)

    def test(agent):
        deadline = time.monotonic() + args.timeout - 15
        acked, recovered, lost, dup = run_cycle(agent, "crash", args.records, args.kills,
                                                args.idempotence, rng, deadline,
                                                seconds=args.seconds)
        print("crash: acknowledged %d recovered %d lost %d duplicated %d" %
              (acked, recovered, lost, dup), flush=True)
        return lost == 0

    sys.exit(harness.run_with_agent(test, args.timeout, args.agent))


if __name__ == "__main__":
    main()
