"""Several agents on one PostgreSQL and one S3 server, for the cluster tests.

  import cluster_agents
  with cluster_agents.Cluster(binary, "prefix", LEASE_FLAGS) as cl:
      a1 = cl.add("a1", 1)              # started, cluster mode, its own port and data dir
      cl.kill(a1); cl.restart(a1); cl.terminate(a1)
      cl.leaders(topic)                 # Metadata as one live agent answers it
      cl.leases(topic)                  # `streamctl leases list` from the database

Also: cluster_args(pg, s3, prefix), the backend flags of every cluster-mode agent
(cluster_env.agent_args with the servers' addresses, so there is one list of them);
desired_owner(), rendezvous hashing as docs/cluster.md §5 defines it; Workload, an
idempotent producer and a consumer group in threads; run(), a test's entry point
(servers, watchdog, PASS/FAIL). With $SH_CLUSTER_LOG_DIR set, every agent's whole
log is copied there at the end.

Agents are tests/compat/harness.py Agents; kills and restarts are
tests/crash/crash_test.py's (same data directory and port after a restart).
"""

import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
for sub in ("compat", "crash", "support"):
    sys.path.insert(0, os.path.join(TESTS, sub))
sys.path.insert(0, HERE)
import cluster_env  # noqa: E402
import crash_test  # noqa: E402
import harness  # noqa: E402
import servers  # noqa: E402

from confluent_kafka import KafkaException  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

POLL_S = 0.1


def cluster_args(pg, s3, prefix):
    """Flags for metadata in `pg` and objects under s3://BUCKET/prefix of `s3`."""
    env = {"SH_TEST_POSTGRES_URL": pg.url, "SH_TEST_S3_ENDPOINT": s3.endpoint,
           "SH_TEST_S3_BUCKET": s3.bucket, "SH_TEST_S3_ACCESS_KEY": s3.access_key,
           "SH_TEST_S3_SECRET_KEY": s3.secret_key}
    return cluster_env.agent_args(prefix, env)


def _stable_hash64(data):
    """StableHash64 (src/cluster/rendezvous.cc): FNV-1a 64, then the SplitMix64 finaliser."""
    mask = (1 << 64) - 1
    h = 0xcbf29ce484222325
    for c in data:
        h = ((h ^ c) * 0x100000001b3) & mask
    h ^= h >> 30
    h = (h * 0xbf58476d1ce4e5b9) & mask
    h ^= h >> 27
    h = (h * 0x94d049bb133111eb) & mask
    return h ^ (h >> 31)


def desired_owner(key, agent_ids):
    """Rendezvous owner of a key: the largest weight, ties to the smaller id."""
    best = None
    for agent in sorted(agent_ids):
        w = _stable_hash64(key + b"\0" + agent.encode())
        if best is None or w > best[0]:
            best = (w, agent)
    return best[1]


def partition_key(topic, partition):
    return topic.encode() + b"\0" + str(partition).encode()


def group_key(group_id):
    return b"group\0" + group_id.encode()


class ClusterAgent(harness.Agent):
    """A harness Agent in cluster mode with a fixed agent id and Kafka node id."""

    def __init__(self, binary, agent_id, node_id, args):
        super().__init__(binary, args + ["--cluster-enabled", "true", "--agent-id", agent_id,
                                         "--agent-node-id", str(node_id)])
        self.agent_id = agent_id
        self.node_id = node_id
        self.paused = False

    def log_text(self):
        """The whole log of this agent, earlier runs (before restarts) first."""
        text = []
        if self.tmp is None:
            return ""
        for name in sorted(os.listdir(self.tmp)):
            if name.startswith("agent.log.") or name == "agent.log":
                with open(os.path.join(self.tmp, name), "rb") as f:
                    text.append(f.read().decode(errors="replace"))
        return "".join(text[1:] + text[:1]) if text else ""


