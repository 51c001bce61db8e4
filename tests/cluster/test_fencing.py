#!/usr/bin/python3
"""A paused leader is fenced once another agent holds its lease (docs/cluster.md §3, §6).

Two agents with short timings (lease 4 s, agent timeout 3 s) on one PostgreSQL and
one s3rver; an idempotent producer and a one-member consumer group run throughout.

  1. The agent X leading partition P (per `streamctl leases list`) is paused with
     SIGSTOP. A raw Produce to X for P is sent while it is stopped (X reads it first
     thing on waking).
  2. The other agent Y must take P over with a higher epoch (leases list and
     Metadata), and acknowledge records of P from a producer pinned to it.
  3. X is resumed with SIGCONT: the queued Produce must be refused
     (NOT_LEADER_OR_FOLLOWER or another error), and so must five more sent to X
     right after, unless X by then leads P again under a newer epoch (then the
     record must lie in that epoch's offsets and be in the log); X's log must say
     it lost P's lease (a fenced metadata write).
  4. After X rejoins (P goes back to it by hand-over), the log of P read back must
     run from offset 0 without gaps, hold every acknowledged record (both
     producers') at its acknowledged offset and none of the refused ones; P's
     segments in PostgreSQL must be contiguous and non-overlapping, and no segment
     sealed under an old epoch may reach into a newer epoch's offsets
     (partition_epochs).

  test_fencing.py --agent PATH [--timeout S]
"""

import argparse
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_agents  # noqa: E402
from cluster_agents import crash_test, desired_owner, partition_key  # noqa: E402
import kafka_wire  # noqa: E402

from confluent_kafka import Producer  # noqa: E402

TOPIC = "fenced"
PARTITIONS = 4
GROUP = "fenced-readers"
TIMINGS = ["--lease-ms", "4000", "--cluster-agent-timeout-ms", "3000",
           "--cluster-heartbeat-interval-ms", "500", "--cluster-balance-interval-ms", "250"]
PROBE_BASE = 10 ** 9  # record numbers of the raw produces sent to the deposed agent
NOT_LEADER_OR_FOLLOWER = 6
# Records a producer pinned to the new leader writes while the old one is paused. The
# workload's idempotent producer cannot show the takeover: it keeps P's records until
# its requests in flight to the paused agent are answered (librdkafka drains them
# before it sends an idempotent partition to another broker).
PINNED_BASE = 2 * 10 ** 9
STEP_S = 30


def rendezvous_led(agents):
    want = {p: next(a.node_id for a in agents
                    if a.agent_id == desired_owner(partition_key(TOPIC, p),
                                                   [b.agent_id for b in agents]))
            for p in range(PARTITIONS)}
    return lambda led: led == want


def pinned_produce(conn, partition, n):
    """One record "rec-n" to `partition` over `conn`: (n, True, offset) if acknowledged,
    else (n, False, the error code or the exception)."""
    try:
        err, base = conn.produce(TOPIC, partition, kafka_wire.record_batch(
            [(None, b"rec-%d" % n, [])]), acks=-1, timeout_ms=5000)
        return (n, True, base) if err == 0 else (n, False, err)
    except (OSError, kafka_wire.ProtocolError) as e:
        return n, False, "%s: %s" % (type(e).__name__, e)


def probe_after_resume(x, part, count, results):
    for k in range(count):
        try:
            with kafka_wire.Connection("127.0.0.1", x.port, timeout=10) as c:
                results.append(pinned_produce(c, part, PROBE_BASE + 1 + k))
        except OSError as e:
            results.append((PROBE_BASE + 1 + k, False, "connect: %s" % e))
        time.sleep(0.1)


def check_late_acks(cl, wl, part, answers, e1):
    """A pinned produce X acknowledged after the resume is legitimate only at an offset
    of an epoch above e1 (X holding P again); it then joins the records that must be
    in the log. Returns the numbers of the refused ones."""
    starts = {int(e): int(s) for e, s in cl.psql(
        "select leader_epoch, start_offset from partition_epochs where topic = '%s' and "
        "partition = %d" % (TOPIC, part))}
    for n, ok, off in answers:
        if not ok:
            continue
        if not any(e > e1 and s <= off for e, s in starts.items()):
            raise AssertionError("the deposed agent acknowledged offset %d of partition %d, "
                                 "below every epoch after %d (epoch starts %s)" %
                                 (off, part, e1, sorted(starts.items())))
        with wl.tally.lock:
            other = wl.tally.by_offset.get((part, off))
            if other is not None and other != n:
                raise AssertionError("offset %d of partition %d acknowledged for records %d "
                                     "and %d" % (off, part, other, n))
            wl.tally.by_offset[(part, off)] = n
            wl.tally.acked[n] = (part, off)
    return {n for n, ok, _ in answers if not ok}


