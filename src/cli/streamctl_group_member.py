#!/usr/bin/python3
"""A live consumer group member for streamctl_bootstrap_test.sh (confluent-kafka).

  streamctl_group_member.py BOOTSTRAP GROUP TOPIC STOP_FILE

Subscribes to TOPIC in GROUP, prints "assigned P,P,..." per assignment, reads
what is there, commits synchronously and prints "committed N", then keeps
polling (so it stays a member) until STOP_FILE exists, closes the consumer
(which sends LeaveGroup) and prints "closed". Gives up after 120 s.
"""

import os
import sys
import time

try:
    from confluent_kafka import Consumer
except ImportError as e:
    print("FAIL: confluent_kafka does not import under %s: %s" % (sys.executable, e),
          file=sys.stderr)
    sys.exit(1)

bootstrap, group, topic, stop_file = sys.argv[1:5]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
              "client.id": "streamctl-live-member", "session.timeout.ms": 6000,
              "heartbeat.interval.ms": 500, "auto.offset.reset": "earliest",
              "enable.auto.commit": False})


def on_assign(consumer, parts):
    print("assigned " + ",".join(str(p.partition) for p in parts), flush=True)


c.subscribe([topic], on_assign=on_assign)
deadline = time.monotonic() + 120
consumed = 0
committed = False
while time.monotonic() < deadline and not os.path.exists(stop_file):
    msg = c.poll(0.1)
    if msg is not None and msg.error() is None:
        consumed += 1
    elif msg is None and consumed > 0 and not committed:
        c.commit(asynchronous=False)
        committed = True
        print("committed %d" % consumed, flush=True)
c.close()
print("closed", flush=True)
sys.exit(0 if os.path.exists(stop_file) else 1)
