#!/usr/bin/env bash
# The same container started by containerd (ctr run --rm), dockerd (docker run --rm) and podman
# (podman run --rm), each with runc and with berth-runtime as its OCI runtime: what a user of those
# tools gains by switching runtime. Private daemons on unix sockets in a temp dir, no networking.
# Usage: bench/peers.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-20}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
work=$(mktemp -d /tmp/berth-bench-peers-XXXXXX)
remember_strays
pids=()
cleanup() {
  set +e  # best effort: one failure must not stop the rest of the cleanup
  stop_daemons "$work"
  rm -rf "$work"
  remove_strays
}
trap cleanup EXIT

make_image_archive "$work"
start_containerd "$work/ctd"
ctr_root="--runc-root $work/ctd/runc"
$ctr images import "$work/image.tar" > /dev/null
start_dockerd "$work/docker" --add-runtime "berth=$berth"
docker=$docker_d
$docker load -i "$work/image.tar" > /dev/null
p="$work/podman"; mkdir -p "$p/tmp"
$(podman_with "$runc" "$p") load -i "$work/image.tar" > /dev/null

# podman asks for RLIMIT_NOFILE 1048576; on hosts without CAP_SYS_RESOURCE in the bounding set runc
# refuses that, so podman with runc may not run at all here (berth-runtime clamps with a warning).
if $(podman_with "$runc" "$p") run --rm --network none --cgroup-parent /berth-bench-peers berthbench true 2>"$work/podman-runc.err"; then
  podman_runc=(-n "podman run (runc)" "$(podman_with "$runc" "$p") run --rm --network none --cgroup-parent /berth-bench-peers berthbench true")
else
  echo "podman run with runc fails on this host: $(tail -1 "$work/podman-runc.err")"
  podman_runc=()
fi

out="$work/result.md"
hyperfine --warmup 2 --runs "$runs" --export-markdown "$out" --export-json "$work/result.json" \
  -n "ctr run (runc)" "$ctr run --rm $ctr_root --cgroup /berth-bench-peers/b1 --runc-binary $runc docker.io/library/berthbench:latest b1 true" \
  -n "ctr run (berth-runtime)" "$ctr run --rm $ctr_root --cgroup /berth-bench-peers/b2 --runc-binary $berth docker.io/library/berthbench:latest b2 true" \
  -n "docker run (runc)" "$docker run --rm --network none --runtime runc berthbench true" \
  -n "docker run (berth-runtime)" "$docker run --rm --network none --runtime berth berthbench true" \
  "${podman_runc[@]}" \
  -n "podman run (berth-runtime)" "$(podman_with "$berth" "$p") run --rm --network none --cgroup-parent /berth-bench-peers berthbench true"
cat "$out"
print_medians "$work/result.json"
