#!/usr/bin/python3
"""Throwaway PostgreSQL and S3 servers on loopback, for the cluster-mode tests.

Two ways to use it:

  servers.py run [--postgres] [--s3] -- CMD ARGS...
      starts the servers asked for, runs CMD with their addresses in its
      environment, stops them, and exits with CMD's status (1 if a server
      cannot start, with a message saying why):
        SH_TEST_POSTGRES_URL  postgres://postgres@127.0.0.1:PORT/postgres
        SH_TEST_S3_ENDPOINT   http://127.0.0.1:PORT   (path-style, region us-east-1)
        SH_TEST_S3_BUCKET     a bucket that exists
        SH_TEST_S3_ACCESS_KEY / SH_TEST_S3_SECRET_KEY

  import servers; with servers.Postgres() as pg: ...   (Python tests)
      Postgres and S3Server have .url/.endpoint, .stop(), .start() (again, on
      the same port and data: a restart) and are context managers.
      free_port() gives a test server a port held until this process exits.

  servers.py port
      prints a free test port and its lock file, for a shell test that holds
      the lock itself (flock -n) while its server uses the port.

PostgreSQL is Debian's (package postgresql): initdb into a temporary
directory (as the postgres user when run as root, since PostgreSQL refuses
to run as root), then pg_ctl start listening on 127.0.0.1 only. fsync is off:
these servers hold test data only, and a restart here is always a clean one.
The S3 server is s3rver from npm (tests/support/node, installed by
scripts/install-test-deps.sh); it serves a directory of files.
"""

import argparse
import fcntl
import glob
import os
import pwd
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
S3RVER = os.path.join(HERE, "node", "node_modules", "s3rver", "bin", "s3rver.js")
START_TIMEOUT_S = 30
S3_BUCKET = "streamhouse-test"
S3_ACCESS_KEY = "S3RVER"
S3_SECRET_KEY = "S3RVER"


class ServerError(Exception):
    pass


PORTS_DIR = os.path.join(tempfile.gettempdir(), "streamhouse-test-ports")
_held_ports = {}  # port -> its open lock file, held until this process exits