class Cluster:
    """One PostgreSQL, one s3rver, and the agents added; closed as a context manager."""

    def __init__(self, binary, prefix, extra_args=()):
        self.binary = binary or harness.default_agent()
        self.prefix = prefix
        self.extra_args = list(extra_args)
        self.agents = []
        self.pg = servers.Postgres()
        self.s3 = servers.S3Server()
        self.streamctl = os.path.join(os.path.dirname(os.path.abspath(self.binary)), "streamctl")

    def __enter__(self):
        self.pg.start()
        self.s3.start()
        return self

    def __exit__(self, exc_type, *exc):
        keep = os.environ.get("SH_CLUSTER_LOG_DIR")  # copy the agents' logs there
        for a in self.agents:
            if a.paused and a.alive():
                os.kill(a.pid, signal.SIGCONT)
            if not a.stop() or exc_type is not None:
                print("cluster: agent %s" % a.agent_id)
                a.print_log(80)
            if keep:
                os.makedirs(keep, exist_ok=True)
                with open(os.path.join(keep, "%s.log" % a.agent_id), "w") as f:
                    f.write(a.log_text())
            a.cleanup()
        self.s3.close()
        self.pg.close()

    def watchdog(self, seconds):
        """After `seconds`: SIGKILL every agent, remove the servers, exit 1 (a bound that
        leaves no process behind, unlike a CTest timeout)."""
        def expire():
            print("cluster: FAIL: time bound of %d s passed" % seconds, flush=True)
            for a in self.agents:
                if a.alive():
                    a.proc.kill()
                a.print_log(40)
                a.cleanup()
            self.s3.close()
            self.pg.close()
            os._exit(1)
        t = threading.Timer(seconds, expire)
        t.daemon = True
        t.start()
        return t

    def add(self, agent_id, node_id):
        a = ClusterAgent(self.binary, agent_id, node_id,
                         cluster_args(self.pg, self.s3, self.prefix) + self.extra_args)
        self.agents.append(a)
        a.start()
        return a

    def live(self):
        return [a for a in self.agents if a.alive() and not a.paused]

    def kill(self, agent):
        crash_test.kill(agent)

    def terminate(self, agent):
        """SIGTERM; raises unless the agent exits cleanly within the harness bound."""
        if not agent.stop():
            raise AssertionError("agent %s did not stop gracefully on SIGTERM" % agent.agent_id)

    def restart(self, agent):
        crash_test.restart(agent)

    def pause(self, agent):
        os.kill(agent.pid, signal.SIGSTOP)
        agent.paused = True

    def resume(self, agent):
        os.kill(agent.pid, signal.SIGCONT)
        agent.paused = False

    def node_of(self, node_id):
        return next(a for a in self.agents if a.node_id == node_id)

    def leaders(self, topic, via=None):
        """({node_id: "host:port"}, {partition: leader node id or None}) from the Metadata of
        one live agent (`via`, else the live ones in turn); None if none answered."""
        ask = [via] if via else self.live()
        for a in ask:
            client = AdminClient({"bootstrap.servers": a.bootstrap,
                                  "socket.connection.setup.timeout.ms": 1000})
            try:
                md = client.list_topics(topic, timeout=2)
            except KafkaException:
                continue
            t = md.topics.get(topic)
            if t is None or t.error is not None:
                continue
            brokers = {b.id: "%s:%d" % (b.host, b.port) for b in md.brokers.values()}
            led = {p.id: (p.leader if p.error is None and p.leader >= 0 else None)
                   for p in t.partitions.values()}
            return brokers, led
        return None

    def wait_led(self, topic, partitions, ok, deadline, what):
        """Polls Metadata until ok(led) holds for a full map of `partitions`; returns
        (seconds waited, led). Raises at the deadline, naming the last answer."""
        started = time.monotonic()
        last = None
        turn = 0
        while time.monotonic() < deadline:
            live = self.live()
            ans = self.leaders(topic, via=live[turn % len(live)]) if live else None
            turn += 1
            if ans is not None:
                last = ans
                led = ans[1]
                if len(led) == partitions and ok(led):
                    return time.monotonic() - started, led
            time.sleep(POLL_S)
        raise AssertionError("%s: not reached within the bound; last Metadata %s" % (what, last))

    def leases(self, topic):
        """{partition: (leader agent id or None, epoch or None, state)} per streamctl."""
        if not os.access(self.streamctl, os.X_OK):
            raise AssertionError("streamctl not found at %s (build the streamctl target)" %
                                 self.streamctl)
        r = subprocess.run([self.streamctl, "--metadata-url", self.pg.url, "leases", "list",
                            topic], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("streamctl leases list failed: %s" % r.stdout)
        out = {}
        for line in r.stdout.splitlines()[1:]:
            f = line.split()
            if len(f) != 6 or f[0] != topic:
                continue
            out[int(f[1])] = (None if f[2] == "-" else f[2], None if f[3] == "-" else int(f[3]),
                              f[5])
        return out

    def psql(self, sql):
        r = subprocess.run(["psql", self.pg.url, "-AtF", " ", "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=30)
        if r.returncode != 0:
            raise AssertionError("psql %r failed: %s" % (sql, r.stdout))
        return [line.split(" ") for line in r.stdout.splitlines() if line]


def spread(led, node_ids):
    """{node id: partitions it leads} for the given nodes (0 for those leading none)."""
    out = {n: 0 for n in node_ids}
    for leader in led.values():
        if leader is not None:
            out[leader] = out.get(leader, 0) + 1
    return out


class Workload:
    """A confluent-kafka producer (acks=all, idempotent; records "rec-N" to partition
    N % partitions, about `rate` a second) and a consumer group of `members` members,
    each in its own thread, running until finish(). Acknowledgements go to a
    crash_test.Tally; what the group reads goes to `consumed` {(partition, offset): N}."""

    def __init__(self, bootstrap, topic, partitions, group, rate=300, members=2, conf=None):
        self.bootstrap, self.topic, self.partitions = bootstrap, topic, partitions
        self.group, self.rate = group, rate
        self.conf = dict(conf or {})  # more client settings, for producer and consumers
        self.tally = crash_test.Tally()
        self.lock = threading.Lock()
        self.consumed = {}
        self.deliveries = 0  # messages the group received, re-deliveries included
        self.conflicts = []  # (partition, offset, first N, second N)
        self.fatal = []
        self.client_errors = 0
        self.last_errors = []  # the client's latest error_cb reports, for failure messages
        self.produced = 0
        self.unflushed = None  # what the producer's final flush left
        self.flush_s = 30.0
        self.stop_producing = threading.Event()
        self.stop_consuming = threading.Event()
        self.threads = [threading.Thread(target=self._guard, args=(self._produce,), daemon=True)]
        self.threads += [threading.Thread(target=self._guard, args=(self._consume,), daemon=True)
                         for _ in range(members)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _guard(self, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - reported by finish()
            self.fatal.append("%s: %s" % (fn.__name__, e))

    def _on_error(self, err):
        if err.fatal():
            self.fatal.append("client fatal error: %s" % err)
        self.client_errors += 1
        self.last_errors = (self.last_errors + [str(err)])[-5:]

    def _client_conf(self):
        return {"bootstrap.servers": self.bootstrap, "error_cb": self._on_error, "log_level": 2,
                "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500,
                "socket.connection.setup.timeout.ms": 3000,
                "topic.metadata.refresh.interval.ms": 1000, **self.conf}

    def _produce(self):
        from confluent_kafka import Producer
        conf = dict(self._client_conf(), **{"acks": "all", "enable.idempotence": True,
                                             "linger.ms": 5, "message.timeout.ms": 90000,
                                             "retry.backoff.ms": 50})
        p = Producer(conf)
        start = time.monotonic()
        n = 0
        while not self.stop_producing.is_set():
            try:
                p.produce(self.topic, value=("rec-%d" % n).encode(), partition=n % self.partitions,
                          on_delivery=self.tally.report)
                n += 1
                self.produced = n
            except BufferError:
                pass
            p.poll(0)
            ahead = start + n / self.rate - time.monotonic()
            if ahead > 0:
                time.sleep(min(ahead, 0.05))
        self.unflushed = p.flush(self.flush_s)

    def _consume(self):
        from confluent_kafka import Consumer
        conf = dict(self._client_conf(), **{"group.id": self.group,
                                             "auto.offset.reset": "earliest",
                                             "enable.auto.commit": True,
                                             "session.timeout.ms": 6000,
                                             "heartbeat.interval.ms": 1000})
        c = Consumer(conf)
        c.subscribe([self.topic])
        try:
            while not self.stop_consuming.is_set():
                msg = c.poll(0.2)
                if msg is None or msg.error():
                    continue
                key = (msg.partition(), msg.offset())
                n = int(msg.value().decode().split("-")[1])
                with self.lock:
                    self.deliveries += 1
                    first = self.consumed.setdefault(key, n)
                    if first != n:
                        self.conflicts.append(key + (first, n))
        finally:
            c.close()

    def acked(self):
        return len(self.tally.acked)

    def wait_progress(self, count, deadline, what):
        """Waits until `count` more records are acknowledged and consumed than now."""
        a0, c0 = self.acked(), len(self.consumed)
        while time.monotonic() < deadline and not self.fatal:
            if self.acked() >= a0 + count and len(self.consumed) >= c0 + count:
                return
            time.sleep(POLL_S)
        raise AssertionError("%s: clients made no progress (acknowledged %d -> %d, consumed "
                             "%d -> %d; %s)" % (what, a0, self.acked(), c0, len(self.consumed),
                                                self.fatal or "no client error"))

    def finish(self, deadline):
        """Stops producing (every record delivered or failed), waits until the group has
        read every acknowledged record, stops the group. Returns the log as read,
        {partition: [(offset, N), ...]} by offset."""
        self.flush_s = max(1.0, deadline - time.monotonic() - 20)
        self.stop_producing.set()
        self.threads[0].join(self.flush_s + 5)
        if self.fatal:
            raise AssertionError("client failure: %s" % "; ".join(self.fatal))
        if self.threads[0].is_alive() or self.unflushed != 0:
            raise AssertionError("producer: records still undelivered at the time bound")
        while time.monotonic() < deadline and not self.fatal:
            with self.lock:
                missing = [k for k in self.tally.by_offset if k not in self.consumed]
            if not missing:
                break
            time.sleep(POLL_S)
        self.stop_consuming.set()
        for t in self.threads[1:]:
            t.join(15)
        if self.fatal:
            raise AssertionError("client failure: %s" % "; ".join(self.fatal))
        if self.conflicts:
            raise AssertionError("offsets read with two different records: %s" %
                                 self.conflicts[:10])
        if self.tally.failed:
            raise AssertionError("%d record(s) failed delivery, e.g. %s" %
                                 (len(self.tally.failed), next(iter(self.tally.failed.items()))))
        log = {p: [] for p in range(self.partitions)}
        for (p, o), n in sorted(self.consumed.items()):
            log[p].append((o, n))
        return log


def read_back(bootstrap, topic, partitions, deadline):
    """crash_test.consume_all over `partitions` partitions: the log as stored now."""
    saved = crash_test.PARTITIONS
    crash_test.PARTITIONS = partitions
    try:
        return crash_test.consume_all(bootstrap, topic, deadline)
    finally:
        crash_test.PARTITIONS = saved


def run(name, binary, prefix, extra_args, timeout_s, body):
    """Starts the servers, runs body(cluster, deadline) under a watchdog of timeout_s,
    prints PASS or FAIL (with the traceback) and exits 0 or 1."""
    started = time.monotonic()
    try:
        with Cluster(binary, prefix, extra_args) as cl:
            cl.watchdog(timeout_s)
            body(cl, started + timeout_s - 15)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        import traceback
        traceback.print_exc()
        print("%s: FAIL: %s: %s (after %.1f s)" % (name, type(e).__name__, e,
                                                  time.monotonic() - started), flush=True)
        sys.exit(1)
    print("%s: PASS in %.1f s" % (name, time.monotonic() - started), flush=True)
    sys.exit(0)
