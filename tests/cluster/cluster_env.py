#!/usr/bin/python3
"""Runs a command with the agents it starts in cluster mode (PostgreSQL + S3).

  servers.py run --postgres --s3 -- cluster_env.py [--prefix P] -- CMD ARGS...

Reads the servers' addresses that tests/support/servers.py exports
(SH_TEST_POSTGRES_URL, SH_TEST_S3_ENDPOINT, SH_TEST_S3_BUCKET,
SH_TEST_S3_ACCESS_KEY, SH_TEST_S3_SECRET_KEY), adds the matching agent flags
to $SH_COMPAT_AGENT_ARGS (which tests/compat/harness.py passes to every agent
it starts) and execs CMD. Every agent CMD starts therefore shares one
metadata database and one object prefix: a restarted agent finds its state
again, and two agents meant to be independent would see each other's topics.

Also imported by the cluster tests: agent_args(prefix).
"""

import argparse
import os
import shlex
import sys

NEEDED = ("SH_TEST_POSTGRES_URL", "SH_TEST_S3_ENDPOINT", "SH_TEST_S3_BUCKET",
          "SH_TEST_S3_ACCESS_KEY", "SH_TEST_S3_SECRET_KEY")


def agent_args(prefix, env=None):
    """Agent flags for metadata in $SH_TEST_POSTGRES_URL and objects under s3://BUCKET/prefix."""
    env = os.environ if env is None else env
    missing = [name for name in NEEDED if not env.get(name)]
    if missing:
        raise SystemExit("cluster_env: %s not set; run under tests/support/servers.py run "
                         "--postgres --s3 -- ..." % ", ".join(missing))
    return ["--metadata-url", env["SH_TEST_POSTGRES_URL"],
            "--storage-url", "s3://%s/%s" % (env["SH_TEST_S3_BUCKET"], prefix),
            "--storage-s3-endpoint", env["SH_TEST_S3_ENDPOINT"],
            "--storage-s3-path-style", "true",
            "--storage-s3-access-key-id", env["SH_TEST_S3_ACCESS_KEY"],
            "--storage-s3-secret-access-key", env["SH_TEST_S3_SECRET_KEY"]]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--prefix", default="streamhouse", help="object key prefix in the bucket")
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = p.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        p.error("no command given after --")
    extra = shlex.split(os.environ.get("SH_COMPAT_AGENT_ARGS", "")) + agent_args(args.prefix)
    os.environ["SH_COMPAT_AGENT_ARGS"] = shlex.join(extra)
    print("cluster_env: agents get %s" % os.environ["SH_COMPAT_AGENT_ARGS"], flush=True)
    sys.stdout.flush()
    try:
        os.execvp(cmd[0], cmd)
    except OSError as e:
        print("cluster_env: cannot run %s: %s" % (cmd[0], e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
