#!/usr/bin/python3
"""A librdkafka consumer (confluent-kafka) and a kafka-python consumer in one
group, both with the range assignor: they split the 6 partitions 3 and 3,
never overlapping, and together consume every record exactly once.
"""

import threading

import group_common as gc
from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.assignors.range import RangePartitionAssignor
from member import Member

TOPIC = "groups-mixed"
GROUP = "g-mixed"
PARTITIONS = 6
TOTAL = 600


class PythonMember(threading.Thread):
    """kafka-python's group consumer, committing each record before logging it."""

    def __init__(self, bootstrap, ownership, log, lock):
        super().__init__(name="kafka-python", daemon=True)
        self.bootstrap, self.ownership, self.log, self.lock = bootstrap, ownership, log, lock
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        try:
            self.consume()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def consume(self):
        member, ownership = self.name, self.ownership

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                ownership.revoke(member, {tp.partition for tp in revoked})

            def on_partitions_assigned(self, assigned):
                ownership.assign(member, [tp.partition for tp in assigned])

        c = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=GROUP, client_id=member,
                          enable_auto_commit=False, auto_offset_reset="earliest",
                          session_timeout_ms=6000, heartbeat_interval_ms=500,
                          partition_assignment_strategy=[RangePartitionAssignor])
        c.subscribe([TOPIC], listener=Listener())
        try:
            while not self.stopping.is_set():
                for tp, records in c.poll(timeout_ms=100).items():
                    for r in records:
                        c.commit({TopicPartition(TOPIC, r.partition):
                                  OffsetAndMetadata(r.offset + 1, "")})
                        with self.lock:
                            self.log.append((r.partition, r.offset, r.value, member))
        finally:
            c.close()
            ownership.revoke(member)

    def stop(self):
        self.stopping.set()
        self.join(30)
        assert not self.is_alive(), "kafka-python consumer did not close"


def test(agent):
    agent.create_topic(TOPIC, PARTITIONS)
    ownership, log, lock = gc.Ownership(), [], threading.Lock()
    rd = Member("librdkafka", agent.bootstrap, GROUP, TOPIC, ownership, log, lock,
                assignor="range")
    py = PythonMember(agent.bootstrap, ownership, log, lock)
    rd.start()
    py.start()
    try:
        gc.wait_until("both consumers to hold 3 partitions each",
                      lambda: len(ownership.held_by("librdkafka")) == 3 and
                      len(ownership.held_by("kafka-python")) == 3, timeout_s=60)
        values = [b"x-%d" % i for i in range(TOTAL)]
        gc.produce(agent.bootstrap, TOPIC, values, PARTITIONS)
        gc.wait_until("every record to be consumed", lambda: len(log) >= TOTAL, timeout_s=60)
        held = (ownership.held_by("librdkafka"), ownership.held_by("kafka-python"))
    finally:
        rd.stop()
        py.stop()
    assert py.error is None, "kafka-python consumer failed: %r" % py.error
    print("librdkafka held %s, kafka-python held %s; assignments %s" % (
        held[0], held[1], ownership.assignments), flush=True)
    assert not ownership.violations, ownership.violations
    assert sorted(held[0] + held[1]) == list(range(PARTITIONS)), held
    # Range over one topic: each member gets a contiguous block.
    assert held[0] in ([0, 1, 2], [3, 4, 5]) and held[1] in ([0, 1, 2], [3, 4, 5]), held
    keys = [(p, o) for p, o, _, _ in log]
    assert len(keys) == len(set(keys)) == TOTAL, "%d records, %d distinct, %d produced" % (
        len(keys), len(set(keys)), TOTAL)
    assert sorted(v for _, _, v, _ in log) == sorted(values)
    assert {m for _, _, _, m in log} == {"librdkafka", "kafka-python"}


if __name__ == "__main__":
    gc.run(test)
