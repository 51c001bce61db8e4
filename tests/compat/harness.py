#!/usr/bin/python3
"""Runs one compatibility test against a real StreamHouse agent on loopback.

Two ways to use it:

  harness.py [--agent PATH] [--timeout S] [--topic NAME:PARTITIONS ...] -- CMD ARGS...
      starts an agent, creates the topics (raw CreateTopics, no client library),
      runs CMD with SH_BOOTSTRAP=127.0.0.1:PORT in its environment ("{bootstrap}"
      in ARGS is replaced too), then stops the agent. Exit status: CMD's, or 1
      if the agent died, needed SIGKILL to stop, or the time bound passed.

  import harness; harness.main(test_fn)   (Python tests)
      test_fn(agent) gets an Agent with .bootstrap, .port, .pid, .alive().

Every agent gets a fresh temporary data directory, removed afterwards. The
agent binary comes from --agent, else $SH_AGENT, else build/bin/streamhouse.
Extra agent flags can be given in $SH_COMPAT_AGENT_ARGS (shell words).
"""

import argparse
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "support"))
import kafka_wire  # noqa: E402
from servers import free_port  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


class HarnessError(Exception):
    pass


def default_agent():
    return os.environ.get("SH_AGENT") or os.path.join(REPO, "build", "bin", "streamhouse")


class Agent:
    """One agent process with its own port and temporary data directory."""

    def __init__(self, binary=None, extra_args=None):
        self.binary = os.path.abspath(binary or default_agent())
        self.extra_args = list(extra_args or [])
        self.extra_args += shlex.split(os.environ.get("SH_COMPAT_AGENT_ARGS", ""))
        self.proc = None
        self.tmp = None
        self.port = None
        self.killed = False

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    @property
    def pid(self):
        return self.proc.pid

    @property
    def log_path(self):
        return os.path.join(self.tmp, "agent.log")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise HarnessError("agent binary %s is missing or not executable "
                               "(build the streamhouse target)" % self.binary)
        self.tmp = tempfile.mkdtemp(prefix="sh-compat-")
        self.port = free_port()
        data_dir = os.path.join(self.tmp, "data")
        cmd = [self.binary, "--data-dir", data_dir, "--kafka-listen", self.bootstrap,
               "--kafka-advertised", self.bootstrap] + self.extra_args
        env = dict(os.environ)
        log = open(self.log_path, "wb")
        print("harness: starting %s" % " ".join(cmd), flush=True)
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                     cwd=self.tmp, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.alive():
                raise HarnessError("agent exited with status %s during start-up" %
                                   self.proc.returncode)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            # The port accepts; wait for a real ApiVersions answer.
            try:
                with kafka_wire.Connection("127.0.0.1", self.port, timeout=5) as c:
                    c.api_versions()
                print("harness: agent pid %d serving Kafka on %s" % (self.pid, self.bootstrap),
                      flush=True)
                return
            except (OSError, kafka_wire.ProtocolError):
                time.sleep(0.1)
        raise HarnessError("agent did not answer ApiVersions on %s within %d s" %
                           (self.bootstrap, START_TIMEOUT_S))

    def create_topic(self, name, partitions, configs=None):
        with kafka_wire.Connection("127.0.0.1", self.port, timeout=30) as c:
            result = c.create_topics([(name, partitions, configs or {})])
        err, msg = result.get(name, (None, "no result for topic"))
        if err != 0:
            raise HarnessError("CreateTopics %s (%d partitions): error %s %s" %
                               (name, partitions, err, msg or ""))
        # Wait until Metadata shows every partition (creation may be asynchronous).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with kafka_wire.Connection("127.0.0.1", self.port, timeout=10) as c:
                merr, count = c.metadata([name]).get(name, (-1, 0))
            if merr == 0 and count == partitions:
                return
            time.sleep(0.1)
        raise HarnessError("topic %s not visible with %d partitions in Metadata" %
                           (name, partitions))

    def stop(self):
        """SIGTERM, then SIGKILL after a bound. Returns True if it stopped gracefully."""
        if self.proc is None:
            return True
        graceful = True
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print("harness: agent ignored SIGTERM for %d s; sending SIGKILL" %
                      STOP_TIMEOUT_S, flush=True)
                self.proc.kill()
                self.proc.wait()
                self.killed = True
                graceful = False
            if not self.killed and self.proc.returncode != 0:
                print("harness: agent exited with status %d after SIGTERM" %
                      self.proc.returncode, flush=True)
                graceful = False
        return graceful

    def print_log(self, lines=60):
        if self.tmp is None:
            return
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace").splitlines()
        except OSError:
            return
        print("harness: ---- last %d lines of the agent log ----" % lines)
        for line in text[-lines:]:
            print("  | " + line)
        print("harness: ---- end of agent log ----", flush=True)

    def cleanup(self):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


