#!/usr/bin/env bash
# Installs what the tests need beyond the build: the Kafka clients the
# compatibility tests drive, KafkaJS from npm, PostgreSQL (throwaway servers of
# the cluster-mode tests) and the s3rver S3 server from npm. Idempotent: when everything is present it
# checks and exits in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(python3 python3-confluent-kafka python3-kafka kcat librdkafka-dev pkg-config
  postgresql util-linux)
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

# npm packages pinned by package-lock.json: KafkaJS and @platformatic/kafka
# (tests/compat/node) and s3rver (tests/support/node).
npm_install() {  # DIR PACKAGE
  local dir=$1 pkg=$2 want have
  want=$(sed -n "s|.*\"$pkg\": *\"\([0-9.]*\)\".*|\1|p" "$dir/package.json" | head -1)
  have=$(sed -n 's/.*"version": *"\([0-9.]*\)".*/\1/p' \
    "$dir/node_modules/$pkg/package.json" 2>/dev/null | head -1 || true)
  if [[ "$have" != "$want" ]]; then
    echo "install-test-deps: installing $pkg $want into $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install tests/compat/node kafkajs
npm_install tests/compat/node @platformatic/kafka
npm_install tests/support/node s3rver
