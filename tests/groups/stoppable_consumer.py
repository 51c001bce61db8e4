#!/usr/bin/python3
"""A group consumer in its own process (confluent-kafka or kafka-python),
printing each new assignment as "assigned P,P,...". The eviction test stops it
with SIGSTOP, so it sends neither heartbeats nor a LeaveGroup.

  stoppable_consumer.py CLIENT BOOTSTRAP GROUP TOPIC SESSION_MS
"""

import sys

client, bootstrap, group, topic = sys.argv[1:5]
session_ms = int(sys.argv[5])

if client == "confluent":
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "stoppable",
                  "session.timeout.ms": session_ms, "heartbeat.interval.ms": 500,
                  "auto.offset.reset": "earliest"})

    def on_assign(consumer, parts):
        print("assigned " + ",".join(str(p.partition) for p in parts), flush=True)

    c.subscribe([topic], on_assign=on_assign)
    while True:
        c.poll(0.1)
else:
    from kafka import KafkaConsumer
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            pass

        def on_partitions_assigned(self, assigned):
            print("assigned " + ",".join(str(tp.partition) for tp in assigned), flush=True)

    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, client_id="stoppable",
                      session_timeout_ms=session_ms, heartbeat_interval_ms=500,
                      auto_offset_reset="earliest")
    c.subscribe([topic], listener=Listener())
    while True:
        c.poll(timeout_ms=100)
