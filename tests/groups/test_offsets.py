#!/usr/bin/python3
"""Committed offsets and their metadata survive a restart of the agent, and
the group admin calls work: kafka-python commits with metadata as a group
member, confluent-kafka commits as a standalone consumer (generation -1);
after the restart both read back the same offsets and metadata;
KafkaAdminClient lists, describes and deletes the groups.
"""

import time

import group_common as gc
from confluent_kafka import Consumer
from confluent_kafka import TopicPartition as CTopicPartition
from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.admin import KafkaAdminClient

TOPIC = "groups-offsets"
PARTITIONS = 3


def commit_as_member(bootstrap):
    c = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id="g-meta", client_id="py",
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      session_timeout_ms=6000, heartbeat_interval_ms=500)
    try:
        gc.wait_until("an assignment", lambda: c.poll(timeout_ms=100) is not None and
                      len(c.assignment()) == PARTITIONS)
        c.commit({TopicPartition(TOPIC, p): OffsetAndMetadata(10 + p, "checkpoint-%d" % p)
                  for p in range(PARTITIONS)})
    finally:
        c.close()


def commit_standalone(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "g-standalone",
                  "enable.auto.commit": False})
    try:
        c.assign([CTopicPartition(TOPIC, 1, 0)])
        c.commit(offsets=[CTopicPartition(TOPIC, 1, 5)], asynchronous=False)
        got = c.committed([CTopicPartition(TOPIC, 1)], timeout=gc.WAIT)
        assert got[0].offset == 5, "standalone committed offset %s" % got[0].offset
    finally:
        c.close()


def read_back(bootstrap):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="admin")
    try:
        offsets = admin.list_consumer_group_offsets("g-meta")
        got = {tp.partition: (om.offset, om.metadata) for tp, om in offsets.items()}
        want = {p: (10 + p, "checkpoint-%d" % p) for p in range(PARTITIONS)}
        assert got == want, "g-meta offsets %s, committed %s" % (got, want)
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "g-standalone"})
        try:
            got = c.committed([CTopicPartition(TOPIC, 1)], timeout=gc.WAIT)
            assert got[0].offset == 5, "standalone committed offset %s" % got[0].offset
        finally:
            c.close()
    finally:
        admin.close()


def admin_calls(bootstrap):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="admin")
    try:
        groups = {g for g, _ in admin.list_consumer_groups()}
        assert {"g-meta", "g-standalone"} <= groups, "listed groups %s" % groups
        described = admin.describe_consumer_groups(["g-meta"])[0]
        assert described.state == "Empty", "g-meta is %s after its member left" % described.state
        result = dict(admin.delete_consumer_groups(["g-standalone"]))
        assert result["g-standalone"].__name__ == "NoError", result
        groups = {g for g, _ in admin.list_consumer_groups()}
        assert "g-standalone" not in groups, "deleted group still listed: %s" % groups
    finally:
        admin.close()


def test(agent):
    agent.create_topic(TOPIC, PARTITIONS)
    gc.produce(agent.bootstrap, TOPIC, [b"r-%d" % i for i in range(60)], PARTITIONS)
    commit_as_member(agent.bootstrap)
    commit_standalone(agent.bootstrap)
    read_back(agent.bootstrap)
    agent.restart()
    time.sleep(0.5)
    read_back(agent.bootstrap)
    admin_calls(agent.bootstrap)


if __name__ == "__main__":
    gc.run(test)
