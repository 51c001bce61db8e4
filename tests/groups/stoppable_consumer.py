#!/usr/bin/python3
"""A confluent-kafka group consumer in its own process, printing each new
assignment as "assigned P,P,...". The eviction test stops it with SIGSTOP, so
it sends neither heartbeats nor a LeaveGroup.

  stoppable_consumer.py BOOTSTRAP GROUP TOPIC SESSION_MS
"""

import sys

from confluent_kafka import Consumer

bootstrap, group, topic, session_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "stoppable",
              "session.timeout.ms": session_ms, "heartbeat.interval.ms": 500,
              "auto.offset.reset": "earliest"})


def on_assign(consumer, parts):
    print("assigned " + ",".join(str(p.partition) for p in parts), flush=True)


c.subscribe([topic], on_assign=on_assign)
while True:
    c.poll(0.1)
