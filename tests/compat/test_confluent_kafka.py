#!/usr/bin/python3
"""confluent-kafka-python (Debian's python3-confluent-kafka) against the agent.

Admin: create_topics, list_topics, describe_configs, alter_configs,
create_partitions, delete_topics. Data: the known set (compat_data) produced
with acks=all to 3 partitions, read back with assign() at explicit offsets,
byte-exact with the delivery-report offsets; offsets_for_times and watermarks.
"""

import time

import compat_data as data
import harness

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

TOPIC = "confluent-known-set"
WAIT = 30


def wait_futures(futures, what):
    for name, f in futures.items():
        try:
            f.result(timeout=WAIT)
        except KafkaException as e:
            raise AssertionError("%s %s: %s" % (what, name, e))


def wait_topic(admin, name, partitions, present=True):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        md = admin.list_topics(timeout=10)
        t = md.topics.get(name)
        if present and t is not None and t.error is None and len(t.partitions) == partitions:
            return
        if not present and (t is None or t.error is not None):
            return
        time.sleep(0.2)
    raise AssertionError("topic %s did not reach %s/%d partitions in list_topics" %
                         (name, "present" if present else "absent", partitions))


def admin_checks(admin, check):
    name = "confluent-admin"
    wait_futures(admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1,
                                               config={"retention.ms": "3600000"})]),
                 "create_topics")
    wait_topic(admin, name, 2)
    # Creating it again must fail with TOPIC_ALREADY_EXISTS.
    f = admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])[name]
    try:
        f.result(timeout=WAIT)
        check.true("create_topics of an existing topic succeeded", False)
    except KafkaException as e:
        check.eq("create existing topic error", e.args[0].name(), "TOPIC_ALREADY_EXISTS")

    res = ConfigResource(ConfigResource.Type.TOPIC, name)
    configs = admin.describe_configs([res])[res].result(timeout=WAIT)
    check.eq("describe_configs retention.ms", configs["retention.ms"].value, "3600000")
    check.true("describe_configs lists max.message.bytes", "max.message.bytes" in configs)

    res.set_config("retention.ms", "7200000")
    res.set_config("max.message.bytes", "2000000")
    admin.alter_configs([res])[res].result(timeout=WAIT)
    res2 = ConfigResource(ConfigResource.Type.TOPIC, name)
    configs = admin.describe_configs([res2])[res2].result(timeout=WAIT)
    check.eq("retention.ms after alter_configs", configs["retention.ms"].value, "7200000")
    check.eq("max.message.bytes after alter_configs", configs["max.message.bytes"].value,
             "2000000")

    wait_futures(admin.create_partitions([NewPartitions(name, 4)]), "create_partitions")
    wait_topic(admin, name, 4)

    wait_futures(admin.delete_topics([name], operation_timeout=WAIT), "delete_topics")
    wait_topic(admin, name, 0, present=False)


def produce(bootstrap):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                         "linger.ms": 5, "message.timeout.ms": 60000})
    delivered = {p: [] for p in range(data.PARTITIONS)}
    errors = []

    def report(err, msg):
        if err is not None:
            errors.append("delivery to p%d: %s" % (msg.partition(), err))
        else:
            delivered[msg.partition()].append(msg.offset())

    for p in range(data.PARTITIONS):
        for r in data.records(p):
            producer.produce(TOPIC, value=r["value"], key=r["key"], partition=p,
                             headers=r["headers"], timestamp=r["timestamp"], on_delivery=report)
            producer.poll(0)
    left = producer.flush(60)
    if left or errors:
        raise AssertionError("produce: %d undelivered, errors %s" % (left, errors))
    return delivered


def consume(bootstrap, p, count):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "confluent-compat-unused",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "fetch.message.max.bytes": 2 * 1024 * 1024})
    try:
        consumer.assign([TopicPartition(TOPIC, p, 0)])
        got = []
        deadline = time.monotonic() + WAIT
        while len(got) < count and time.monotonic() < deadline:
            m = consumer.poll(1.0)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    continue
                print("consumer p%d: %s" % (p, m.error()))
                continue
            got.append(dict(offset=m.offset(), key=m.key(), value=m.value(),
                            headers=[(k, v) for k, v in (m.headers() or [])],
                            timestamp=m.timestamp()[1]))
        return got
    finally:
        consumer.close()


def offsets_checks(bootstrap, check):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "confluent-compat-unused",
                         "enable.auto.commit": False})
    try:
        for p in range(data.PARTITIONS):
            lo, hi = consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=WAIT)
            check.eq("watermarks p%d" % p, (lo, hi), (0, len(data.records(p))))
            for i, r in enumerate(data.records(p)):
                res = consumer.offsets_for_times([TopicPartition(TOPIC, p, r["timestamp"])],
                                                 timeout=WAIT)
                check.eq("offsets_for_times p%d ts of r%d" % (p, i), res[0].offset, i)
                res = consumer.offsets_for_times(
                    [TopicPartition(TOPIC, p, r["timestamp"] - 500)], timeout=WAIT)
                check.eq("offsets_for_times p%d ts before r%d" % (p, i), res[0].offset, i)
            last = data.records(p)[-1]["timestamp"]
            res = consumer.offsets_for_times([TopicPartition(TOPIC, p, last + 1)], timeout=WAIT)
            check.eq("offsets_for_times p%d past the last timestamp" % p, res[0].offset, -1)
    finally:
        consumer.close()


def test(agent):
    check = data.Checker()
    admin = AdminClient({"bootstrap.servers": agent.bootstrap})
    admin_checks(admin, check)

    wait_futures(admin.create_topics([NewTopic(TOPIC, num_partitions=data.PARTITIONS,
                                               replication_factor=1)]), "create_topics")
    wait_topic(admin, TOPIC, data.PARTITIONS)
    delivered = produce(agent.bootstrap)
    for p in range(data.PARTITIONS):
        got = consume(agent.bootstrap, p, len(data.records(p)))
        check.records("confluent", p, got, delivered[p])
    offsets_checks(agent.bootstrap, check)
    check.finish("confluent-kafka")


if __name__ == "__main__":
    harness.main(test)