def _test_port_range():
    """Ports the kernel never picks by itself: those below its ephemeral range."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    return 10000, ephemeral_low - 1


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))  # no SO_REUSEADDR: a port in TIME_WAIT is skipped too
            return True
        except OSError:
            return False


def _lock_free_port():
    """(port, its lock file, locked): a port free now that no other test process holds."""
    low, high = _test_port_range()
    os.makedirs(PORTS_DIR, exist_ok=True)
    for _ in range(1000):
        port = random.randint(low, high)
        if port in _held_ports:
            continue
        f = open(os.path.join(PORTS_DIR, "%d.lock" % port), "a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another test process holds it
            f.close()
            continue
        if not _bindable(port):
            f.close()
            continue
        return port, f
    raise ServerError("no free test port in %d..%d" % (low, high))


def free_port():
    """A loopback port for a test server, held for as long as this process runs.

    Picking a free port and starting a server on it later is a race: another
    process may bind the port in between. So the port is held two ways: it
    lies below the kernel's ephemeral range (no socket bound to port 0 and no
    outgoing connection ever gets it), and this process keeps an flock on
    PORTS_DIR/PORT.lock, which every test's free_port takes before it picks
    the port. A server restarted on its port (crash and restart tests) keeps
    it the same way. Lock files are left in place: removing one would let two
    processes lock two different files for one port.
    """
    low, high = _test_port_range()
    if high <= low:  # no room below the ephemeral range: the old way
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    port, lock = _lock_free_port()
    _held_ports[port] = lock
    return port


def wait_for_port(port, proc_alive, what, timeout=START_TIMEOUT_S):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not proc_alive():
            raise ServerError("%s exited while starting" % what)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerError("%s did not listen on 127.0.0.1:%d within %d s" % (what, port, timeout))


def postgres_bindir():
    """The newest /usr/lib/postgresql/VERSION/bin holding initdb."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        raise ServerError("PostgreSQL server not installed: no /usr/lib/postgresql/*/bin/initdb "
                          "(Debian package postgresql; scripts/install-test-deps.sh installs it)")
    return os.path.dirname(found[-1])


class _TempServer:
    """A server whose data lives in self.tmp: close() stops it (halt()) and
    removes the directory; a context manager that starts and closes it."""

    def halt(self):
        self.stop()

    def close(self):
        try:
            self.halt()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


class Postgres(_TempServer):
    """A PostgreSQL server of its own in a temporary directory."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.bindir = postgres_bindir()
        self.tmp = tempfile.mkdtemp(prefix="sh-pg-")
        self.data = os.path.join(self.tmp, "data")
        self.as_user = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerError("running as root and there is no postgres user to run "
                                  "PostgreSQL as (Debian's postgresql package creates it)")
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            self.as_user = "postgres"
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"], "initdb")

    @property
    def url(self):
        return "postgres://postgres@127.0.0.1:%d/postgres" % self.port

    def _run(self, argv, what):
        if self.as_user:
            argv = ["runuser", "-u", self.as_user, "--"] + argv
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise ServerError("%s failed (exit %d): %s" % (what, r.returncode, r.stdout[-2000:]))

    def start(self):
        opts = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
                % (self.port, self.tmp))
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l",
                   os.path.join(self.tmp, "server.log"), "-o", opts, "-w", "-t",
                   str(START_TIMEOUT_S), "start"], "pg_ctl start")
        return self

    def stop(self, mode="fast"):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", mode, "-w",
                       "stop"], "pg_ctl stop")

    def log(self):
        try:
            with open(os.path.join(self.tmp, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    def halt(self):
        self.stop("immediate")


class S3Server(_TempServer):
    """s3rver serving a temporary directory, with one bucket."""

    def __init__(self, port=None, bucket=S3_BUCKET):
        if not os.path.exists(S3RVER):
            raise ServerError("s3rver not installed at %s (run scripts/install-test-deps.sh)"
                              % S3RVER)
        self.port = port or free_port()
        self.bucket = bucket
        self.tmp = tempfile.mkdtemp(prefix="sh-s3-")
        self.proc = None
        self.access_key = S3_ACCESS_KEY
        self.secret_key = S3_SECRET_KEY

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        log = open(os.path.join(self.tmp, "server.log"), "ab")
        # s3rver encrypts ListObjectsV2 continuation tokens with DES, which
        # Node 20 offers only with the legacy OpenSSL provider.
        env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")
        self.proc = subprocess.Popen(
            ["node", S3RVER, "-d", os.path.join(self.tmp, "data"), "-a", "127.0.0.1", "-p",
             str(self.port), "--silent", "--no-vhost-buckets", "--configure-bucket", self.bucket],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        log.close()
        wait_for_port(self.port, lambda: self.proc.poll() is None, "s3rver")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def objects(self, prefix=""):
        """Keys stored in the bucket (s3rver keeps each object as KEY._S3rver_object)."""
        root = os.path.join(self.tmp, "data", self.bucket)
        keys = []
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.endswith("._S3rver_object"):
                    key = os.path.relpath(os.path.join(dirpath, f[:-len("._S3rver_object")]), root)
                    if key.startswith(prefix):
                        keys.append(key)
        return sorted(keys)

def run(args):
    started = []
    env = dict(os.environ)
    try:
        if args.postgres:
            pg = Postgres()
            started.append(pg)
            pg.start()
            env["SH_TEST_POSTGRES_URL"] = pg.url
        if args.s3:
            s3 = S3Server()
            started.append(s3)
            s3.start()
            env.update(SH_TEST_S3_ENDPOINT=s3.endpoint, SH_TEST_S3_BUCKET=s3.bucket,
                       SH_TEST_S3_ACCESS_KEY=s3.access_key, SH_TEST_S3_SECRET_KEY=s3.secret_key)
    except ServerError as e:
        print("servers.py: cannot start test server: %s" % e, file=sys.stderr)
        for s in started:
            s.close()
        return 1
    try:
        return subprocess.call(args.command, env=env)
    finally:
        for s in reversed(started):
            s.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    r = sub.add_parser("run", help="start servers, run a command, stop them")
    r.add_argument("--postgres", action="store_true")
    r.add_argument("--s3", action="store_true")
    r.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("port", help="print a free test port and its lock file; the caller holds the "
                   "lock (flock -n) for as long as it uses the port")
    args = parser.parse_args()
    if args.verb == "port":
        port, lock = _lock_free_port()
        print(port, lock.name)
        return
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        parser.error("run needs a command after --")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
