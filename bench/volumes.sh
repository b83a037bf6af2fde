#!/usr/bin/env bash
# Volumes side by side: `docker run --rm` with a named volume, with an anonymous one (made and
# removed by each run, --rm takes it), and without any, against berthd and a private dockerd
# (runc), on the same one-layer busybox image. Private daemons on unix sockets, no networking.
# Usage: bench/volumes.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-20}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
bin=$(cd "$build" && pwd)/bin
work=$(mktemp -d /tmp/berth-bench-volumes-XXXXXX)
run=$(mktemp -d /run/berth-bench-volumes-XXXXXX)
remember_strays
pids=()
cleanup() {
  set +e
  [ -n "${docker_b:-}" ] && $docker_b rm -f $($docker_b ps -aq) >/dev/null 2>&1
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
docker_b="docker -H unix://$b/b.sock"
wait_for $docker_b version
$docker_b load -i "$work/image.tar" > /dev/null
start_dockerd "$work/docker"
$docker_d load -i "$work/image.tar" > /dev/null
$docker_b volume create benchvol > /dev/null
$docker_d volume create benchvol > /dev/null

hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/vol.md" --export-json "$work/vol.json" \
  -n "run --rm, no volume (berthd)" "$docker_b run --rm --network none berthbench true" \
  -n "run --rm, no volume (dockerd)" "$docker_d run --rm --network none berthbench true" \
  -n "run --rm -v vol:/data (berthd)" "$docker_b run --rm --network none -v benchvol:/data berthbench true" \
  -n "run --rm -v vol:/data (dockerd)" "$docker_d run --rm --network none -v benchvol:/data berthbench true" \
  -n "run --rm -v /data, anonymous (berthd)" "$docker_b run --rm --network none -v /data berthbench true" \
  -n "run --rm -v /data, anonymous (dockerd)" "$docker_d run --rm --network none -v /data berthbench true"
cat "$work/vol.md"
print_medians "$work/vol.json"
echo "volumes left: berthd $($docker_b volume ls -q | wc -l), dockerd $($docker_d volume ls -q | wc -l) (1 each: benchvol)"
