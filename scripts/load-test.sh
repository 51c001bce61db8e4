#!/usr/bin/env bash
# Load test of one embedded agent on loopback with bench/kafka_load:
#   produce+consume throughput for 100 B and 1 KiB records, then produce latency at half
#   of each measured maximum rate, and the agent's peak resident memory (VmHWM).
# Usage: scripts/load-test.sh [BUILD_DIR]   (default build; needs BUILD_DIR/bin/streamhouse
#        and BUILD_DIR/bin/kafka_load). Via env: THROUGHPUT_SECONDS (each max-rate run),
#        LATENCY_SECONDS, PARTITIONS, COMPRESSION, AGENT_ARGS (extra agent flags).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
AGENT=$BUILD/bin/streamhouse
LOAD=$BUILD/bin/kafka_load
THROUGHPUT_SECONDS=${THROUGHPUT_SECONDS:-5}
LATENCY_SECONDS=${LATENCY_SECONDS:-10}
PARTITIONS=${PARTITIONS:-3}
COMPRESSION=${COMPRESSION:-none}
MAX_SECONDS=180  # bound of each kafka_load run

for b in "$AGENT" "$LOAD"; do
  [[ -x $b ]] || { echo "load-test: $b is missing (build it first)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/sh-load-XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BOOT=127.0.0.1:$PORT
AGENT_PID=""
SAMPLER_PID=""

cleanup() {
  [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [[ -n $AGENT_PID ]] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID"
    for _ in $(seq 150); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$AGENT_PID" 2>/dev/null; then
      echo "load-test: agent ignored SIGTERM for 15 s; SIGKILL" >&2
      kill -KILL "$AGENT_PID" 2>/dev/null || true
    fi
    wait "$AGENT_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# shellcheck disable=SC2086
"$AGENT" --data-dir "$TMP/data" --kafka-listen "$BOOT" --kafka-advertised "$BOOT" \
  ${AGENT_ARGS:-} > "$TMP/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 300); do
  if (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  kill -0 "$AGENT_PID" 2>/dev/null || { echo "load-test: agent exited:"; cat "$TMP/agent.log"; exit 1; }
  sleep 0.1
done
echo "load-test: agent pid $AGENT_PID on $BOOT, data in $TMP/data"

# Peak RSS: the kernel's high-water mark (VmHWM), plus our own samples of VmRSS over time.
(
  while kill -0 "$AGENT_PID" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status" 2>/dev/null || true)
    [[ -n $rss ]] && echo "$rss" | tee -a "$TMP/rss.samples" >> "$TMP/rss.run"
    sleep 0.5
  done
) &
SAMPLER_PID=$!

declare -A R
run() {  # run NAME kafka_load-args...
  local name=$1
  shift
  echo "== $name: kafka_load $*"
  : > "$TMP/rss.run"
  "$LOAD" --bootstrap "$BOOT" --partitions "$PARTITIONS" --compression "$COMPRESSION" \
    --max-seconds "$MAX_SECONDS" "$@" | tee "$TMP/$name.out"
  kill -0 "$AGENT_PID" 2>/dev/null || { echo "load-test: agent died"; tail -50 "$TMP/agent.log"; exit 1; }
  while read -r line; do
    local phase
    phase=$(sed -n 's/.*phase=\([a-z]*\).*/\1/p' <<< "$line")
    for kv in $line; do
      [[ $kv == *=* ]] && R[$name.$phase.${kv%%=*}]=${kv#*=}
    done
  done < <(grep '^RESULT' "$TMP/$name.out")
  R[$name.rss_mib]=$(( $(sort -n "$TMP/rss.run" | tail -1 || echo 0) / 1024 ))
}

run t100 --topic load-100b --record-size 100 --seconds "$THROUGHPUT_SECONDS" --mode both
run t1k --topic load-1k --record-size 1024 --seconds "$THROUGHPUT_SECONDS" --mode both
half100=$(awk -v r="${R[t100.produce.records_per_s]:-0}" 'BEGIN {printf "%d", r / 2}')
half1k=$(awk -v r="${R[t1k.produce.records_per_s]:-0}" 'BEGIN {printf "%d", r / 2}')
run l100 --topic load-lat-100b --record-size 100 --seconds "$LATENCY_SECONDS" --rate "$half100" \
  --mode produce
run l1k --topic load-lat-1k --record-size 1024 --seconds "$LATENCY_SECONDS" --rate "$half1k" \
  --mode produce

hwm=$(awk '/VmHWM/ {print $2}' "/proc/$AGENT_PID/status")
peak=$(sort -n "$TMP/rss.samples" | tail -1)
du_data=$(du -sk "$TMP/data" | cut -f1)

echo
echo "StreamHouse load test: $PARTITIONS partitions, acks=all, compression=$COMPRESSION, $(nproc) cores"
fmt='%-30s %10s %9s %9s %9s %9s %9s %12s\n'
# shellcheck disable=SC2059
printf "$fmt" run records/s MB/s p50_ms p95_ms p99_ms max_ms agent_RSS_MiB
row() {  # row LABEL NAME PHASE
  # shellcheck disable=SC2059
  printf "$fmt" "$1" "${R[$2.$3.records_per_s]:--}" "${R[$2.$3.mb_per_s]:--}" \
    "${R[$2.$3.p50_ms]:--}" "${R[$2.$3.p95_ms]:--}" "${R[$2.$3.p99_ms]:--}" \
    "${R[$2.$3.max_ms]:--}" "${R[$2.rss_mib]:--}"
}
row "produce 100 B (max rate)" t100 produce
row "consume 100 B" t100 consume
row "produce 1 KiB (max rate)" t1k produce
row "consume 1 KiB" t1k consume
row "produce 100 B at $half100/s" l100 produce
row "produce 1 KiB at $half1k/s" l1k produce
echo
echo "agent peak RSS: VmHWM $((hwm / 1024)) MiB; highest sampled VmRSS $((${peak:-0} / 1024)) MiB;" \
  "data written $((du_data / 1024)) MiB"
