#!/usr/bin/python3
"""Group consumers of one client (--client confluent or kafka-python) sharing a
6-partition topic.

1. Two members start, a third joins mid-stream and the first leaves
   mid-stream, while a producer writes: every record is consumed (and
   committed) exactly once across the group, and no partition is ever
   assigned to a member while another still holds it.
2. A consumer started after all have closed resumes at the committed offsets
   and reads only the records produced since.
3. A member that stops heartbeating (SIGSTOP) is evicted after its session
   timeout and its partitions move to the remaining member.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

import group_common as gc
import member

TOPIC = "groups-shared"
PARTITIONS = 6
TOTAL = 1800
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = "confluent"


def Member(*args, **kwargs):
    return member.MEMBERS[CLIENT](*args, **kwargs)


def check_exactly_once(log, expected_values, what):
    seen = {}
    for partition, offset, value, member in log:
        key = (partition, offset)
        assert key not in seen, "%s: partition %d offset %d consumed by %s and %s" % (
            what, partition, offset, seen[key], member)
        seen[key] = member
    values = sorted(v for _, _, v, _ in log)
    assert values == sorted(expected_values), "%s: %d records consumed, %d produced" % (
        what, len(values), len(expected_values))


def join_and_leave(agent):
    ownership, log, lock = gc.Ownership(), [], threading.Lock()
    values = [b"v-%d" % i for i in range(TOTAL)]

    def producer():
        for i in range(0, TOTAL, 60):
            gc.produce(agent.bootstrap, TOPIC, values[i:i + 60], PARTITIONS)
            time.sleep(0.1)

    m1 = Member("m1", agent.bootstrap, "g-shared", TOPIC, ownership, log, lock)
    m2 = Member("m2", agent.bootstrap, "g-shared", TOPIC, ownership, log, lock)
    m3 = Member("m3", agent.bootstrap, "g-shared", TOPIC, ownership, log, lock)
    m1.start()
    m2.start()
    gc.wait_until("m1 and m2 to share the partitions",
                  lambda: ownership.held_by("m1") and ownership.held_by("m2") and
                  ownership.disjoint_cover(["m1", "m2"], PARTITIONS), timeout_s=60)
    prod = threading.Thread(target=producer, daemon=True)
    prod.start()
    gc.wait_until("the first records to be consumed", lambda: len(log) > 100)
    m3.start()  # joins mid-stream
    gc.wait_until("m3 to get partitions, split with no overlap",
                  lambda: ownership.held_by("m3") and
                  ownership.disjoint_cover(["m1", "m2", "m3"], PARTITIONS), timeout_s=60)
    consumed_before_leave = len(log)
    m1.stop()  # leaves mid-stream
    gc.wait_until("m2 and m3 to hold every partition, with no overlap",
                  lambda: ownership.disjoint_cover(["m2", "m3"], PARTITIONS), timeout_s=60)
    prod.join(gc.WAIT * 4)
    assert not prod.is_alive(), "producer did not finish"
    gc.wait_until("every record to be consumed", lambda: len(log) >= TOTAL, timeout_s=90)
    time.sleep(1)  # duplicates, if any, would arrive now
    m2.stop()
    m3.stop()
    print("consumed %d records (%d before m1 left); commit failures %d; assignments: %s" % (
        len(log), consumed_before_leave, len(m1.commit_failures + m2.commit_failures +
                                              m3.commit_failures), ownership.assignments),
          flush=True)
    assert consumed_before_leave < TOTAL, "m1 left only after everything was consumed"
    assert not ownership.violations, ownership.violations
    by_member = {m for _, _, _, m in log}
    assert by_member == {"m1", "m2", "m3"}, "members that consumed: %s" % by_member
    check_exactly_once(log, values, "join and leave")


def resume_from_committed(agent):
    ownership, log, lock = gc.Ownership(), [], threading.Lock()
    more = [b"w-%d" % i for i in range(60)]
    gc.produce(agent.bootstrap, TOPIC, more, PARTITIONS)
    m4 = Member("m4", agent.bootstrap, "g-shared", TOPIC, ownership, log, lock)
    m4.start()
    gc.wait_until("the new records to be consumed", lambda: len(log) >= len(more))
    time.sleep(1)
    m4.stop()
    check_exactly_once(log, more, "resume")
    expected_first = {p: TOTAL // PARTITIONS for p in range(PARTITIONS)}
    assert m4.first_offsets == expected_first, "first offsets read %s, committed were %s" % (
        m4.first_offsets, expected_first)


class StoppableChild:
    """A member in its own process, to be frozen with SIGSTOP."""

    def __init__(self, agent, ownership, session_ms):
        self.assignments = []
        if CLIENT == "kafkajs":
            self.member = member.KafkaJsMember("stoppable", agent.bootstrap, "g-evict", TOPIC,
                                               ownership, [], threading.Lock(),
                                               session_ms=session_ms)
            self.member.start()
            self.proc = self.member.proc
            self.assigned = lambda: ownership.held_by("stoppable")
            return
        self.member = None
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "stoppable_consumer.py"),
                                      CLIENT, agent.bootstrap, "g-evict", TOPIC, str(session_ms)],
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        reader = threading.Thread(target=lambda: [self.assignments.append(line.strip())
                                                  for line in self.proc.stdout], daemon=True)
        reader.start()
        self.assigned = lambda: self.assignments and self.assignments[-1] != "assigned "

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def eviction(agent):
    ownership, log, lock = gc.Ownership(), [], threading.Lock()
    session_ms = 3000
    child = StoppableChild(agent, ownership, session_ms)
    gc.harness._CHILDREN.append(child.proc)
    survivor = Member("survivor", agent.bootstrap, "g-evict", TOPIC, ownership, log, lock,
                      session_ms=session_ms)
    try:
        gc.wait_until("the child to get an assignment", child.assigned, timeout_s=60)
        survivor.start()
        gc.wait_until("the partitions to be split between the two members",
                      lambda: 0 < len(ownership.held_by("survivor")) < PARTITIONS and
                      child.assigned(), timeout_s=60)
        os.kill(child.proc.pid, signal.SIGSTOP)  # no more heartbeats, and no LeaveGroup
        gc.wait_until("the stopped member to be evicted and its partitions to move",
                      lambda: len(ownership.held_by("survivor")) == PARTITIONS, timeout_s=60)
        print("child assignments %s; assignments %s" % (child.assignments,
                                                        ownership.assignments), flush=True)
    finally:
        child.kill()
        gc.harness._CHILDREN.remove(child.proc)
        survivor.stop()


def test(agent):
    agent.create_topic(TOPIC, PARTITIONS)
    join_and_leave(agent)
    resume_from_committed(agent)
    eviction(agent)


if __name__ == "__main__":
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--client", choices=sorted(member.MEMBERS), default="confluent")
    known, rest = p.parse_known_args()
    CLIENT = known.client
    sys.argv = [sys.argv[0]] + rest
    gc.run(test)
