#!/usr/bin/env bash
# The embedded DNS side by side: 1000 lookups of a container's name from another container on
# the same user-defined network, against berthd's resolver and dockerd's (127.0.0.11 in both).
# Two clients: berth-dns-bench (static, sequential UDP queries: the resolver's round trip) and
# a loop of busybox nslookup (a process per lookup, A and AAAA, as a script would). Private
# daemons on unix sockets in a temp dir; the upstream of both is 127.0.0.1 (nothing listens,
# nothing leaves the machine); names only resolve locally.
# Usage: bench/dns.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-10}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
bin=$(cd "$build" && pwd)/bin
work=$(mktemp -d /tmp/berth-bench-dns-XXXXXX)
run=$(mktemp -d /run/berth-bench-dns-XXXXXX)  # berthd's exec root on tmpfs, as in production
remember_strays
pids=()
cleanup() {
  set +e
  for cli in "${docker_b:-}" "${docker_d:-}"; do
    [ -z "$cli" ] && continue
    $cli rm -f $($cli ps -aq) >/dev/null 2>&1
    $cli network rm benchdns >/dev/null 2>&1  # dockerd would leave its bridge behind
  done
  stop_daemons "$work"
  rm -rf "$work" "$run"
  remove_strays
}
trap cleanup EXIT

make_image_archive "$work"

b="$work/berthd"; mkdir -p "$b"
echo "nameserver 127.0.0.1" > "$b/resolv.conf"
echo '{"resolv-conf": "'"$b/resolv.conf"'"}' > "$b/daemon.json"
"$bin/berthd" --config-file "$b/daemon.json" --data-root "$b/data" --exec-root "$run/exec" --pidfile "$b/pid" \
  -H "unix://$b/b.sock" > "$b/log" 2>&1 & pids+=($!)
docker_b="docker -H unix://$b/b.sock"
wait_for $docker_b version
start_dockerd "$work/docker"

# setup CLI SUBNET: the network, the container looked up (web) and the one asking (client).
setup() {
  $1 load -i "$work/image.tar" > /dev/null
  $1 network create --subnet "$2" benchdns > /dev/null
  $1 run -d --name web --network benchdns --dns 127.0.0.1 berthbench sleep 100000 > /dev/null
  $1 run -d --name client --network benchdns --dns 127.0.0.1 berthbench sleep 100000 > /dev/null
  $1 cp "$bin/berth-dns-bench" client:/bin/dnsbench
  $1 exec client /bin/dnsbench web 10 > /dev/null || { echo "no embedded DNS on $1" >&2; return 1; }
}
setup "$docker_b" 10.201.7.0/24
setup "$docker_d" 10.201.8.0/24

nslookups='i=0; while [ $i -lt 1000 ]; do busybox nslookup web >/dev/null || exit 1; i=$((i+1)); done'
echo "## one run each"
echo "berthd:  $($docker_b exec client /bin/dnsbench web 1000)"
echo "dockerd: $($docker_d exec client /bin/dnsbench web 1000)"

echo "## 1000 lookups of a container name"
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$work/dns.md" --export-json "$work/dns.json" \
  -n "dnsbench x1000 (berthd)" "$docker_b exec client /bin/dnsbench web 1000" \
  -n "dnsbench x1000 (dockerd)" "$docker_d exec client /bin/dnsbench web 1000" \
  -n "nslookup x1000 (berthd)" "$docker_b exec client sh -c '$nslookups'" \
  -n "nslookup x1000 (dockerd)" "$docker_d exec client sh -c '$nslookups'"
cat "$work/dns.md"
print_medians "$work/dns.json"
