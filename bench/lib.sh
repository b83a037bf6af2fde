# Shared by the bench scripts (source it): the two runtimes, a busybox root filesystem and
# bundle, and the medians of a hyperfine JSON export.

# bench_binaries BUILD_DIR: sets $berth and $runc.
bench_binaries() {
  berth="$(cd "$1" && pwd)/bin/berth-runtime"
  runc=$(command -v runc)
}

# make_busybox_rootfs DIR: a static busybox with sh, true and sleep.
make_busybox_rootfs() {
  mkdir -p "$1/bin" "$1/"{proc,sys,dev,tmp,etc}
  cp /bin/busybox "$1/bin/busybox"
  for a in sh true sleep; do ln -sf busybox "$1/bin/$a"; done
}

# make_bundle DIR ARGS_JSON: rootfs plus berth-runtime's default config running ARGS, no terminal.
make_bundle() {
  make_busybox_rootfs "$1/rootfs"
  (cd "$1" && "$berth" spec &&
    jq --argjson args "$2" '.process.terminal = false | .process.args = $args' config.json > c && mv c config.json)
}

# print_medians RESULT_JSON
print_medians() {
  echo "medians (ms):"
  jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10)"' "$1"
}

# wait_for CMD...: retries CMD for up to 30 s.
wait_for() {
  for _ in $(seq 1 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out: $*" >&2
  return 1
}

# make_image_archive WORK: $WORK/image.tar, a one-layer busybox docker-archive tagged berthbench:latest.
# make_image_archive WORK NAME ROOTFS CMD_JSON: $WORK/NAME.tar of the directory ROOTFS, tagged
# NAME:latest, running CMD_JSON.
make_image_archive() {
  local w=$1 name=${2:-berthbench} root=${3:-$1/rootfs} cmd=${4:-'["sh"]'} out=$1/image.tar diff cfg
  local stage=$w/archive-$name
  if [ $# -gt 1 ]; then out=$w/$name.tar; else make_busybox_rootfs "$root"; fi
  mkdir -p "$stage"
  tar --numeric-owner -C "$root" -cf "$w/layer.tar" .
  diff=$(sha256sum "$w/layer.tar" | cut -c1-64)
  echo '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":'"$cmd"'},"rootfs":{"type":"layers","diff_ids":["sha256:'"$diff"'"]}}' > "$w/config.json"
  cfg=$(sha256sum "$w/config.json" | cut -c1-64)
  mkdir -p "$stage/$diff" && mv "$w/layer.tar" "$stage/$diff/layer.tar" && mv "$w/config.json" "$stage/$cfg.json"
  echo '[{"Config":"'"$cfg"'.json","RepoTags":["'"$name"':latest"],"Layers":["'"$diff"'/layer.tar"]}]' > "$stage/manifest.json"
  tar -C "$stage" -cf "$out" .
}

# Directories the peers' daemons create under /run when absent: remember_strays records the
# missing ones, remove_strays removes them again.
remember_strays() {
  strays=()
  local d
  for d in /run/containerd /run/containerd/fifo /run/containerd/s /run/containerd/runc /run/docker /run/docker/plugins \
           /run/containers /run/containers/networks /run/berth-runtime /run/berth-runtime/.seccomp-cache /run/runc /run/mount; do
    [ -e "$d" ] || strays+=("$d")
  done
}
remove_strays() {
  local i
  for ((i = ${#strays[@]} - 1; i >= 0; i--)); do
    case "${strays[$i]}" in */.seccomp-cache) rm -rf "${strays[$i]}" ;; */mount) rm -f "${strays[$i]}"/utab* ; rmdir "${strays[$i]}" 2>/dev/null ;; *) rm -rf "${strays[$i]}"/bench 2>/dev/null; rmdir "${strays[$i]}" 2>/dev/null ;; esac
  done
}

# start_containerd DIR: a private containerd (no CRI) on DIR/c.sock; sets $ctr; pid in $pids.
start_containerd() {
  local c=$1
  mkdir -p "$c"
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
  wait_for $ctr version
}

# start_dockerd DIR [EXTRA FLAGS...]: a private dockerd without networking on DIR/d.sock; sets
# $docker_d; pid in $pids.
start_dockerd() {
  local d=$1; shift
  mkdir -p "$d"; echo '{}' > "$d/daemon.json"
  dockerd --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" \
    -H "unix://$d/d.sock" --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --userland-proxy=false --cgroup-parent /berth-bench-peers "$@" > "$d/log" 2>&1 & pids+=($!)
  docker_d="docker -H unix://$d/d.sock"
  wait_for $docker_d version
}

# podman_with RUNTIME DIR: the podman command line with private storage under DIR.
podman_with() { echo "env TMPDIR=$2/tmp podman --root $2/root --runroot $2/runroot --tmpdir $2/libpod --runtime $1 --cgroup-manager cgroupfs --events-backend file --storage-driver overlay"; }

# stop_daemons WORK: kills $pids, unmounts what is left under WORK, removes the bench cgroups.
stop_daemons() {
  local p h
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  grep " $1" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  for h in /sys/fs/cgroup/*/berth-bench-peers /sys/fs/cgroup/berth-bench-peers; do
    [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  return 0
}

# rss_kib PID: resident set size in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# bench_setup NAME: $work (under /tmp) and $run (under /run, tmpfs: berthd's exec root, as in
# production), the strays to remove, $pids, and an EXIT trap (bench_cleanup) that removes every
# container of the private daemons, stops them and deletes all of it. A script sets
# $extra_cleanup to a command for anything else it made.
bench_setup() {
  work=$(mktemp -d "/tmp/berth-bench-$1-XXXXXX")
  run=$(mktemp -d "/run/berth-bench-$1-XXXXXX")
  remember_strays
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  set +e
  local cli
  for cli in "${docker_b:-}" "${docker_d:-}"; do
    [ -n "$cli" ] && $cli rm -f $($cli ps -aq) >/dev/null 2>&1
  done
  [ -n "${pod:-}" ] && $pod rm -f -a >/dev/null 2>&1
  stop_daemons "$work"
  [ -n "${extra_cleanup:-}" ] && eval "$extra_cleanup"
  rm -rf "$work" "$run"
  remove_strays
}

# start_berthd BIN_DIR [PREFIX...]: a private berthd on $work/berthd/b.sock (exec root under $run),
# run under PREFIX if given (nsenter ...), with $berthd_config as its daemon.json when set;
# sets $bcli, $docker_b and $berthd_pid.
start_berthd() {
  local bin=$1 b=$work/berthd config=${berthd_config:-'{}'}; shift
  mkdir -p "$b"; echo "$config" > "$b/daemon.json"
  "$@" "$bin/berthd" --config-file "$b/daemon.json" --data-root "$b/data" --exec-root "$run/exec" \
    --pidfile "$b/pid" -H "unix://$b/b.sock" > "$b/log" 2>&1 & pids+=($!)
  berthd_pid=$!
  bcli="$bin/berth -H unix://$b/b.sock"
  docker_b="docker -H unix://$b/b.sock"
  wait_for $bcli version
}
