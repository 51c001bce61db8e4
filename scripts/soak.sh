#!/usr/bin/env bash
# Durability soak (docs/durability.md): one agent, CYCLES kill-restart cycles.
# Each cycle produces RECORDS numbered records (confluent-kafka, acks=all;
# every other cycle with enable.idempotence=true) to a fresh 4-partition
# topic, kills the agent with SIGKILL at a random moment, restarts it on the
# same data directory, lets the producer finish (librdkafka retries), reads
# everything back and counts. Prints per cycle and in total:
#   acknowledged / recovered (at the acknowledged offset) / lost / duplicated
# Exit status 1 if anything acknowledged was lost, or a duplicate appeared
# with idempotence on.
# Usage: scripts/soak.sh [BUILD_DIR]   (default build; needs BUILD_DIR/bin/streamhouse)
#   env: CYCLES (default 20), RECORDS (per cycle, default 5000), SEED,
#        MAX_SECONDS (bound of the whole run, default 900)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
AGENT=$BUILD/bin/streamhouse
[[ -x $AGENT ]] || { echo "soak: $AGENT is missing (build it first)" >&2; exit 1; }
export SOAK_CYCLES=${CYCLES:-20} SOAK_RECORDS=${RECORDS:-5000} SOAK_SEED=${SEED:-$RANDOM}
export SOAK_MAX_SECONDS=${MAX_SECONDS:-900} SOAK_AGENT=$AGENT PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 - <<'PY'
import os, random, sys, time
sys.path.insert(0, "tests/crash")
import crash_test, harness

cycles = int(os.environ["SOAK_CYCLES"]); records = int(os.environ["SOAK_RECORDS"])
seed = int(os.environ["SOAK_SEED"]); bound = float(os.environ["SOAK_MAX_SECONDS"])
rng = random.Random(seed)
total = {"acknowledged": 0, "recovered": 0, "lost": 0, "duplicated": 0, "idem_dup": 0}
print("soak: %d cycles of %d records, seed %d, bound %d s" % (cycles, records, seed, bound),
      flush=True)

def test(agent):
    start = time.monotonic()
    for i in range(cycles):
        idem = i % 2 == 1
        left = bound - 20 - (time.monotonic() - start)
        deadline = time.monotonic() + min(120, left)
        a, r, l, d = crash_test.run_cycle(agent, "soak-%d" % i, records, 1, idem, rng,
                                          deadline, strict=False, seconds=2.0)
        total["acknowledged"] += a; total["recovered"] += r
        total["lost"] += l; total["duplicated"] += d
        if idem:
            total["idem_dup"] += d
        print("soak: cycle %2d (%s): acknowledged %d recovered %d lost %d duplicated %d" %
              (i + 1, "idempotent" if idem else "acks=all  ", a, r, l, d), flush=True)
    print("soak: TOTAL over %d kill-restart cycles: acknowledged %d recovered %d lost %d "
          "duplicated %d (with idempotence: %d)" % (cycles, total["acknowledged"],
          total["recovered"], total["lost"], total["duplicated"], total["idem_dup"]), flush=True)
    return total["lost"] == 0 and total["idem_dup"] == 0

sys.exit(harness.run_with_agent(test, bound, os.environ["SOAK_AGENT"]))
PY
