#!/usr/bin/env bash
# Produce latency and throughput of one agent in embedded mode (SQLite + local
# directory) next to one in cluster mode (PostgreSQL + an S3 server, both
# throwaway servers on loopback from tests/support/servers.py), same machine,
# same run, same load (build/bin/kafka_load, acks=all, 3 partitions).
#
#   scripts/cluster-bench.sh [BUILD_DIR] [SECONDS]
#
# Prints one line per run: mode, load, delivered rate, p50/p95/p99/max latency.
# The S3 server is s3rver (Node.js, files on local disk): cluster figures
# measure StreamHouse's S3 path against a local server, not a real S3 region.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECONDS_PER_RUN=${2:-8}
AGENT=$BUILD/bin/streamhouse
LOAD=$BUILD/bin/kafka_load
for b in "$AGENT" "$LOAD"; do
  [[ -x $b ]] || { echo "cluster-bench: $b missing (build it first)" >&2; exit 1; }
done

if [[ -z ${SH_TEST_POSTGRES_URL:-} || -z ${SH_TEST_S3_ENDPOINT:-} ]]; then
  exec /usr/bin/python3 tests/support/servers.py run --postgres --s3 -- "$0" "$BUILD" \
    "$SECONDS_PER_RUN"
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
TMP=$(mktemp -d)
PID=""
cleanup() {
  [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_agent() {  # MODE
  local port
  port=$(free_port)
  local args=(--data-dir "$TMP/$1" --kafka-listen "127.0.0.1:$port" --log-level warn)
  if [[ $1 == cluster ]]; then
    args+=(--metadata-url "$SH_TEST_POSTGRES_URL" --storage-url "s3://$SH_TEST_S3_BUCKET/bench"
      --storage-s3-endpoint "$SH_TEST_S3_ENDPOINT" --storage-s3-path-style
      --storage-s3-access-key-id "$SH_TEST_S3_ACCESS_KEY"
      --storage-s3-secret-access-key "$SH_TEST_S3_SECRET_KEY")
  fi
  "$AGENT" "${args[@]}" > "$TMP/$1.log" 2>&1 &
  PID=$!
  BOOTSTRAP=127.0.0.1:$port
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "cluster-bench: agent ($1) did not start; log:" >&2
  cat "$TMP/$1.log" >&2
  exit 1
}

stop_agent() {
  kill "$PID"
  wait "$PID" || true
  PID=""
}

run() {  # MODE LABEL ARGS...
  local mode=$1 label=$2 result
  shift 2
  result=$("$LOAD" --bootstrap "$BOOTSTRAP" --acks all --mode produce --partitions 3 \
    --seconds "$SECONDS_PER_RUN" --max-seconds $((SECONDS_PER_RUN + 60)) "$@" 2>&1 |
    grep '^RESULT phase=produce' || true)
  if [[ -z $result ]]; then
    printf '| %s | %s | failed (no result) | | | | |\n' "$mode" "$label"
    return
  fi
  field() { echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  printf '| %s | %s | %s rec/s, %s MB/s | %s | %s | %s | %s |\n' "$mode" "$label" \
    "$(field records_per_s)" "$(field mb_per_s)" "$(field p50_ms)" "$(field p95_ms)" \
    "$(field p99_ms)" "$(field max_ms)"
}

echo "| mode | offered load | delivered | p50 ms | p95 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|---|---|"
for mode in embedded cluster; do
  start_agent "$mode"
  run "$mode" "1KiB@20000/s" --topic "lat1k" --record-size 1024 --rate 20000
  run "$mode" "100B@50000/s" --topic "lat100" --record-size 100 --rate 50000
  run "$mode" "1KiB max rate" --topic "max1k" --record-size 1024
  stop_agent
done
