#!/usr/bin/env bash
# Kubernetes CRI, berthd vs containerd 1.6's CRI plugin (Debian's containerd, runc as its
# runtime, restrict_oom_score_adj as this host needs), both driven by crictl, each with a CNI
# bridge network of its own (Debian's plugins), both daemons inside a network namespace of the
# bench's own, so that no bridge, veth or rule touches the host:
#   one pod's cycle: crictl runp + create + start + stop + rm + stopp + rmp of a busybox sleep;
#   50 pods started in parallel (crictl runp, 50 at a time), then all removed (not timed).
# Usage: bench/cri.sh [build-dir] [runs] [pods]
set -euo pipefail
build=${1:-build}
runs=${2:-20}
npods=${3:-50}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
bin=$(cd "$build" && pwd)/bin
crictl_bin=${BERTH_CRICTL:-$(cd "$(dirname "$0")/.." && pwd)/../shared/tools/crictl}
[ -x "$crictl_bin" ] || crictl_bin=$(command -v crictl) || { echo "crictl (cri-tools 1.26) not found: set BERTH_CRICTL" >&2; exit 1; }
ns=berth-bench-cri
bench_setup cri
in_ns() { nsenter --net="/run/netns/$ns" "$@"; }
# libcni's cache under containerd (/var/lib/cni) is the host's: removed again if the bench made it.
[ -e /var/lib/cni ] && cni_cache_made=false || cni_cache_made=true
extra_cleanup='ip netns del $ns 2>/dev/null; $cni_cache_made && rm -rf /var/lib/cni'
# Pods left by a failed run go while their daemons still run (their shims, namespaces and
# addresses with them), then bench_cleanup stops the daemons.
remove_pods() {
  local c
  for c in "${crictl_b:-}" "${crictl_c:-}"; do [ -n "$c" ] && $c rmp -a -f >/dev/null 2>&1; done
  return 0
}
trap 'remove_pods; bench_cleanup' EXIT

ip netns add "$ns"
in_ns ip link set lo up

# net_conf DIR BRIDGE SUBNET: a CNI config of bridge + host-local (its own dataDir) + portmap.
net_conf() {
  mkdir -p "$1/net.d"
  jq -n --arg br "$2" --arg subnet "$3" --arg data "$1/ipam" '{cniVersion: "1.0.0", name: "bench-cri", plugins: [
      {type: "bridge", bridge: $br, isGateway: true, ipMasq: false,
       ipam: {type: "host-local", dataDir: $data, ranges: [[{subnet: $subnet}]], routes: [{dst: "0.0.0.0/0"}]}},
      {type: "portmap", capabilities: {portMappings: true}}]}' > "$1/net.d/10-bench.conflist"
}
net_conf "$work/net-berth" bcri-b0 10.244.1.0/24
net_conf "$work/net-ctd" bcri-c0 10.244.2.0/24

# The images: busybox, and for containerd a pause image made of berth's static pause (berthd
# needs none), both imported from docker-archives: no registry.
make_image_archive "$work"
mkdir -p "$work/pause-root"
cp "$bin/berth-pause" "$work/pause-root/pause"
make_image_archive "$work" berthpause "$work/pause-root" '["/pause"]'

# berthd with its CRI socket.
berthd_config=$(jq -n --arg sock "$run/berth-cri.sock" --arg conf "$work/net-berth/net.d" \
  '{cri: {socket: $sock, "cni-conf-dir": $conf}}')
start_berthd "$bin" nsenter --net="/run/netns/$ns"
$docker_b load -i "$work/image.tar" >/dev/null
echo > "$work/crictl.yaml"  # not /etc/crictl.yaml
crictl_b="$crictl_bin --config $work/crictl.yaml -r unix://$run/berth-cri.sock -i unix://$run/berth-cri.sock -t 60s"
wait_for $crictl_b version

# containerd with its CRI plugin (nothing else of it disabled), state and sockets of its own.
c=$work/ctd
mkdir -p "$c"
cat > "$c/config.toml" <<TOML
version = 2
root = "$c/root"
state = "$run/ctd-state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$run/ctd.sock"
[ttrpc]
  address = "$run/ctd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/library/berthpause:latest"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$runc"
        Root = "$run/ctd-runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/net-ctd/net.d"
TOML
# nsenter execs containerd: $! is containerd itself, which stop_daemons can stop.
nsenter --net="/run/netns/$ns" containerd --config "$c/config.toml" > "$c/log" 2>&1 & pids+=($!)
ctr="ctr -a $run/ctd.sock -n k8s.io"
wait_for $ctr version
$ctr images import "$work/image.tar" >/dev/null
$ctr images import "$work/berthpause.tar" >/dev/null
crictl_c="$crictl_bin --config $work/crictl.yaml -r unix://$run/ctd.sock -i unix://$run/ctd.sock -t 60s"
wait_for $crictl_c version

# The pod and container configs: cgroups under the bench's parent (stop_daemons removes what
# is left of it), the container a sleep that crictl stop kills at once (--timeout 0).
pod_json() {
  jq -n --arg name "$1" --arg logs "$work/logs" '{metadata: {name: $name, namespace: "bench", uid: ("uid-" + $name), attempt: 0},
    hostname: $name, log_directory: $logs, linux: {cgroup_parent: "/berth-bench-peers"}}'
}
pod_json cycle > "$work/pod.json"
jq -n '{metadata: {name: "sleeper"}, image: {image: "docker.io/library/berthbench:latest"}, command: ["sleep", "3600"],
  log_path: "sleeper.log", linux: {}}' > "$work/ctr.json"
mkdir -p "$work/pods" "$work/logs"
for i in $(seq "$npods"); do pod_json "p$i" > "$work/pods/$i.json"; done

# cycle CRICTL: one pod with one container through its whole life.
cat > "$work/cycle.sh" <<'SH'
set -euo pipefail
crictl=$1 work=$2
pod=$($crictl runp "$work/pod.json")
c=$($crictl create "$pod" "$work/ctr.json" "$work/pod.json")
$crictl start "$c" >/dev/null
$crictl stop --timeout 0 "$c" >/dev/null
$crictl rm "$c" >/dev/null
$crictl stopp "$pod" >/dev/null
$crictl rmp "$pod" >/dev/null
SH
# Each works once before it is timed.
bash "$work/cycle.sh" "$crictl_b" "$work"
bash "$work/cycle.sh" "$crictl_c" "$work"

echo "## one pod: crictl runp + create + start + stop + rm + stopp + rmp"
hyperfine --warmup 2 --runs "$runs" --export-markdown "$work/cycle.md" --export-json "$work/cycle.json" \
  -n "berthd" "bash $work/cycle.sh '$crictl_b' $work" \
  -n "containerd 1.6" "bash $work/cycle.sh '$crictl_c' $work"
cat "$work/cycle.md"
print_medians "$work/cycle.json"

echo "## $npods pods started in parallel (crictl runp, $npods at a time)"
# xargs fails when one runp fails, and hyperfine with it. The pods of a run go before the
# next (untimed), the last run's after it.
par() { echo "seq $npods | xargs -P $npods -I{} $1 runp $work/pods/{}.json >/dev/null"; }
hyperfine --runs "$(( runs < 5 ? runs : 5 ))" --export-markdown "$work/par.md" --export-json "$work/par.json" \
  -p "$crictl_b rmp -a -f" -p "$crictl_c rmp -a -f" -c "$crictl_b rmp -a -f; $crictl_c rmp -a -f" \
  -n "berthd" "$(par "$crictl_b")" -n "containerd 1.6" "$(par "$crictl_c")"
cat "$work/par.md"
print_medians "$work/par.json"