# Test programs started by the harness, killed (with their process group) if the bound passes.
_CHILDREN = []


def _watchdog(seconds, on_expire):
    t = threading.Timer(seconds, on_expire)
    t.daemon = True
    t.start()
    return t


def run_with_agent(test, timeout_s, agent_binary=None, agent_args=None):
    """Starts an agent, runs test(agent) bounded by timeout_s, stops the agent. Returns 0/1."""
    agent = Agent(agent_binary, agent_args)
    ok = False
    started = time.monotonic()

    def expire():
        print("harness: FAIL: time bound of %d s passed; stopping" % timeout_s, flush=True)
        expired.append(True)
        for child in list(_CHILDREN):
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except OSError:
                pass
        if agent.proc is not None and agent.alive():
            agent.proc.kill()
            agent.proc.wait()
        agent.print_log()
        agent.cleanup()
        os._exit(1)

    expired = []
    timer = _watchdog(timeout_s, expire)
    try:
        agent.start()
        result = test(agent)
        # None (a test that raises on failure) or True pass; False or anything else fails.
        ok = result is None or result is True
        if not agent.alive():
            print("harness: FAIL: agent died during the test (status %s)" % agent.proc.returncode)
            ok = False
    except Exception as e:  # noqa: BLE001 - every failure is reported, never swallowed
        import traceback
        traceback.print_exc()
        print("harness: FAIL: %s: %s" % (type(e).__name__, e), flush=True)
        ok = False
    finally:
        if expired:  # the watchdog stops the agent, reports and exits
            time.sleep(STOP_TIMEOUT_S)
        graceful = agent.stop()
        timer.cancel()
        if not graceful:
            print("harness: FAIL: agent did not stop gracefully on SIGTERM")
            ok = False
        if not ok:
            agent.print_log()
        agent.cleanup()
    print("harness: %s in %.1f s" % ("PASS" if ok else "FAIL", time.monotonic() - started),
          flush=True)
    return 0 if ok else 1


def main(test, timeout_s=240):
    """Entry point for Python tests: argv may carry --agent PATH and --timeout S."""
    p = argparse.ArgumentParser()
    p.add_argument("--agent", default=None)
    p.add_argument("--timeout", type=float, default=timeout_s)
    args = p.parse_args()
    sys.exit(run_with_agent(test, args.timeout, args.agent))


def _cli():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agent", default=None, help="agent binary")
    p.add_argument("--timeout", type=float, default=240, help="bound of the whole test, s")
    p.add_argument("--topic", action="append", default=[], help="NAME:PARTITIONS to create")
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = p.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        p.error("no command given after --")
    if shutil.which(cmd[0]) is None and not os.access(cmd[0], os.X_OK):
        print("harness: FAIL: test program %s not found" % cmd[0])
        sys.exit(1)

    def test(agent):
        for spec in args.topic:
            name, _, parts = spec.partition(":")
            agent.create_topic(name, int(parts or 1))
        env = dict(os.environ, SH_BOOTSTRAP=agent.bootstrap, SH_AGENT_PID=str(agent.pid))
        argv = [a.replace("{bootstrap}", agent.bootstrap) for a in cmd]
        print("harness: running %s" % " ".join(argv), flush=True)
        child = subprocess.Popen(argv, env=env, start_new_session=True)
        _CHILDREN.append(child)
        rc = child.wait()
        if rc != 0:
            print("harness: test program exited with status %d" % rc)
        return rc == 0

    sys.exit(run_with_agent(test, args.timeout, args.agent))


if __name__ == "__main__":
    _cli()
