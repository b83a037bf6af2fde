#!/usr/bin/env bash
# `docker exec c true` side by side: the stock docker client against berthd (the shim runs the
# exec in-process through the runtime library) and against dockerd (containerd, runc exec), on the
# same one-layer busybox image; plus `berth exec` against berthd. Private daemons on unix sockets
# in a temp dir, no networking.
# Usage: bench/exec.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-50}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
bin=$(cd "$build" && pwd)/bin
bench_setup exec
make_image_archive "$work"

start_berthd "$bin"
$bcli load -i "$work/image.tar" > /dev/null
$docker_b run -d --network none --name bench-exec berthbench sleep 100000 > /dev/null

start_dockerd "$work/docker"
$docker_d load -i "$work/image.tar" > /dev/null
$docker_d run -d --network none --name bench-exec berthbench sleep 100000 > /dev/null

echo "## exec c true"
hyperfine -N --warmup 5 --runs "$runs" --export-markdown "$work/exec.md" --export-json "$work/exec.json" \
  -n "docker exec (berthd)" "$docker_b exec bench-exec true" \
  -n "berth exec (berthd)" "$bcli exec bench-exec true" \
  -n "docker exec (dockerd, runc)" "$docker_d exec bench-exec true"
cat "$work/exec.md"
print_medians "$work/exec.json"
