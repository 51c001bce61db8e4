#!/usr/bin/env bash
# Installs what the compatibility tests (tests/compat) need: the Kafka clients
# they drive and KafkaJS from npm. Idempotent: when everything is present it
# checks and exits in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(python3 python3-confluent-kafka python3-kafka kcat librdkafka-dev pkg-config)
# Node may come from outside Debian (it ships its own npm); only install
# Debian's nodejs and npm when there is no node at all.
if ! command -v node > /dev/null 2>&1; then PACKAGES+=(nodejs); fi
if ! command -v npm > /dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "install-test-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# KafkaJS, pinned by tests/compat/node/package-lock.json.
NODE_DIR=tests/compat/node
want=$(sed -n 's/.*"kafkajs": *"\([0-9.]*\)".*/\1/p' "$NODE_DIR/package.json" | head -1)
have=$(sed -n 's/.*"version": *"\([0-9.]*\)".*/\1/p' \
  "$NODE_DIR/node_modules/kafkajs/package.json" 2>/dev/null | head -1 || true)
if [[ "$have" != "$want" ]]; then
  echo "install-test-deps: installing kafkajs $want into $NODE_DIR"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
