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


class KafkaPythonMember(threading.Thread):
    """kafka-python's group consumer, with Member's interface and rules."""

    def __init__(self, name, bootstrap, group, topic, ownership, log, log_lock,
                 session_ms=6000, assignor="range"):
        super().__init__(name=name, daemon=True)
        self.member, self.bootstrap, self.group, self.topic = name, bootstrap, group, topic
        self.ownership, self.log, self.log_lock = ownership, log, log_lock
        self.session_ms = session_ms
        self.stopping = threading.Event()
        self.commit_failures = []
        self.first_offsets = {}
        self.error = None

    def run(self):
        try:
            self.consume()
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.error = e

    def consume(self):
        from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
        from kafka.consumer.subscription_state import ConsumerRebalanceListener
        from kafka.errors import KafkaError
        member, ownership = self.member, self.ownership

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                ownership.revoke(member, {tp.partition for tp in revoked})

            def on_partitions_assigned(self, assigned):
                ownership.assign(member, [tp.partition for tp in assigned])

        c = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group,
                          client_id=member, enable_auto_commit=False,
                          auto_offset_reset="earliest", session_timeout_ms=self.session_ms,
                          heartbeat_interval_ms=500)
        c.subscribe([self.topic], listener=Listener())
        try:
            while not self.stopping.is_set():
                for tp, records in c.poll(timeout_ms=100).items():
                    for r in records:
                        try:
                            c.commit({TopicPartition(self.topic, r.partition):
                                      OffsetAndMetadata(r.offset + 1, "")})
                        except KafkaError as e:
                            self.commit_failures.append(str(e))
                            break  # the rest of this partition's batch is redelivered
                        self.first_offsets.setdefault(r.partition, r.offset)
                        with self.log_lock:
                            self.log.append((r.partition, r.offset, r.value, member))
        finally:
            c.close()
            ownership.revoke(member)

    def stop(self, timeout_s=30):
        self.stopping.set()
        self.join(timeout_s)
        assert not self.is_alive(), "member %s did not close within %d s" % (self.member,
                                                                            timeout_s)
        assert self.error is None, "member %s failed: %r" % (self.member, self.error)


MEMBERS = {"confluent": Member, "kafka-python": KafkaPythonMember}


class KafkaJsMember(threading.Thread):
    """A KafkaJS consumer in a node process (kafkajs_member.js), with Member's
    interface. KafkaJS reports assignments but not revocations, so its
    assignments are checked per member (Ownership.replace)."""

    def __init__(self, name, bootstrap, group, topic, ownership, log, log_lock,
                 session_ms=6000, assignor=None):
        super().__init__(name=name, daemon=True)
        import os
        import subprocess
        self.member, self.ownership, self.log, self.log_lock = name, ownership, log, log_lock
        self.commit_failures = []
        self.first_offsets = {}
        self.fatal = None
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs_member.js")
        self.argv = ["node", script, bootstrap, group, topic, name, str(session_ms)]
        self.proc = None
        self.subprocess = subprocess

    def start(self):
        self.proc = self.subprocess.Popen(self.argv, stdout=self.subprocess.PIPE, text=True,
                                          start_new_session=True)
        super().start()

    @property
    def pid(self):
        return self.proc.pid

    def run(self):
        import json
        for line in self.proc.stdout:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e["event"] == "assign":
                self.ownership.replace(self.member, e["partitions"])
            elif e["event"] == "record":
                self.first_offsets.setdefault(e["p"], e["o"])
                with self.log_lock:
                    self.log.append((e["p"], e["o"], e["v"].encode(), self.member))
            elif e["event"] == "commit_failure":
                self.commit_failures.append(e["error"])
            elif e["event"] == "fatal":
                self.fatal = e["error"]
        self.ownership.revoke(self.member)

    def stop(self, timeout_s=30):
        import signal
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except self.subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("KafkaJS member %s did not stop on SIGTERM" % self.member)
        self.join(timeout_s)
        assert self.fatal is None, "KafkaJS member %s failed: %s" % (self.member, self.fatal)

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.join(10)


MEMBERS["kafkajs"] = KafkaJsMember
