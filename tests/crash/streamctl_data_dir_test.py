#!/usr/bin/python3
"""streamctl --data-dir on a directory an agent used: nothing lost, no offset reused.

Two cases, each with its own agent (embedded mode, temporary data directory,
free loopback port; tests/compat/harness.py):

  term  the agent stops with SIGTERM (it seals its tails);
  kill  the agent is killed with SIGKILL while its tail is still unsealed
        (segment.flush_ms is long, so the acknowledged records are only in
        the write-ahead log).

In each: a confluent-kafka producer (acks=all) writes records to both
partitions of a topic; the agent stops; `streamctl --data-dir` produces to
both partitions, lists and describes the topic and consumes it; the agent
starts again on the directory and takes more records; a consumer then reads
every partition. Checked:

  - every acknowledged record (the agent's, streamctl's) is read back at the
    offset it was acknowledged at, by streamctl and by the consumer;
  - no offset was given twice: the offsets of all acknowledged records are
    distinct, and each partition's log runs from 0 without a gap;
  - streamctl's describe shows each partition's high watermark.

  streamctl_data_dir_test.py --agent PATH --streamctl PATH [--timeout S]
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "compat"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from crash_test import kill, restart  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

TOPIC = "used"
PARTITIONS = 2


class Log:
    """What was acknowledged, by (partition, offset); raises on an offset given twice."""

    def __init__(self):
        self.at = {}

    def ack(self, partition, offset, value):
        other = self.at.get((partition, offset))
        if other is not None:
            raise AssertionError("offset %d/%d acknowledged for %r and %r" %
                                 (partition, offset, other, value))
        self.at[(partition, offset)] = value

    def ends(self):
        return {p: 1 + max([o for (q, o) in self.at if q == p], default=-1)
                for p in range(PARTITIONS)}


def produce_kafka(bootstrap, prefix, count, log):
    errors = []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            log.ack(msg.partition(), msg.offset(), msg.value().decode())

    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                  "message.timeout.ms": 30000})
    for n in range(count):
        p.produce(TOPIC, value=("%s-%d" % (prefix, n)).encode(), partition=n % PARTITIONS,
                  on_delivery=report)
    left = p.flush(30)
    if left or errors:
        raise AssertionError("%d undelivered, errors %s" % (left, errors[:3]))


def streamctl(args, data_dir, *words, stdin=""):
    cmd = [args.streamctl, "--data-dir", data_dir] + list(words)
    r = subprocess.run(cmd, input=stdin.encode(), capture_output=True, timeout=60)
    out, err = r.stdout.decode(), r.stderr.decode()
    print("streamctl %s -> exit %d" % (" ".join(words), r.returncode), flush=True)
    if r.returncode != 0:
        raise AssertionError("streamctl %s failed (%d): %s%s" %
                             (" ".join(words), r.returncode, out, err))
    return out


def streamctl_phase(args, data_dir, log, prefix):
    for p in range(PARTITIONS):
        values = ["%s-%d-%d" % (prefix, p, i) for i in range(3)]
        out = streamctl(args, data_dir, "produce", TOPIC, "--partition", str(p),
                        stdin="\n".join(values) + "\n")
        m = re.search(r"at offsets (\d+)\.\.(\d+)", out)
        if not m or int(m.group(2)) - int(m.group(1)) != 2:
            raise AssertionError("streamctl produce printed %r" % out)
        for i, v in enumerate(values):
            log.ack(p, int(m.group(1)) + i, v)
    if TOPIC not in streamctl(args, data_dir, "topic", "list").split():
        raise AssertionError("topic list lacks %s" % TOPIC)
    describe = streamctl(args, data_dir, "topic", "describe", TOPIC)
    for p, end in log.ends().items():
        if not re.search(r"^  %d  0  %d  " % (p, end), describe, re.M):
            raise AssertionError("describe does not show %d/%d ending at %d:\n%s" %
                                 (p, p, end, describe))
    seen = {}
    for line in streamctl(args, data_dir, "consume", TOPIC).splitlines():
        part, off, _key, _headers, value = line.split("\t")
        seen[(int(part), int(off))] = value
    check(log, seen, "streamctl consume")


def consume_kafka(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "streamctl-check",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    seen = {}
    try:
        for p in range(PARTITIONS):
            low, high = c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
            c.assign([TopicPartition(TOPIC, p, low)])
            deadline = time.monotonic() + 30
            while high > low and (p, high - 1) not in seen:
                if time.monotonic() > deadline:
                    raise AssertionError("reading partition %d took too long" % p)
                msg = c.poll(1.0)
                if msg is None:
                    continue
                if msg.error():
                    raise AssertionError("consume error: %s" % msg.error())
                seen[(msg.partition(), msg.offset())] = msg.value().decode()
    finally:
        c.close()
    return seen


def check(log, seen, who):
    lost = [(k, v) for k, v in sorted(log.at.items()) if seen.get(k) != v]
    if lost:
        k, v = lost[0]
        raise AssertionError("%s: %d acknowledged record(s) not at their offsets, e.g. %r at "
                             "%d/%d (found %r)" % (who, len(lost), v, k[0], k[1], seen.get(k)))
    for p in range(PARTITIONS):
        offsets = sorted(o for (q, o) in seen if q == p)
        if offsets != list(range(len(offsets))):
            raise AssertionError("%s: partition %d's offsets have a gap: %s" % (who, p, offsets))
    print("%s: all %d acknowledged records at their offsets" % (who, len(log.at)), flush=True)


def run_case(args, stop):
    agent = harness.Agent(args.agent, ["--segment-flush-ms", "600000"] if stop == "kill" else [])
    log = Log()
    try:
        agent.start()
        data_dir = os.path.join(agent.tmp, "data")
        agent.create_topic(TOPIC, PARTITIONS)
        produce_kafka(agent.bootstrap, "agent1", 40, log)
        if stop == "kill":
            kill(agent)
            # The records must still be only in the WAL, or this case tests nothing.
            out = subprocess.run([args.streamctl, "--metadata-url",
                                  "sqlite://" + os.path.join(data_dir, "metadata.db"),
                                  "segments", "list", TOPIC], capture_output=True).stdout.decode()
            if "seg_" in out:
                raise AssertionError("the killed agent had sealed segments:\n" + out)
        elif not agent.stop():
            raise AssertionError("the agent did not stop cleanly on SIGTERM")
        print("%s: agent stopped with %s after %d acknowledged records" %
              (stop, "SIGKILL" if stop == "kill" else "SIGTERM", len(log.at)), flush=True)
        streamctl_phase(args, data_dir, log, "ctl1")
        restart(agent)
        produce_kafka(agent.bootstrap, "agent2", 20, log)
        check(log, consume_kafka(agent.bootstrap), "%s: consumer after restart" % stop)
        if not agent.stop():
            raise AssertionError("the restarted agent did not stop cleanly")
        streamctl_phase(args, data_dir, log, "ctl2")
        return True
    except Exception:
        agent.print_log()
        raise
    finally:
        if agent.alive():
            agent.proc.kill()
            agent.proc.wait()
        agent.cleanup()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent", default=None)
    p.add_argument("--streamctl", required=True)
    p.add_argument("--timeout", type=float, default=150)
    args = p.parse_args()
    timer = harness._watchdog(args.timeout, lambda: (print("FAIL: time bound passed",
                                                           flush=True), os._exit(1)))
    failed = 0
    for stop in ("term", "kill"):
        try:
            run_case(args, stop)
            print("%s: PASS" % stop, flush=True)
        except Exception as e:  # noqa: BLE001 - every case reports
            import traceback
            traceback.print_exc()
            print("%s: FAIL: %s" % (stop, e), flush=True)
            failed += 1
    timer.cancel()
    print("PASS" if not failed else "FAIL: %d case(s)" % failed, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
