#!/usr/bin/env bash
# `make run`: StreamHouse on its embedded default (data in ./data).
# Until the Kafka agent lands this runs a short embedded session with
# streamctl: create a topic, produce, consume, show its segments.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin
DATA=${STREAMHOUSE_DATA_DIR:-data}
ctl() { "$BIN/streamctl" --data-dir "$DATA" "$@"; }

echo "== StreamHouse embedded, data in $DATA/"
ctl topic list | grep -qx demo || ctl topic create demo --partitions 3
printf 'hello\nfrom\nstreamhouse\n' | ctl produce demo --partition 0 --key greeting --header source=make-run
ctl produce demo --partition 1 --value "$(date -u +%FT%TZ)" --compression zstd
echo "== consume demo"
ctl consume demo
echo "== topic describe demo"
ctl topic describe demo
echo "== segments list demo"
ctl segments list demo
