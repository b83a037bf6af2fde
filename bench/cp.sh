#!/usr/bin/env bash
# docker cp of a 100 MB tree (10 directories of 100 files of 100 KB), into a container and back
# out, with the stock docker client against berthd and against dockerd (overlay2, runc).
# Private daemons on unix sockets in a temp dir, no networking.
# Usage: bench/cp.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-10}
source "$(dirname "$0")/lib.sh"
bin=$(cd "$build" && pwd)/bin
bench_setup cp

make_image_archive "$work"
tree="$work/tree"
for d in $(seq 10); do
  mkdir -p "$tree/d$d"
  for f in $(seq 100); do head -c 102400 /dev/urandom > "$tree/d$d/f$f"; done
done
echo "tree: $(du -sh "$tree" | cut -f1) in $(find "$tree" -type f | wc -l) files"

start_berthd "$bin"
$docker_b load -i "$work/image.tar" > /dev/null
start_dockerd "$work/docker"
$docker_d load -i "$work/image.tar" > /dev/null
for d in "$docker_b" "$docker_d"; do $d create --name cpb berthbench sleep 1000 > /dev/null; done

echo "## docker cp of the tree into a container, then out of it"
# Into a directory that is replaced each run; out to a fresh host directory each run.
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$work/cp.md" --export-json "$work/cp.json" \
  -n "cp in (berthd)" "$docker_b cp $tree cpb:/" \
  -n "cp in (dockerd)" "$docker_d cp $tree cpb:/" \
  -n "cp out (berthd)" "$docker_b cp cpb:/tree $work/out-b" \
  -n "cp out (dockerd)" "$docker_d cp cpb:/tree $work/out-d" \
  --prepare "rm -rf $work/out-b $work/out-d"
cat "$work/cp.md"
print_medians "$work/cp.json"
