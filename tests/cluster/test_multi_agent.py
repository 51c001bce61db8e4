#!/usr/bin/python3
"""Three agents on one PostgreSQL and one s3rver, clients running through failovers
(docs/cluster.md §4, §5, §9).

A topic of 12 partitions; an idempotent producer (acks=all, bootstrap = every agent)
and a consumer group of two members run in threads from start to end, never
restarted. Meanwhile:

  a. the agent coordinating the group is killed (SIGKILL): timed until Metadata
     shows every partition led by a live agent other than it;
  b. another agent is stopped with SIGTERM (hand-over): timed likewise;
  c. a new agent a4 joins: waited for until every partition is led by its
     rendezvous owner among the live agents (each then leads 12/N +- 2);
  d. once the clients are done, the WAL objects of the departed a1 and a2 are swept
     down to at most the newest one each (wal.sweep_interval_ms = 1000 here).

At the end every acknowledged record must have been read by the group at its
acknowledged offset, no offset may hold two records, the partitions run from 0
without gaps, nothing is duplicated (crash_test.check), and a fresh read of the
stored log equals what the group read.

Printed: kill-to-led and graceful-to-led seconds, join-to-balanced seconds, records
acknowledged / recovered / consumed, the final spread.

  test_multi_agent.py --agent PATH [--timeout S]
  test_multi_agent.py --agent PATH --bench ROUNDS    (scripts/failover-bench.sh)
"""

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_agents  # noqa: E402
from cluster_agents import crash_test, desired_owner, partition_key, group_key  # noqa: E402

TOPIC = "failover"
PARTITIONS = 12
AGENT_IDS = ["a1", "a2", "a3"]
# A group id whose coordinator (rendezvous over the three agents) is a1, the one killed.
GROUP = next(g for g in ("failover-readers-%d" % i for i in range(1000))
             if desired_owner(group_key(g), AGENT_IDS) == "a1")
STEP_S = 30  # bound of each wait for leadership


def owners(agent_ids):
    """{partition: rendezvous owner} over the given agent ids."""
    return {p: desired_owner(partition_key(TOPIC, p), agent_ids) for p in range(PARTITIONS)}


def all_led_by(cl, allowed):
    """Predicate over Metadata leaders: every partition led by one of `allowed` agents."""
    nodes = {a.node_id for a in allowed}
    return lambda led: all(n in nodes for n in led.values())


def led_as_rendezvous(cl, live):
    want = {p: next(a.node_id for a in live if a.agent_id == o)
            for p, o in owners([a.agent_id for a in live]).items()}
    return lambda led: led == want


def spread_text(cl, led):
    counts = cluster_agents.spread(led, [a.node_id for a in cl.live()])
    return " ".join("%s=%d" % (cl.node_of(n).agent_id, c) for n, c in sorted(counts.items()))


def start_cluster(cl, count):
    agents = [cl.add("a%d" % i, i) for i in range(1, count + 1)]
    agents[0].create_topic(TOPIC, PARTITIONS)
    took, led = cl.wait_led(TOPIC, PARTITIONS, led_as_rendezvous(cl, agents),
                            time.monotonic() + STEP_S, "initial leadership")
    print("multi: %d partitions led after %.2f s: %s" % (PARTITIONS, took, spread_text(cl, led)),
          flush=True)
    return agents


def verify(cl, wl, deadline):
    log = wl.finish(deadline)
    acked, recovered, lost, dup = crash_test.check(wl.tally, log, idempotence=True)
    stored = cluster_agents.read_back(",".join(a.bootstrap for a in cl.live()), TOPIC,
                                      PARTITIONS, deadline)
    for p in range(PARTITIONS):
        if stored[p] != log[p]:
            raise AssertionError("partition %d: stored log (%d records) differs from what the "
                                 "group read (%d records)" % (p, len(stored[p]), len(log[p])))
    consumed = sum(len(rows) for rows in log.values())
    print("multi: records acknowledged %d recovered %d lost %d duplicated %d consumed %d "
          "(%d deliveries to the group)" % (acked, recovered, lost, dup, consumed,
                                            wl.deliveries), flush=True)
    if lost or recovered != acked or acked == 0:
        raise AssertionError("%d acknowledged, %d recovered, %d lost" % (acked, recovered, lost))
    return acked, recovered


