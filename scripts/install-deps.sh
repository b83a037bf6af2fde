#!/usr/bin/env bash
# Installs the Debian packages berth needs. `build`: compilers and libraries;
# `test`: the real peers and tools the tests drive. Only missing packages are fetched.
set -euo pipefail
what=${1:-build}

build_pkgs=(build-essential cmake ninja-build pkg-config nlohmann-json3-dev libseccomp-dev
  libarchive-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libboost-dev libnl-3-dev
  libnl-route-3-dev libnftables-dev libcli11-dev libgtest-dev libgrpc++-dev protobuf-compiler-grpc
  libprotobuf-dev protobuf-compiler zlib1g-dev)
test_pkgs=(busybox-static runc containerd docker.io podman skopeo docker-registry hyperfine jq
  iproute2 apache2-utils procps openssl python3-docker tini curl iperf3 docker-compose
  golang-github-containers-common nftables containernetworking-plugins)

case "$what" in
  build) pkgs=("${build_pkgs[@]}") ;;
  test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# Packages such as docker.io and containerd would start their daemons on install; keep them stopped.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ $created_policy -eq 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
