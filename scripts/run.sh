#!/usr/bin/env bash
# `make run`: StreamHouse on its embedded default: one agent speaking the
# Kafka protocol on 127.0.0.1:9092, data (SQLite metadata + segment objects)
# in ./data. Stop it with Ctrl-C (a graceful shutdown that seals every tail).
# Extra arguments go to the agent: `make run ARGS="--kafka-listen 0.0.0.0:9092"`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/bin/streamhouse "$@"
