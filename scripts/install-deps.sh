#!/usr/bin/env bash
# Installs what StreamHouse needs to build and test, from Debian 12's packages.
# Idempotent: when everything is present it checks and exits in well under a second.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3
  libgtest-dev libgmock-dev libbenchmark-dev
  liblz4-dev libzstd-dev libsnappy-dev zlib1g-dev
  libsqlite3-dev libpq-dev libcurl4-openssl-dev libssl-dev libasio-dev libtomlplusplus-dev
  librdkafka-dev kcat
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