def wait_takeover(cl, part, x, e0, deadline):
    while time.monotonic() < deadline:
        holder, epoch, state = cl.leases(TOPIC).get(part, (None, None, None))
        if holder not in (None, x.agent_id) and state == "held" and epoch > e0:
            return holder, epoch
        time.sleep(cluster_agents.POLL_S)
    raise AssertionError("partition %d: no other agent took the lease within the bound "
                         "(last: %s)" % (part, cl.leases(TOPIC).get(part)))


def wait_fenced_line(x, part, deadline):
    pat = re.compile(r"(?i)(lost the lease|fenced).*\b%s/%d\b" % (TOPIC, part))
    while time.monotonic() < deadline:
        lines = [l for l in x.log_text().splitlines() if pat.search(l)]
        if lines:
            return lines
        time.sleep(0.2)
    raise AssertionError("%s's log never says it lost the lease on %s/%d" %
                         (x.agent_id, TOPIC, part))


def check_segments(cl, part):
    """P's segments: contiguous, non-overlapping, none of an old epoch past a newer start."""
    rows = cl.psql("select base_offset, end_offset, object_key from segments where topic = '%s' "
                   "and partition = %d order by base_offset" % (TOPIC, part))
    starts = {int(e): int(s) for e, s in cl.psql(
        "select leader_epoch, start_offset from partition_epochs where topic = '%s' and "
        "partition = %d" % (TOPIC, part))}
    hw = int(cl.psql("select high_watermark from partitions where topic = '%s' and "
                     "partition = %d" % (TOPIC, part))[0][0])
    print("fencing: partition %d: epoch starts %s, high watermark %d, segments %s" %
          (part, sorted(starts.items()), hw, [(int(b), int(e), k.rsplit("/", 1)[-1])
                                               for b, e, k in rows]), flush=True)
    if not rows:
        raise AssertionError("partition %d: no segment registered after two hand-overs" % part)
    expect = 0
    for base, end, key in rows:
        base, end = int(base), int(end)
        if base != expect or end <= base:
            raise AssertionError("partition %d: segment [%d, %d) after offset %d: gap or "
                                 "overlap" % (part, base, end, expect))
        expect = end
        m = re.search(r"_e(\d+)\.bin$", key)
        epoch = int(m.group(1)) if m else 1
        for newer, start in starts.items():
            if newer > epoch and end > start:
                raise AssertionError("partition %d: segment [%d, %d) of epoch %d reaches past "
                                     "epoch %d's start %d" % (part, base, end, epoch, newer,
                                                              start))
    if hw < expect:
        raise AssertionError("partition %d: high watermark %d below the sealed end %d" %
                             (part, hw, expect))


def produce_to(agent, part, first, count, tally):
    """`count` records "rec-N" (N from `first`) to `part` through `agent` alone, reported
    to `tally`; returns their acknowledged offsets."""
    p = Producer({"bootstrap.servers": agent.bootstrap, "acks": "all", "log_level": 2,
                  "message.timeout.ms": 20000})
    for k in range(count):
        p.produce(TOPIC, value=b"rec-%d" % (first + k), partition=part,
                  on_delivery=tally.report)
    p.flush(25)
    with tally.lock:
        offsets = sorted(tally.acked[n][1] for n in range(first, first + count)
                         if n in tally.acked)
    if len(offsets) != count:
        raise AssertionError("%s acknowledged %d of %d records of partition %d: %s" %
                             (agent.agent_id, len(offsets), count, part,
                              [tally.failed.get(n) for n in range(first, first + count)][:3]))
    return offsets


