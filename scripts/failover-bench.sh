#!/usr/bin/env bash
# Crash failover of multi-agent StreamHouse (docs/cluster.md §4): three agents on
# one throwaway PostgreSQL and s3rver (tests/support/servers.py, loopback), a
# 12-partition topic, an idempotent producer (acks=all) and a consumer group
# running throughout. ROUNDS times: SIGKILL a random agent, time until Metadata
# shows every partition led by a live agent, restart it, wait for the rebalance.
# At the end every acknowledged record is read back (tests/cluster/test_multi_agent.py).
#
#   scripts/failover-bench.sh [BUILD_DIR] [ROUNDS] [SEED]
#
# Prints each round, the median and max kill-to-all-led time, records
# acknowledged vs recovered, and the machine. Default timings (lease 8 s,
# agent timeout 6 s): the expected figure is 8-9.5 s, set by the lease.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ROUNDS=${2:-5}
SEED=${3:-}
AGENT=$BUILD/bin/streamhouse
[[ -x $AGENT ]] || { echo "failover-bench: $AGENT missing (build streamhouse first)" >&2; exit 1; }
(( ROUNDS >= 1 )) || { echo "failover-bench: ROUNDS must be at least 1" >&2; exit 1; }

echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
# Each round is bounded by about 25 s (failover, restart, rebalance); plus start and read-back.
exec /usr/bin/python3 tests/cluster/test_multi_agent.py --agent "$AGENT" --bench "$ROUNDS" \
  --timeout $((60 + ROUNDS * 30)) ${SEED:+--seed "$SEED"}
