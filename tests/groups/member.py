"""A confluent-kafka group consumer in a thread, for the group tests.

Each record is committed synchronously (offset + 1) before it is logged, so a
record counts as consumed only once its commit succeeded: a record logged
twice means two members committed the same offset, i.e. the group let two
members read one partition, or lost a commit.
"""

import threading

from confluent_kafka import Consumer, KafkaException, TopicPartition


class Member(threading.Thread):
    def __init__(self, name, bootstrap, group, topic, ownership, log, log_lock,
                 session_ms=6000, assignor="range,roundrobin"):
        super().__init__(name=name, daemon=True)
        self.member = name
        self.ownership = ownership
        self.log = log
        self.log_lock = log_lock
        self.topic = topic
        self.stopping = threading.Event()
        self.commit_failures = []
        self.first_offsets = {}  # partition -> first offset this member read
        self.conf = {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "client.id": name,
            "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": 500,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": assignor,
        }

    def run(self):
        c = Consumer(self.conf)

        def on_assign(consumer, parts):
            self.ownership.assign(self.member, [p.partition for p in parts])

        def on_revoke(consumer, parts):
            self.ownership.revoke(self.member, [p.partition for p in parts])

        c.subscribe([self.topic], on_assign=on_assign, on_revoke=on_revoke)
        try:
            while not self.stopping.is_set():
                msg = c.poll(0.1)
                if msg is None or msg.error() is not None:
                    continue
                tp = TopicPartition(self.topic, msg.partition(), msg.offset() + 1)
                try:
                    c.commit(offsets=[tp], asynchronous=False)
                except KafkaException as e:
                    self.commit_failures.append(str(e))
                    continue
                self.first_offsets.setdefault(msg.partition(), msg.offset())
                with self.log_lock:
                    self.log.append((msg.partition(), msg.offset(), msg.value(), self.member))
        finally:
            c.close()  # LeaveGroup
            self.ownership.revoke(self.member)

    def stop(self, timeout_s=30):
        self.stopping.set()
        self.join(timeout_s)
        assert not self.is_alive(), "member %s did not close within %d s" % (self.member,
                                                                            timeout_s)
