#!/usr/bin/python3
"""kafka-python 2.0.2 (Debian's python3-kafka) against the agent.

Admin: KafkaAdminClient create_topics / delete_topics. Data: the known set
(compat_data) produced with acks=all to 3 partitions, read back with assign()
and seek() at explicit offsets, byte-exact with the offsets the send futures
gave; offsets_for_times, beginning_offsets, end_offsets.
"""

import time

import compat_data as data
import harness

import kafka  # noqa: E402
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

TOPIC = "kafka-python-known-set"
WAIT = 30


def topics_now(bootstrap):
    c = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return c.topics()
    finally:
        c.close()


def wait_until(what, fn):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if fn():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def admin_checks(bootstrap, check):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=WAIT * 1000)
    try:
        name = "kafka-python-admin"
        admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)],
                            timeout_ms=WAIT * 1000)
        wait_until("topic %s to appear" % name, lambda: name in topics_now(bootstrap))
        try:
            admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])
            check.true("create_topics of an existing topic succeeded", False)
        except TopicAlreadyExistsError:
            pass
        admin.delete_topics([name], timeout_ms=WAIT * 1000)
        wait_until("topic %s to disappear" % name, lambda: name not in topics_now(bootstrap))
        admin.create_topics([NewTopic(TOPIC, num_partitions=data.PARTITIONS,
                                      replication_factor=1)], timeout_ms=WAIT * 1000)
        wait_until("topic %s to appear" % TOPIC, lambda: TOPIC in topics_now(bootstrap))
    finally:
        admin.close()


def produce(bootstrap):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                             max_request_size=2 * 1024 * 1024)
    try:
        futures = {p: [] for p in range(data.PARTITIONS)}
        for p in range(data.PARTITIONS):
            for r in data.records(p):
                futures[p].append(producer.send(TOPIC, value=r["value"], key=r["key"],
                                                partition=p, headers=r["headers"],
                                                timestamp_ms=r["timestamp"]))
        producer.flush(timeout=60)
        return {p: [f.get(timeout=WAIT).offset for f in fs] for p, fs in futures.items()}
    finally:
        producer.close(timeout=10)


def consume(bootstrap, check):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             group_id=None, max_partition_fetch_bytes=2 * 1024 * 1024,
                             fetch_max_bytes=8 * 1024 * 1024, consumer_timeout_ms=2000)
    try:
        tps = [TopicPartition(TOPIC, p) for p in range(data.PARTITIONS)]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        got = {p: [] for p in range(data.PARTITIONS)}
        want = sum(len(data.records(p)) for p in range(data.PARTITIONS))
        deadline = time.monotonic() + WAIT
        n = 0
        while n < want and time.monotonic() < deadline:
            for tp, msgs in consumer.poll(timeout_ms=1000).items():
                for m in msgs:
                    got[tp.partition].append(dict(
                        offset=m.offset, key=m.key, value=m.value,
                        headers=[(k, v) for k, v in m.headers], timestamp=m.timestamp))
                    n += 1

        begin = consumer.beginning_offsets(tps)
        end = consumer.end_offsets(tps)
        for tp in tps:
            check.eq("beginning_offsets p%d" % tp.partition, begin[tp], 0)
            check.eq("end_offsets p%d" % tp.partition, end[tp], len(data.records(tp.partition)))
        for tp in tps:
            recs = data.records(tp.partition)
            for i, r in enumerate(recs):
                res = consumer.offsets_for_times({tp: r["timestamp"]})[tp]
                check.eq("offsets_for_times p%d ts of r%d" % (tp.partition, i),
                         res.offset if res else None, i)
                check.eq("offsets_for_times p%d r%d timestamp" % (tp.partition, i),
                         res.timestamp if res else None, r["timestamp"])
            res = consumer.offsets_for_times({tp: recs[-1]["timestamp"] + 1})[tp]
            check.eq("offsets_for_times p%d past the end" % tp.partition, res, None)
        return got
    finally:
        consumer.close()


def test(agent):
    print("kafka-python %s" % kafka.__version__)
    check = data.Checker()
    admin_checks(agent.bootstrap, check)
    delivered = produce(agent.bootstrap)
    got = consume(agent.bootstrap, check)
    for p in range(data.PARTITIONS):
        check.records("kafka-python", p, got[p], delivered[p])
    check.finish("kafka-python")


if __name__ == "__main__":
    harness.main(test)