def check_log(wl, log, part, refused_numbers):
    """crash_test.check of every acknowledged record (ordering and duplicates are checked
    here, over the idempotent producer's records only), and none of the refused ones."""
    acked, recovered, lost, dup = crash_test.check(wl.tally, log, idempotence=False)
    for p, rows in log.items():
        numbers = [n for _, n in rows if n < PROBE_BASE]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise AssertionError("partition %d: the idempotent producer's records are out of "
                                 "order or duplicated" % p)
    refused = [(p, o, n) for p, rows in log.items() for o, n in rows if n in refused_numbers]
    if refused:
        raise AssertionError("refused produces are in the log: %s" % refused)
    print("fencing: partition %d holds offsets 0..%d; records acknowledged %d recovered %d "
          "lost %d duplicated %d" % (part, len(log[part]) - 1, acked, recovered, lost, dup),
          flush=True)
    if lost or recovered != acked:
        raise AssertionError("%d acknowledged, %d lost" % (acked, lost))


def scenario(cl, deadline):
    a1, a2 = cl.add("a1", 1), cl.add("a2", 2)
    a1.create_topic(TOPIC, PARTITIONS)
    cl.wait_led(TOPIC, PARTITIONS, rendezvous_led([a1, a2]), time.monotonic() + STEP_S,
                "initial leadership")
    wl = cluster_agents.Workload(",".join(a.bootstrap for a in (a1, a2)), TOPIC, PARTITIONS,
                                 GROUP, rate=200, members=1).start()
    wl.wait_progress(100, time.monotonic() + STEP_S, "before the pause")
    part = 0
    holder, e0, _ = cl.leases(TOPIC)[part]
    x, y = (a1, a2) if holder == "a1" else (a2, a1)
    conn = kafka_wire.Connection("127.0.0.1", x.port, timeout=STEP_S)
    conn.api_versions()

    paused_at = time.monotonic()
    cl.pause(x)
    print("fencing: SIGSTOP %s, leader of partition %d at epoch %d" % (x.agent_id, part, e0),
          flush=True)
    queued = []
    sender = threading.Thread(target=lambda: queued.append(pinned_produce(conn, part,
                                                                          PROBE_BASE)))
    sender.start()
    new_holder, e1 = wait_takeover(cl, part, x, e0, min(deadline, paused_at + STEP_S))
    print("fencing: %s took partition %d at epoch %d, %.2f s after the pause" %
          (new_holder, part, e1, time.monotonic() - paused_at), flush=True)
    cl.wait_led(TOPIC, PARTITIONS, lambda led: led.get(part) == y.node_id,
                min(deadline, time.monotonic() + STEP_S), "Metadata naming the new leader")
    pinned = produce_to(y, part, PINNED_BASE, 20, wl.tally)
    print("fencing: %s acknowledged 20 records of partition %d (offsets %d..%d) while %s was "
          "paused" % (y.agent_id, part, pinned[0], pinned[-1], x.agent_id), flush=True)

    cl.resume(x)
    resumed_at = time.monotonic()
    probes = []
    probe_after_resume(x, part, 5, probes)
    sender.join(STEP_S)
    conn.close()
    answers = queued + probes
    print("fencing: SIGCONT %s after %.2f s paused; pinned produces for partition %d got %s "
          "(%d = NOT_LEADER_OR_FOLLOWER)" % (x.agent_id, resumed_at - paused_at, part, answers,
                                            NOT_LEADER_OR_FOLLOWER), flush=True)
    if len(answers) != 6 or answers[0][1]:
        raise AssertionError("the produce queued at the paused agent was acknowledged, or not "
                             "every produce was answered: %s" % answers)
    for line in wait_fenced_line(x, part, min(deadline, time.monotonic() + STEP_S))[:3]:
        print("fencing: %s log: %s" % (x.agent_id, line.strip()), flush=True)

    cl.wait_led(TOPIC, PARTITIONS, rendezvous_led([a1, a2]),
                min(deadline, time.monotonic() + STEP_S), "rebalance after the resume")
    print("fencing: after the resume partition %d is led per leases list by %s" %
          (part, cl.leases(TOPIC)[part][:2]), flush=True)
    wl.wait_progress(100, min(deadline, time.monotonic() + STEP_S), "after the resume")
    log = wl.finish(deadline)
    stored = cluster_agents.read_back(",".join(a.bootstrap for a in (a1, a2)), TOPIC,
                                      PARTITIONS, deadline)
    if stored != log:
        raise AssertionError("the stored log differs from what the group read")
    check_log(wl, stored, part, check_late_acks(cl, wl, part, answers, e1))
    check_segments(cl, part)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent", default=None)
    p.add_argument("--timeout", type=float, default=150)
    args = p.parse_args()
    cluster_agents.run("fencing", args.agent, "fencing", TIMINGS, args.timeout, scenario)


if __name__ == "__main__":
    main()
