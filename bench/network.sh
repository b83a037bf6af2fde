#!/usr/bin/env bash
# Bridge networking, berthd vs dockerd side by side, both with their default bridge, dockerd
# with its iptables rules and docker-proxy (its defaults) - all inside a network namespace of
# the bench's own, so neither engine touches the host's links, routes or firewall:
#   the added cost of bridge networking per `run --rm true` (default bridge minus --network none);
#   TCP throughput (iperf3) container to container on one bridge, and host to a published port
#   through 127.0.0.1 (berth: DNAT in the kernel; dockerd: docker-proxy);
#   latency of an HTTP GET to a published port from the host's 127.0.0.1;
#   200 containers started in parallel on one bridge (`run -d`, 20 at a time), then removed
#   (SKIP_PARALLEL=1 skips this last part).
# Usage: bench/network.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-20}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
bin=$(cd "$build" && pwd)/bin
ns=berth-bench-net
bench_setup net
extra_cleanup="ip netns del $ns 2>/dev/null"
in_ns() { nsenter --net="/run/netns/$ns" "$@"; }

ip netns add "$ns"
in_ns ip link set lo up

# The image: busybox plus iperf3 and the libraries it links.
make_busybox_rootfs "$work/rootfs"
cp /usr/bin/iperf3 "$work/rootfs/bin/"
for lib in $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*'); do mkdir -p "$work/rootfs$(dirname "$lib")"; cp -L "$lib" "$work/rootfs$lib"; done
tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .

start_berthd "$bin" nsenter --net="/run/netns/$ns"
$docker_b import "$work/rootfs.tar" netbench >/dev/null

d="$work/docker"; mkdir -p "$d"; echo '{}' > "$d/daemon.json"
# nsenter execs dockerd: $! is dockerd itself, which stop_daemons can stop.
nsenter --net="/run/netns/$ns" dockerd --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/pid" \
  -H "unix://$d/d.sock" --cgroup-parent /berth-bench-peers > "$d/log" 2>&1 & pids+=($!)
docker_d="docker -H unix://$d/d.sock"
wait_for $docker_d version
$docker_d import "$work/rootfs.tar" netbench >/dev/null

echo "## run --rm true: --network none vs the default bridge"
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/run.md" --export-json "$work/run.json" \
  -n "berthd, none" "$docker_b run --rm --network none netbench true" \
  -n "berthd, bridge" "$docker_b run --rm netbench true" \
  -n "dockerd, none" "$docker_d run --rm --network none netbench true" \
  -n "dockerd, bridge" "$docker_d run --rm netbench true"
cat "$work/run.md"
print_medians "$work/run.json"
jq -r '[.results[] | .median] | "added by the bridge (ms): berthd \((.[1]-.[0])*1000 | .*10 | round / 10), dockerd \((.[3]-.[2])*1000 | .*10 | round / 10)"' "$work/run.json"

echo "## TCP throughput (iperf3, 5 s, Gbit/s)"
# gbits CMD...: runs an iperf3 client (-J) until it gets a result (the server takes one test at a
# time, and the readiness probe may still hold it): Gbit/s received.
gbits() {
  local out
  for _ in 1 2 3 4 5; do
    out=$("$@" 2>/dev/null || true)
    if jq -e '.end.sum_received.bits_per_second' <<<"$out" >/dev/null 2>&1; then
      jq -r '.end.sum_received.bits_per_second / 1e9 | .*100 | round / 100' <<<"$out"
      return
    fi
  done
  echo "iperf3 failed: $(jq -r '.error // empty' <<<"$out" 2>/dev/null)" >&2
  return 1
}
for engine in berthd dockerd; do
  cli=$docker_b; [ "$engine" = dockerd ] && cli=$docker_d
  $cli run -d --name srv -p 127.0.0.1:15201:5201 netbench iperf3 -s >/dev/null
  ip=$($cli inspect -f '{{.NetworkSettings.IPAddress}}' srv)
  wait_for in_ns bash -c "exec 3<>/dev/tcp/$ip/5201"
  c2c=$(gbits $cli run --rm netbench iperf3 -c "$ip" -t 5 -J)
  wait_for in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/15201"
  h2p=$(gbits in_ns iperf3 -c 127.0.0.1 -p 15201 -t 5 -J)
  echo "$engine: container to container $c2c, host 127.0.0.1 to published port $h2p"
  $cli rm -f srv >/dev/null
done

echo "## latency: an HTTP GET of a published busybox httpd from the host's 127.0.0.1 (curl)"
httpd='mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www'
$docker_b run -d --name web -p 127.0.0.1:18080:80 netbench sh -c "$httpd" >/dev/null
$docker_d run -d --name web -p 127.0.0.1:18081:80 netbench sh -c "$httpd" >/dev/null
wait_for in_ns curl -sf http://127.0.0.1:18080/
wait_for in_ns curl -sf http://127.0.0.1:18081/
hyperfine -N --warmup 10 --runs 200 --export-markdown "$work/lat.md" --export-json "$work/lat.json" \
  -n "berthd (DNAT)" "nsenter --net=/run/netns/$ns curl -sf http://127.0.0.1:18080/" \
  -n "dockerd (docker-proxy)" "nsenter --net=/run/netns/$ns curl -sf http://127.0.0.1:18081/"
cat "$work/lat.md"
print_medians "$work/lat.json"
$docker_b rm -f web >/dev/null
$docker_d rm -f web >/dev/null

[ -n "${SKIP_PARALLEL:-}" ] && exit 0
echo "## 200 containers in parallel on the default bridge (20 at a time), then rm -f"
par() { echo "seq 200 | xargs -P 20 -I{} $1 run -d netbench sleep 1000 >/dev/null; $1 rm -f \$($1 ps -aq) >/dev/null"; }
hyperfine --runs 3 --export-markdown "$work/par.md" --export-json "$work/par.json" \
  -n "berthd" "$(par "$docker_b")" \
  -n "dockerd" "$(par "$docker_d")"
cat "$work/par.md"
print_medians "$work/par.json"
