"""Shared pieces of the consumer group tests (docs/consumer-groups.md).

Each test runs against the streamhouse agent through tests/compat/harness.py: a
fresh data directory and port per agent, stopped with SIGTERM, every run
bounded by --timeout. ReusableAgent restarts on the same data directory, so
committed offsets can be checked across a restart.
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "compat"))
import harness  # noqa: E402

WAIT = 30
# Shorter than Kafka's defaults so that tests finish quickly: a short initial
# rebalance delay, and session timeouts down to 3 s allowed.
AGENT_ARGS = ["--groups-initial-rebalance-delay-ms", "300",
              "--groups-min-session-timeout-ms", "3000"]


class ReusableAgent(harness.Agent):
    """An Agent whose restart() keeps the data directory (and the port)."""

    def restart(self):
        if not self.stop():
            raise AssertionError("agent did not stop gracefully before the restart")
        keep_tmp, keep_port = self.tmp, self.port
        mkdtemp, free_port = harness.tempfile.mkdtemp, harness.free_port
        harness.tempfile.mkdtemp = lambda prefix=None: keep_tmp
        ports = iter([keep_port])
        harness.free_port = lambda: next(ports, None) or free_port()
        try:
            self.start()
        finally:
            harness.tempfile.mkdtemp, harness.free_port = mkdtemp, free_port


def run(test, timeout_s=240):
    p = argparse.ArgumentParser()
    p.add_argument("--agent", required=True)
    p.add_argument("--timeout", type=float, default=timeout_s)
    args = p.parse_args()
    harness.Agent = ReusableAgent
    sys.exit(harness.run_with_agent(test, args.timeout, args.agent, AGENT_ARGS))


def produce(bootstrap, topic, values, partitions):
    """Produces each value (bytes) round-robin over partitions; waits for every ack."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    errors = []

    def done(err, msg):
        if err is not None:
            errors.append(err)

    for i, v in enumerate(values):
        p.produce(topic, value=v, partition=i % partitions, on_delivery=done)
        p.poll(0)
    left = p.flush(WAIT)
    assert left == 0 and not errors, "produce to %s: %d unacknowledged, errors %s" % (
        topic, left, errors[:3])


def wait_until(what, predicate, timeout_s=WAIT, interval_s=0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError("timed out after %d s waiting for %s" % (timeout_s, what))


class Ownership:
    """Which member holds which partition; an assignment of a partition another
    member still holds is a violation (no partition read by two members at once)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = {}
        self.violations = []
        self.assignments = []  # (member, sorted partitions) in order of assignment
        self.latest = {}  # member -> its latest assignment

    def assign(self, member, partitions):
        with self.lock:
            for p in partitions:
                holder = self.owner.get(p)
                if holder is not None and holder != member:
                    self.violations.append("partition %d given to %s while %s holds it" %
                                           (p, member, holder))
                self.owner[p] = member
            self.latest[member] = sorted(partitions)
            self.assignments.append((member, sorted(partitions)))

    def revoke(self, member, partitions=None):
        with self.lock:
            for p, holder in list(self.owner.items()):
                if holder == member and (partitions is None or p in partitions):
                    del self.owner[p]
            if partitions is None:
                self.latest.pop(member, None)
            else:
                self.latest[member] = [p for p in self.latest.get(member, [])
                                       if p not in partitions]

    def replace(self, member, partitions):
        """A client that reports only its new assignments: the member's holdings
        become `partitions`; overlaps are checked with disjoint() once stable."""
        with self.lock:
            for p, holder in list(self.owner.items()):
                if holder == member:
                    del self.owner[p]
            self.latest[member] = sorted(partitions)
            for p in partitions:
                self.owner[p] = member
            self.assignments.append((member, sorted(partitions)))

    def disjoint_cover(self, members, partitions):
        """Whether the latest assignments of `members` split all partitions with no overlap."""
        with self.lock:
            held = [p for m in members for p in self.latest.get(m, [])]
        return sorted(held) == list(range(partitions))

    def held_by(self, member):
        with self.lock:
            return sorted(p for p, m in self.owner.items() if m == member)
