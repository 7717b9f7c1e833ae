#!/usr/bin/env bash
# Installs the Debian 12 packages imgauto needs to build, test and run its demo.
# Skips apt entirely when every package is already installed.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
  # libraries
  libboost-dev libssl-dev libre2-dev libyaml-cpp-dev libgit2-dev nlohmann-json3-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
  # real servers and tools used by the integration tests and the demo
  docker-registry apache2-utils openssl tinyproxy curl git python3
  libgpgme-dev gnupg lighttpd openssh-server openssh-client
  # promtool (alert rule tests) and a real Prometheus for the metrics integration tests
  prometheus
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts these services on install; the tests start their own instances on loopback.
for svc in docker-registry tinyproxy lighttpd ssh prometheus; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
  if command -v service >/dev/null 2>&1; then $SUDO service "$svc" stop >/dev/null 2>&1 || true; fi
done
