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
work=$(mktemp -d /tmp/berth-bench-exec-XXXXXX)
run=$(mktemp -d /run/berth-bench-exec-XXXXXX)  # berthd's exec root on tmpfs, as in production
remember_strays
pids=()
cleanup() {
  set +e
  [ -n "${bcli:-}" ] && $bcli rm -f $($bcli ps -aq) >/dev/null 2>&1
  [ -n "${docker_d:-}" ] && $docker_d rm -f $($docker_d ps -aq) >/dev/null 2>&1
  stop_daemons "$work"
  rm -rf "$work" "$run"
  remove_strays
}
trap cleanup EXIT

make_image_archive "$work"

b="$work/berthd"; mkdir -p "$b"; echo '{}' > "$b/daemon.json"
"$bin/berthd" --config-file "$b/daemon.json" --data-root "$b/data" --exec-root "$run/exec" --pidfile "$b/pid" \
  -H "unix://$b/b.sock" > "$b/log" 2>&1 & pids+=($!)
bcli="$bin/berth -H unix://$b/b.sock"
docker_b="docker -H unix://$b/b.sock"
wait_for $bcli version
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
