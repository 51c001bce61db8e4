#!/usr/bin/env bash
# End-to-end test of `streamctl --bootstrap`: the same streamctl session runs
# against a real agent (over the Kafka protocol) and against an embedded data
# directory, and must print the same thing, step by step. Segment columns of
# `topic describe` are left out (the Kafka protocol does not carry them).
# The group commands are compared the same way on groups without members;
# then, against the agent only, on a group with a live confluent-kafka member
# (streamctl_group_member.py): describe shows the member and its assignment,
# reset-offsets and delete are refused while it is there and work after it
# leaves. Last, agents list and leases list over --bootstrap (one broker that
# leads every partition), checked against --metadata-url on the running
# agent's own metadata.db (read without the data directory's LOCK).
#
# Usage: streamctl_bootstrap_test.sh STREAMHOUSE STREAMCTL
set -uo pipefail

agent_bin=${1:?usage: $0 STREAMHOUSE STREAMCTL}
streamctl=${2:?usage: $0 STREAMHOUSE STREAMCTL}
for bin in "$agent_bin" "$streamctl"; do
  [[ -x $bin ]] || { echo "FAIL: $bin is missing or not executable"; exit 1; }
done

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/streamctl-bootstrap.XXXXXX")
agent_pid=
member_pid=
cleanup() {
  if [[ -n $member_pid ]] && kill -0 "$member_pid" 2>/dev/null; then kill -KILL "$member_pid"; fi
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

# Sets port to a test port held (flock on its lock file) until this script and
# the agent exit, so no other test takes it (tests/support/servers.py free_port).
hold_port() {
  local lock
  while read -r port lock < <(python3 "$here/../../tests/support/servers.py" port); do
    exec {port_fd}>>"$lock"
    flock -n "$port_fd" && return 0
    exec {port_fd}>&-
  done
  return 1
}

# ---- start the agent ----
hold_port || fail "no free test port"
bootstrap=127.0.0.1:$port
"$agent_bin" --data-dir "$tmp/agent-data" \
  --kafka-listen "$bootstrap" --kafka-advertised "$bootstrap" \
  --groups-initial-rebalance-delay-ms 300 --groups-min-session-timeout-ms 3000 \
  >"$tmp/agent.log" 2>&1 &
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
  # Groups without members: offsets committed by reset-offsets, then read back.
  step glist0 group list
  step greset1 group reset-offsets billing --topic orders --partition 0 --to-offset 1
  step greset2 group reset-offsets billing --topic orders --partition 1 --to-latest
  step greset3 group reset-offsets billing --topic orders --partition 2 --to-offset 99
  step greset4 group reset-offsets audit --topic orders --to-datetime 2000-01-01T00:00:00Z
  step greset5 group reset-offsets audit --topic orders --partition 1 --to-datetime 4102444800000
  step greset_missing group reset-offsets billing --topic nosuch --to-earliest
  step glist1 group list
  step gdescribe1 group describe billing
  step gdescribe2 group describe audit
  step gdescribe_missing group describe nosuch
  step gdelete group delete audit
  step gdelete_missing group delete audit
  step glist2 group list
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
grep -q "^billing  Empty  consumer$" "$tmp/kafka/glist1" || fail "group list: $(cat "$tmp/kafka/glist1")"
grep -q "^  orders  2  .*  0  $" "$tmp/kafka/gdescribe1" || fail "describe: $(cat "$tmp/kafka/gdescribe1")"
grep -q "clamped to the log end" "$tmp/kafka/greset3" || fail "reset-offsets did not say it clamped"
grep -q "does not exist" "$tmp/kafka/gdelete_missing.err" || fail "deleting a missing group"

# ---- a group with a live member (agent only) ----
ctl() { "$streamctl" --bootstrap "$bootstrap" "$@"; }
ctl topic create live --partitions 3 >/dev/null || fail "create topic live"
for p in 0 1 2; do
  printf 'a\nb\n' | ctl produce live --partition $p >/dev/null || fail "produce to live/$p"
done
/usr/bin/python3 "$here/streamctl_group_member.py" "$bootstrap" live-group live "$tmp/stop-member" \
  >"$tmp/member.out" 2>"$tmp/member.err" &
member_pid=$!
for _ in $(seq 1 300); do
  grep -q "^committed" "$tmp/member.out" && break
  kill -0 "$member_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q "^committed" "$tmp/member.out" ||
  fail "the live member did not join and commit: $(cat "$tmp/member.out" "$tmp/member.err")"

ctl group describe live-group >"$tmp/live_describe" 2>&1 || fail "describe: $(cat "$tmp/live_describe")"
grep -q "^group live-group  state Stable  protocol_type consumer  members 1$" "$tmp/live_describe" ||
  fail "describe does not show one Stable member: $(cat "$tmp/live_describe")"
grep -Eq "^  [^ ]+  streamctl-live-member  [^ ]+  live:0,1,2$" "$tmp/live_describe" ||
  fail "describe does not show the member's assignment: $(cat "$tmp/live_describe")"
grep -Eq "^  live  [012]  [0-9]+  2  [0-9]+  " "$tmp/live_describe" ||
  fail "describe does not show committed offsets: $(cat "$tmp/live_describe")"
ctl group list | grep -q "^live-group  Stable  consumer$" || fail "group list lacks live-group"
ctl group reset-offsets live-group --topic live --to-earliest >"$tmp/out" 2>"$tmp/err"
status=$?
[[ $status == 1 ]] || fail "reset-offsets with a live member: exit $status, $(cat "$tmp/out")"
grep -q "stop its consumers" "$tmp/err" || fail "reset-offsets refusal: $(cat "$tmp/err")"
ctl group delete live-group >"$tmp/out" 2>"$tmp/err"
status=$?
[[ $status == 1 ]] || fail "delete with a live member: exit $status"
grep -q "still has members" "$tmp/err" || fail "delete refusal: $(cat "$tmp/err")"

touch "$tmp/stop-member"  # the member closes its consumer: LeaveGroup
wait "$member_pid"
status=$?
member_pid=
[[ $status == 0 ]] || fail "the live member exited with $status: $(cat "$tmp/member.err")"
for _ in $(seq 1 100); do
  ctl group describe live-group 2>/dev/null | grep -q "state Empty" && break
  sleep 0.1
done
ctl group describe live-group | grep -q "state Empty  protocol_type consumer  members 0" ||
  fail "the group is not Empty after its member left"
ctl group reset-offsets live-group --topic live --to-earliest >"$tmp/out" 2>"$tmp/err" ||
  fail "reset-offsets after the member left: $(cat "$tmp/err")"
ctl group describe live-group >"$tmp/live_describe2" || fail "describe after reset"
for p in 0 1 2; do
  grep -q "^  live  $p  0  2  2  $" "$tmp/live_describe2" ||
    fail "offset of live/$p not reset: $(cat "$tmp/live_describe2")"
done
ctl group delete live-group >/dev/null 2>"$tmp/err" || fail "delete after leave: $(cat "$tmp/err")"
if ctl group describe live-group >/dev/null 2>"$tmp/err"; then fail "deleted group still described"; fi
grep -q "does not exist" "$tmp/err" || fail "describe of the deleted group: $(cat "$tmp/err")"

# ---- agents and leases: one broker leads every partition ----
# Topics now: clicks (1 partition) and live (3).
ctl agents list >"$tmp/agents" 2>&1 || fail "agents list: $(cat "$tmp/agents")"
[[ $(head -n 1 "$tmp/agents") == "agent_id  node_id  address  zone  started_at  heartbeat_age  state  leads" ]] ||
  fail "agents list header: $(cat "$tmp/agents")"
[[ $(wc -l <"$tmp/agents") == 2 ]] || fail "agents list is not one broker: $(cat "$tmp/agents")"
agent_line=$(sed -n 2p "$tmp/agents")
[[ $agent_line =~ ^-\ \ ([0-9]+)\ \ 127\.0\.0\.1:$port\ \ -\ \ -\ \ -\ \ live\ \ 4$ ]] ||
  fail "agents list over --bootstrap: '$agent_line' (want node id, address, live, 4 partitions)"
node=${BASH_REMATCH[1]}
ctl leases list >"$tmp/leases" 2>&1 || fail "leases list: $(cat "$tmp/leases")"
expected="topic  partition  leader  epoch  expires_in  state"
for tp in "clicks 0" "live 0" "live 1" "live 2"; do
  set -- $tp
  epoch=$(awk -v t="$1" -v p="$2" '$1 == t && $2 == p { print $4 }' "$tmp/leases")
  [[ $epoch =~ ^[0-9]+$ ]] || fail "leases list lacks an epoch for $1/$2: $(cat "$tmp/leases")"
  expected+=$'\n'"$1  $2  $node  $epoch  -  held"
done
[[ $(cat "$tmp/leases") == "$expected" ]] ||
  fail "leases list over --bootstrap:"$'\n'"$(cat "$tmp/leases")"$'\n'"want:"$'\n'"$expected"
ctl leases list live >"$tmp/leases_live" || fail "leases list live"
[[ $(wc -l <"$tmp/leases_live") == 4 ]] || fail "leases list live: $(cat "$tmp/leases_live")"
if ctl leases list nosuch >/dev/null 2>"$tmp/err"; then fail "leases list of a missing topic"; fi
grep -q "UNKNOWN_TOPIC_OR_PARTITION" "$tmp/err" || fail "leases list nosuch: $(cat "$tmp/err")"
# The agent's own store, read while it runs: the same leaders' epochs, with
# the holder's agent id and a lease that has not expired.
meta=(--metadata-url "sqlite://$tmp/agent-data/metadata.db")
"$streamctl" "${meta[@]}" leases list >"$tmp/leases_store" 2>&1 ||
  fail "leases list --metadata-url: $(cat "$tmp/leases_store")"
awk 'NR > 1 { print $1, $2, $4, $6 }' "$tmp/leases" >"$tmp/leases.cmp"
awk 'NR > 1 { print $1, $2, $4, $6 }' "$tmp/leases_store" >"$tmp/leases_store.cmp"
diff -u "$tmp/leases.cmp" "$tmp/leases_store.cmp" >"$tmp/diff" ||
  fail "leases differ between --bootstrap and --metadata-url: $(cat "$tmp/diff")"
awk 'NR > 1 && !($3 != "-" && $5 ~ /^[0-9]+ms$/) { bad = 1 } END { exit bad }' "$tmp/leases_store" ||
  fail "leases list --metadata-url lacks holders or expiry: $(cat "$tmp/leases_store")"

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
echo "PASS: streamctl --bootstrap matches embedded mode; group commands with a live member;"
echo "      agents and leases over --bootstrap and --metadata-url"
