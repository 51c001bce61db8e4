#!/usr/bin/python3
"""Fault test of cluster mode: the S3 server, then PostgreSQL, stop and come back
while a producer runs.

One agent in cluster mode (a throwaway PostgreSQL and s3rver, tests/support/servers.py).
For each dependency in turn:

  1. a confluent-kafka producer (acks=all, idempotent) writes numbered records to a
     4-partition topic and keeps writing through the whole scenario;
  2. the dependency is stopped; while it is down, a probe producer that does not retry
     sends one record: its delivery must either fail with a *retriable* Kafka error
     (the S3 server: no write-ahead-log object can be stored, so nothing may be
     acknowledged) or succeed (PostgreSQL: the produce path needs no metadata write;
     segment registrations wait and are retried);
  3. the dependency is started again (same port, same data);
  4. the main producer must finish with every record delivered, and a consumer must
     find every acknowledged record at its acknowledged offset, in order, without
     duplicates and without gaps.

Printed: per scenario, records acknowledged / recovered / lost / duplicated, the probe's
outcome, and how long produces took to succeed again after the restart.

  test_faults.py --agent PATH [--timeout S] [--only s3|postgres]
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "compat"))
sys.path.insert(0, os.path.join(TESTS, "crash"))
sys.path.insert(0, os.path.join(TESTS, "support"))
sys.path.insert(0, HERE)
import cluster_agents  # noqa: E402
import crash_test  # noqa: E402
import harness  # noqa: E402
import servers  # noqa: E402

from confluent_kafka import KafkaError, Producer  # noqa: E402

PARTITIONS = crash_test.PARTITIONS
# Error codes Kafka's protocol marks retriable that an agent may answer when a
# dependency is down (librdkafka's retriable() flag is not set on delivery
# reports of a producer with retries=0, so the test names the codes itself),
# plus the client's own message timeout.
RETRIABLE = {"KAFKA_STORAGE_ERROR", "REQUEST_TIMED_OUT", "NOT_LEADER_OR_FOLLOWER",
             "LEADER_NOT_AVAILABLE", "NOT_ENOUGH_REPLICAS", "_MSG_TIMED_OUT", "_TIMED_OUT"}
DOWN_S = 4.0  # how long a dependency stays down
RECORDS = 6000
PRODUCE_S = 12.0


def cluster_args(pg, s3, prefix):
    return cluster_agents.cluster_args(pg, s3, prefix) + [
        # Fail fast while a dependency is down, so clients see retriable errors
        # instead of waiting; the producer's own retries bridge the outage.
        "--storage-s3-request-timeout-ms", "2000", "--storage-s3-max-retries", "2",
        "--wal-put-timeout-ms", "3000"]


def probe(bootstrap, topic):
    """Sends one record without client retries; returns (error or None, seconds taken)."""
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "retries": 0,
                  "enable.idempotence": False, "message.timeout.ms": 20000,
                  "request.timeout.ms": 15000})
    outcome = []
    started = time.monotonic()
    p.produce(topic, value=b"probe", partition=0,
              on_delivery=lambda err, msg: outcome.append(err))
    p.flush(25)
    return (outcome[0] if outcome else "no delivery report"), time.monotonic() - started


def first_success_after(bootstrap, topic, deadline):
    """Seconds until a fresh non-retrying probe is acknowledged."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        err, _ = probe(bootstrap, topic)
        if err is None:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError("produce did not succeed again after the restart")


def scenario(agent, name, dependency, deadline):
    topic = "faults-" + name
    probe_topic = "probe-" + name
    agent.create_topic(topic, PARTITIONS)
    agent.create_topic(probe_topic, 1)
    run = crash_test.start_producer(agent.bootstrap, topic, RECORDS, PRODUCE_S, True, deadline)
    tally = run.tally
    time.sleep(2.0)
    before = len(tally.acked)
    print("faults[%s]: stopping %s (%d acknowledged so far)" % (name, name, before), flush=True)
    dependency.stop()
    down_at = time.monotonic()
    err, took = probe(agent.bootstrap, probe_topic)
    if err is None:
        outcome = "acknowledged"
    elif isinstance(err, KafkaError) and (err.retriable() or err.name() in RETRIABLE):
        outcome = "retriable error %s" % err.name()
    else:
        raise AssertionError("%s down: probe failed with a non-retriable error: %s" % (name, err))
    print("faults[%s]: probe while down: %s after %.1f s" % (name, outcome, took), flush=True)
    if name == "s3" and err is None:
        raise AssertionError("a record was acknowledged while the S3 server was down")
    time.sleep(max(0.0, down_at + DOWN_S - time.monotonic()))
    dependency.start()
    print("faults[%s]: %s started again after %.1f s down" %
          (name, name, time.monotonic() - down_at), flush=True)
    recovery = first_success_after(agent.bootstrap, probe_topic, deadline)
    print("faults[%s]: produce acknowledged again %.2f s after the restart" % (name, recovery),
          flush=True)
    run.finish(deadline)
    acked, recovered, lost, dup = crash_test.check(
        tally, crash_test.consume_all(agent.bootstrap, topic, deadline), idempotence=True)
    print("faults[%s]: acknowledged %d recovered %d lost %d duplicated %d" %
          (name, acked, recovered, lost, dup), flush=True)
    if acked != RECORDS or lost:
        raise AssertionError("%s: %d of %d acknowledged, %d lost" % (name, acked, RECORDS, lost))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent", default=None)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--only", choices=["s3", "postgres"], default=None)
    args = p.parse_args()
    try:
        pg = servers.Postgres().start()
        s3 = servers.S3Server().start()
    except servers.ServerError as e:
        print("faults: FAIL: cannot start a test server: %s" % e, flush=True)
        sys.exit(1)
    try:
        def test(agent):
            deadline = time.monotonic() + args.timeout - 30
            if args.only in (None, "s3"):
                scenario(agent, "s3", s3, deadline)
            if args.only in (None, "postgres"):
                scenario(agent, "postgres", pg, deadline)

        rc = harness.run_with_agent(test, args.timeout, args.agent,
                                    cluster_args(pg, s3, "faults"))
    finally:
        s3.close()
        pg.close()
    sys.exit(rc)


if __name__ == "__main__":
    main()
