#!/usr/bin/python3
"""Static membership (group.instance.id) with confluent-kafka: a static member
that restarts within its session timeout gets its old partitions back
without a rebalance (the other member sees no revocation), and the group
keeps two members throughout.
"""

import threading
import time

import group_common as gc
from confluent_kafka import Consumer

TOPIC = "groups-static"
GROUP = "g-static"
PARTITIONS = 6


class StaticMember(threading.Thread):
    def __init__(self, bootstrap, instance, events):
        super().__init__(daemon=True)
        self.instance, self.events = instance, events
        self.stopping = threading.Event()
        self.conf = {"bootstrap.servers": bootstrap, "group.id": GROUP,
                     "group.instance.id": instance, "client.id": instance,
                     "session.timeout.ms": 30000, "heartbeat.interval.ms": 500,
                     "partition.assignment.strategy": "range"}

    def run(self):
        c = Consumer(self.conf)
        c.subscribe([TOPIC],
                    on_assign=lambda _, parts: self.events.append(
                        (self.instance, "assign", sorted(p.partition for p in parts))),
                    on_revoke=lambda _, parts: self.events.append(
                        (self.instance, "revoke", sorted(p.partition for p in parts))))
        while not self.stopping.is_set():
            c.poll(0.1)
        c.close()  # a static member sends no LeaveGroup

    def stop(self):
        self.stopping.set()
        self.join(30)
        assert not self.is_alive(), "static member %s did not close" % self.instance


def assigned(events, instance):
    got = [e[2] for e in events if e[0] == instance and e[1] == "assign"]
    return got[-1] if got else None


def test(agent):
    agent.create_topic(TOPIC, PARTITIONS)
    events = []
    a, b = StaticMember(agent.bootstrap, "static-a", events), StaticMember(agent.bootstrap,
                                                                          "static-b", events)
    a.start()
    b.start()
    gc.wait_until("both static members to hold 3 partitions",
                  lambda: len(assigned(events, "static-a") or []) == 3 and
                  len(assigned(events, "static-b") or []) == 3, timeout_s=60)
    before_a = assigned(events, "static-a")
    a.stop()
    b_events = len([e for e in events if e[0] == "static-b"])
    a2 = StaticMember(agent.bootstrap, "static-a", [])
    a2.start()
    try:
        gc.wait_until("the restarted static member to get its partitions back",
                      lambda: assigned(a2.events, "static-a") is not None, timeout_s=60)
        after_a = assigned(a2.events, "static-a")
        time.sleep(2)  # a rebalance, if one were started, would reach b now
        b_after = [e for e in events if e[0] == "static-b"][b_events:]
    finally:
        a2.stop()
        b.stop()
    print("events %s; restarted member got %s" % (events, after_a), flush=True)
    assert after_a == before_a, "restarted static member got %s, had %s" % (after_a, before_a)
    assert b_after == [], "the other member saw %s: the restart caused a rebalance" % b_after


if __name__ == "__main__":
    gc.run(test)