def scenario(cl, deadline):
    a1, a2, a3 = start_cluster(cl, 3)
    bootstrap = ",".join(a.bootstrap for a in (a1, a2, a3))
    wl = cluster_agents.Workload(bootstrap, TOPIC, PARTITIONS, GROUP).start()
    wl.wait_progress(200, min(deadline, time.monotonic() + STEP_S), "before the kill")

    # a. SIGKILL a1, the group's coordinator; a3 stays to the end.
    victim, other = a1, a2
    print("multi: SIGKILL %s, coordinator of group %s (%d acknowledged so far)" %
          (victim.agent_id, GROUP, wl.acked()), flush=True)
    killed_at = time.monotonic()
    cl.kill(victim)
    wal_at_kill = wal_objects(cl, [victim.agent_id])[victim.agent_id]
    took, led = cl.wait_led(TOPIC, PARTITIONS, all_led_by(cl, [other, a3]),
                            min(deadline, killed_at + STEP_S), "after SIGKILL")
    kill_to_led = time.monotonic() - killed_at
    print("multi: kill-to-led %.2f s: %s" % (kill_to_led, spread_text(cl, led)), flush=True)
    wl.wait_progress(200, min(deadline, time.monotonic() + STEP_S), "after the kill")

    # b. SIGTERM another agent: it hands its partitions over.
    print("multi: SIGTERM %s (%d acknowledged so far)" % (other.agent_id, wl.acked()),
          flush=True)
    termed_at = time.monotonic()
    cl.terminate(other)
    print("multi: %s exited %.2f s after SIGTERM" % (other.agent_id, time.monotonic() - termed_at),
          flush=True)
    took, led = cl.wait_led(TOPIC, PARTITIONS, all_led_by(cl, [a3]),
                            min(deadline, termed_at + STEP_S), "after SIGTERM")
    graceful_to_led = time.monotonic() - termed_at
    print("multi: graceful-to-led %.2f s: %s" % (graceful_to_led, spread_text(cl, led)),
          flush=True)
    wl.wait_progress(200, min(deadline, time.monotonic() + STEP_S), "after the graceful stop")

    # c. a4 joins and takes its rendezvous share.
    joined_at = time.monotonic()
    a4 = cl.add("a4", 4)
    took, led = cl.wait_led(TOPIC, PARTITIONS, led_as_rendezvous(cl, [a3, a4]),
                            min(deadline, joined_at + STEP_S), "after a4 joined")
    counts = cluster_agents.spread(led, [a3.node_id, a4.node_id])
    print("multi: join-to-balanced %.2f s; final spread %s" %
          (time.monotonic() - joined_at, spread_text(cl, led)), flush=True)
    if any(abs(c - PARTITIONS // 2) > 2 for c in counts.values()):
        raise AssertionError("spread %s is not 12/2 +- 2" % counts)
    wl.wait_progress(200, min(deadline, time.monotonic() + STEP_S), "after the join")
    verify(cl, wl, deadline)
    sweep_departed_wal(cl, ["a1", "a2"], wal_at_kill, deadline)
    print("multi: summary kill-to-led %.2f s graceful-to-led %.2f s" %
          (kill_to_led, graceful_to_led), flush=True)


def wal_objects(cl, agent_ids):
    """{agent id: number of its WAL objects in the store}."""
    return {a: len(cl.s3.objects("%s/wal/%s/" % (cl.prefix, a))) for a in agent_ids}


def sweep_departed_wal(cl, departed, at_kill, deadline):
    """d. With the workload done every tail is sealed within segment.flush_ms; then the
    first live agent by id sweeps the departed agents' WAL objects (every second here):
    what sealed segments cover goes, and each keeps at most its newest object. `at_kill`:
    how many the killed a1 left; if more than one, a live agent must have logged a sweep."""
    started = time.monotonic()
    end = min(deadline, started + STEP_S)
    while any(n > 1 for n in wal_objects(cl, departed).values()) and time.monotonic() < end:
        time.sleep(0.25)
    after = wal_objects(cl, departed)
    # Whoever swept may have been stopped since (a2 sweeps a1 until its SIGTERM).
    swept = any("WAL sweep: deleted" in a.log_text() for a in cl.agents if a.agent_id != "a1")
    print("multi: WAL objects of a1 at its kill %d; of departed agents at the end %s; "
          "sweep logged: %s" % (at_kill, after, swept), flush=True)
    if any(n > 1 for n in after.values()):
        raise AssertionError("departed agents' WAL objects not swept: %s" % after)
    if at_kill > 1 and not swept:
        raise AssertionError("a1 left %d WAL objects, yet no agent logged a sweep" % at_kill)


def bench(cl, rounds, deadline, seed):
    """Kills a random agent `rounds` times; times kill -> all led; restarts it."""
    rng = random.Random(seed)
    agents = start_cluster(cl, 3)
    bootstrap = ",".join(a.bootstrap for a in agents)
    wl = cluster_agents.Workload(bootstrap, TOPIC, PARTITIONS, GROUP).start()
    wl.wait_progress(200, min(deadline, time.monotonic() + STEP_S), "before the first kill")
    times = []
    for r in range(rounds):
        victim = rng.choice(agents)
        others = [a for a in agents if a is not victim]
        killed_at = time.monotonic()
        cl.kill(victim)
        cl.wait_led(TOPIC, PARTITIONS, all_led_by(cl, others), min(deadline, killed_at + STEP_S),
                    "round %d after SIGKILL of %s" % (r + 1, victim.agent_id))
        times.append(time.monotonic() - killed_at)
        print("bench: round %d: SIGKILL %s, all led again after %.2f s" %
              (r + 1, victim.agent_id, times[-1]), flush=True)
        cl.restart(victim)
        cl.wait_led(TOPIC, PARTITIONS, led_as_rendezvous(cl, agents),
                    min(deadline, time.monotonic() + STEP_S), "round %d rebalance" % (r + 1))
        wl.wait_progress(100, min(deadline, time.monotonic() + STEP_S), "round %d" % (r + 1))
    acked, recovered = verify(cl, wl, deadline)
    print("bench: machine: %d vCPU, %s" % (os.cpu_count(), " ".join(os.uname()[2:5:2])))
    print("bench: %d rounds, kill-to-all-led median %.2f s, max %.2f s; records acknowledged "
          "%d, recovered %d" % (rounds, statistics.median(times), max(times), acked, recovered),
          flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent", default=None)
    p.add_argument("--timeout", type=float, default=170)
    p.add_argument("--bench", type=int, default=0, help="failover rounds instead of the test")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    if not args.bench:
        cluster_agents.run("multi", args.agent, "multi", ["--wal-sweep-interval-ms", "1000"],
                           args.timeout, scenario)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print("bench: seed %d" % seed, flush=True)
    cluster_agents.run("bench", args.agent, "bench", [], args.timeout,
                       lambda cl, deadline: bench(cl, args.bench, deadline, seed))


if __name__ == "__main__":
    main()
