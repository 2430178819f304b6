#!/usr/bin/env bash
# Install what building and testing trustgate needs, from Debian's packages.
# Only what is missing is installed, so a prepared machine costs nothing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libmicrohttpd-dev libjansson-dev libssl-dev libcurl4-openssl-dev libcmocka-dev
  docker.io docker-registry notary busybox-static curl ca-certificates iproute2 socat jq openssl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  [[ $(id -u) -eq 0 ]] || { echo "tests/deps.sh: run as root to install packages" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the package's own dockerd from starting: the tests
  # start their own, sandboxed one.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
