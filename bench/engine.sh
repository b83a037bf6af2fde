#!/usr/bin/env bash
# The engine side by side, in one run, on the same one-layer busybox image:
#   `run --rm true`: berth CLI and docker CLI against berthd, docker against dockerd (runc),
#   podman (berth-runtime: podman with runc cannot run here, see peers.sh), ctr (runc);
#   `run -d` of 50 containers then `rm -f` of all of them, berthd vs dockerd;
#   idle RSS of berthd vs dockerd + its containerd; RSS of one container's shim vs
#   containerd-shim-runc-v2 and conmon.
# Private daemons on unix sockets in a temp dir, no networking (`--network none` where asked).
# Usage: bench/engine.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-20}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
bin=$(cd "$build" && pwd)/bin
bench_setup engine
make_image_archive "$work"

start_berthd "$bin"
$bcli load -i "$work/image.tar" > /dev/null
berthd_fresh=$(rss_kib "$berthd_pid")

start_dockerd "$work/docker"
$docker_d load -i "$work/image.tar" > /dev/null
start_containerd "$work/ctd"
$ctr images import "$work/image.tar" > /dev/null
p="$work/podman"; mkdir -p "$p/tmp"
pod=$(podman_with "$berth" "$p")
$pod load -i "$work/image.tar" > /dev/null

if [ -z "${SKIP_RUN:-}" ]; then
echo "## run --rm true"
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/run.md" --export-json "$work/run.json" \
  -n "berth run --rm (berthd)" "$bcli run --rm --network none berthbench true" \
  -n "docker run --rm (berthd)" "$docker_b run --rm --network none berthbench true" \
  -n "docker run --rm (dockerd, runc)" "$docker_d run --rm --network none berthbench true" \
  -n "podman run --rm (berth-runtime)" "$pod run --rm --network none --cgroup-parent /berth-bench-peers berthbench true" \
  -n "ctr run --rm (runc)" "$ctr run --rm --runc-root $work/ctd/runc --cgroup /berth-bench-peers/b1 docker.io/library/berthbench:latest b1 true"
cat "$work/run.md"
print_medians "$work/run.json"
fi

echo "## run -d of 50 containers, then rm -f of all"
# All without networking (bench/network.sh measures the bridge).
batch() { echo "for i in \$(seq 50); do $1 run -d $2 berthbench sleep 1000 >/dev/null; done; $1 rm -f \$($1 ps -aq) >/dev/null"; }
hyperfine --warmup 1 --runs 3 --export-markdown "$work/batch.md" --export-json "$work/batch.json" \
  -n "berth (berthd)" "$(batch "$bcli" "--network none")" \
  -n "docker (berthd)" "$(batch "$docker_b" "--network none")" \
  -n "docker (dockerd)" "$(batch "$docker_d" "--network none")"
cat "$work/batch.md"
print_medians "$work/batch.json"

echo "## memory (RSS, KiB)"
dockerd_pid=$(cat "$work/docker/pid")
dctd_pid=$(pgrep -P "$dockerd_pid" containerd || true)
echo "berthd idle: $berthd_fresh at start (image loaded), $(rss_kib "$berthd_pid") after the runs above"
echo "dockerd idle: $(rss_kib "$dockerd_pid") + its containerd: $( [ -n "$dctd_pid" ] && rss_kib "$dctd_pid" || echo n/a)"
id=$($bcli run -d berthbench sleep 1000)
echo "berth-shim: $(rss_kib "$(pgrep -f "berth-shim --id $id" | head -1)")"
did=$($docker_d run -d --network none berthbench sleep 1000)
echo "containerd-shim-runc-v2: $(rss_kib "$(pgrep -f "containerd-shim-runc-v2.*$did" | head -1)")"
$pod run -d --network none --cgroup-parent /berth-bench-peers berthbench sleep 1000 >/dev/null
echo "conmon: $(rss_kib "$(pgrep -f "conmon.*$p" | head -1)")"
