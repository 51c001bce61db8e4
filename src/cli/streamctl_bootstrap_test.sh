#!/usr/bin/env bash
# End-to-end test of `streamctl --bootstrap`: the same streamctl session runs
# against a real agent (over the Kafka protocol) and against an embedded data
# directory, and must print the same thing, step by step. Segment columns of
# `topic describe` are left out (the Kafka protocol does not carry them).
#
# Usage: streamctl_bootstrap_test.sh STREAMHOUSE STREAMCTL
set -uo pipefail

agent_bin=${1:?usage: $0 STREAMHOUSE STREAMCTL}
streamctl=${2:?usage: $0 STREAMHOUSE STREAMCTL}
for bin in "$agent_bin" "$streamctl"; do
  [[ -x $bin ]] || { echo "FAIL: $bin is missing or not executable"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/streamctl-bootstrap.XXXXXX")
agent_pid=
cleanup() {
  if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then kill -KILL "$agent_pid"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  if [[ -f $tmp/agent.log ]]; then
    echo "---- agent log (last 40 lines) ----"
    tail -n 40 "$tmp/agent.log"
  fi
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- start the agent ----
port=$(free_port)
bootstrap=127.0.0.1:$port
STREAMHOUSE_HTTP_LISTEN=127.0.0.1:$(free_port) "$agent_bin" --data-dir "$tmp/agent-data" \
  --kafka-listen "$bootstrap" --kafka-advertised "$bootstrap" >"$tmp/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 1 300); do
  kill -0 "$agent_pid" 2>/dev/null || fail "agent exited during start-up"
  "$streamctl" --bootstrap "$bootstrap" topic list >/dev/null 2>&1 && break
  sleep 0.1
done
"$streamctl" --bootstrap "$bootstrap" topic list >/dev/null 2>&1 ||
  fail "agent did not answer on $bootstrap within 30 s"

# ---- one session, run in both modes ----
# Keeps the partition rows' first three columns (partition, log start, high
# watermark): segment counts and bytes exist only in embedded mode.
strip_segments() {
  awk '$1 == "partition" || ($1 ~ /^[0-9]+$/ && NF == 5) { print "  " $1 "  " $2 "  " $3; next }
       { print }'
}

# step NAME [ARGS...] : runs streamctl with the mode's flag, stdin from $input,
# stdout and exit status to $out/NAME.
session() {
  local out=$1
  shift
  local mode=("$@")
  mkdir -p "$out"
  step() {
    local name=$1
    shift
    "$streamctl" "${mode[@]}" "$@" <<<"${input:-}" >"$out/$name" 2>"$out/$name.err"
    echo "exit $?" >>"$out/$name"
    input=
  }
  step create1 topic create orders --partitions 3 --config retention.ms=3600000
  step create2 topic create clicks
  step create_again topic create orders --partitions 1
  step list1 topic list
  input=$'one\ntwo\nthree' step produce1 produce orders --partition 0 --key k1 --header h=v
  step produce2 produce orders --partition 2 --value single
  step produce3 produce orders --key user-7 --value keyed
  input=$'z1\nz2\nz3\nz4' step produce4 produce orders --partition 1 --compression zstd
  step produce_bad produce orders --partition 9 --value x
  step produce_missing produce nosuch --partition 0 --value x
  step describe topic describe orders
  strip_segments <"$out/describe" >"$out/describe.cmp" && mv "$out/describe.cmp" "$out/describe"
  step describe_missing topic describe nosuch
  step consume_all consume orders
  step consume_part consume orders --partition 0 --offset 1 --max 1
  step consume_max consume orders --max 5
  step consume_range consume orders --partition 0 --offset 99
  step delete topic delete orders
  step list2 topic list
  step delete_missing topic delete orders
}

session "$tmp/embedded" --data-dir "$tmp/embedded-data"
session "$tmp/kafka" --bootstrap "$bootstrap"

failures=0
for f in "$tmp"/embedded/*; do
  [[ $f == *.err ]] && continue
  name=$(basename "$f")
  if ! diff -u "$f" "$tmp/kafka/$name" >"$tmp/diff"; then
    echo "FAIL: step $name differs (--- embedded, +++ --bootstrap):"
    cat "$tmp/diff"
    echo "stderr of --bootstrap: $(cat "$tmp/kafka/$name.err")"
    failures=$((failures + 1))
  fi
done

# The steps must have done something: a session that only failed would match too.
grep -qx "exit 0" "$tmp/kafka/consume_all" || fail "consume failed over --bootstrap"
[[ $(grep -c $'\t' "$tmp/kafka/consume_all") == 9 ]] || fail "consume did not print 9 records"
grep -q "config retention.ms=3600000" "$tmp/kafka/describe" || fail "describe lacks the config"
grep -q "UNKNOWN_TOPIC_OR_PARTITION (3)" "$tmp/kafka/produce_missing.err" ||
  fail "produce to a missing topic does not name the Kafka error"
if "$streamctl" --bootstrap "$bootstrap" segments list clicks >/dev/null 2>"$tmp/segments.err"; then
  fail "segments list over --bootstrap succeeded"
fi
grep -q "needs --data-dir" "$tmp/segments.err" || fail "segments list error: $(cat "$tmp/segments.err")"

# ---- stop the agent ----
kill -TERM "$agent_pid"
for _ in $(seq 1 200); do
  kill -0 "$agent_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$agent_pid" 2>/dev/null && fail "agent ignored SIGTERM for 20 s"
wait "$agent_pid"
status=$?
agent_pid=
[[ $status == 0 ]] || fail "agent exited with status $status after SIGTERM"

[[ $failures == 0 ]] || fail "$failures steps differ"
echo "PASS: streamctl --bootstrap matches embedded mode"
