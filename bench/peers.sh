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
# Directories the daemons create under /run when absent: removed again at the end.
strays=()
for d in /run/containerd /run/containerd/fifo /run/containerd/s /run/containerd/runc /run/docker /run/docker/plugins \
         /run/containers /run/containers/networks /run/berth-runtime /run/berth-runtime/.seccomp-cache /run/runc /run/mount; do
  [ -e "$d" ] || strays+=("$d")
done
pids=()
cleanup() {
  set +e  # best effort: one failure must not stop the rest of the cleanup
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  for h in /sys/fs/cgroup/*/berth-bench-peers; do [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  rm -rf "$work"
  for ((i = ${#strays[@]} - 1; i >= 0; i--)); do
    case "${strays[$i]}" in */.seccomp-cache) rm -rf "${strays[$i]}" ;; */mount) rm -f "${strays[$i]}"/utab* ; rmdir "${strays[$i]}" 2>/dev/null ;; *) rm -rf "${strays[$i]}"/bench 2>/dev/null; rmdir "${strays[$i]}" 2>/dev/null ;; esac
  done
}
trap cleanup EXIT

# A one-layer busybox image as a docker-archive.
rootfs="$work/rootfs"; stage="$work/archive"
make_busybox_rootfs "$rootfs"
mkdir -p "$stage"
tar --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
diff=$(sha256sum "$work/layer.tar" | cut -c1-64)
echo '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:'"$diff"'"]}}' > "$work/config.json"
cfg=$(sha256sum "$work/config.json" | cut -c1-64)
mkdir -p "$stage/$diff" && mv "$work/layer.tar" "$stage/$diff/layer.tar" && mv "$work/config.json" "$stage/$cfg.json"
echo '[{"Config":"'"$cfg"'.json","RepoTags":["berthbench:latest"],"Layers":["'"$diff"'/layer.tar"]}]' > "$stage/manifest.json"
tar -C "$stage" -cf "$work/image.tar" .

wait_for() { for _ in $(seq 1 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "timed out: $*" >&2; return 1; }

# containerd
c="$work/ctd"; mkdir -p "$c"
cat > "$c/config.toml" <<TOML
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$c/c.sock"
[ttrpc]
  address = "$c/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
TOML
containerd --config "$c/config.toml" > "$c/log" 2>&1 & pids+=($!)
ctr="ctr -a $c/c.sock -n bench"
ctr_root="--runc-root $c/runc"
wait_for $ctr version
$ctr images import "$work/image.tar" > /dev/null

# dockerd
d="$work/docker"; mkdir -p "$d"; echo '{}' > "$d/daemon.json"
dockerd --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" \
  -H "unix://$d/d.sock" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
  --userland-proxy=false --cgroup-parent /berth-bench-peers --add-runtime "berth=$berth" > "$d/log" 2>&1 & pids+=($!)
docker="docker -H unix://$d/d.sock"
wait_for $docker version
$docker load -i "$work/image.tar" > /dev/null

# podman
p="$work/podman"; mkdir -p "$p/tmp"
podman_with() { echo "env TMPDIR=$p/tmp podman --root $p/root --runroot $p/runroot --tmpdir $p/libpod --runtime $1 --cgroup-manager cgroupfs --events-backend file --storage-driver overlay"; }
$(podman_with "$runc") load -i "$work/image.tar" > /dev/null

# podman asks for RLIMIT_NOFILE 1048576; on hosts without CAP_SYS_RESOURCE in the bounding set runc
# refuses that, so podman with runc may not run at all here (berth-runtime clamps with a warning).
if $(podman_with "$runc") run --rm --network none --cgroup-parent /berth-bench-peers berthbench true 2>"$work/podman-runc.err"; then
  podman_runc=(-n "podman run (runc)" "$(podman_with "$runc") run --rm --network none --cgroup-parent /berth-bench-peers berthbench true")
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
  -n "podman run (berth-runtime)" "$(podman_with "$berth") run --rm --network none --cgroup-parent /berth-bench-peers berthbench true"
cat "$out"
print_medians "$work/result.json"
