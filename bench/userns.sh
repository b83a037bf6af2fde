#!/usr/bin/env bash
# userns-remap's cost: `docker run --rm` against two private berthds on the same one-layer
# busybox image, one with "userns-remap": "default" (idmapped layers, a user namespace per
# container), one without. dockremap is removed again if this script made it.
# Usage: bench/userns.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-20}
source "$(dirname "$0")/lib.sh"
bin=$(cd "$build" && pwd)/bin
bench_setup userns
had_user=$(getent passwd dockremap >/dev/null && echo yes || echo no)
extra_cleanup='if [ "$had_user" = no ] && getent passwd dockremap >/dev/null; then userdel dockremap; sed -i "/^dockremap:/d" /etc/subuid /etc/subgid; fi'
chmod 711 "$work"  # the remapped root passes through it to its bundle, as through /var/lib
make_image_archive "$work"
start_berthd "$bin"
r=$work/remap; mkdir -p "$r"; echo '{"userns-remap": "default"}' > "$r/daemon.json"
"$bin/berthd" --config-file "$r/daemon.json" --data-root "$r/data" --exec-root "$run/exec-remap" \
  --pidfile "$r/pid" -H "unix://$r/r.sock" > "$r/log" 2>&1 & pids+=($!)
docker_r="docker -H unix://$r/r.sock"
wait_for $docker_r version
$docker_b load -i "$work/image.tar" > /dev/null
$docker_r load -i "$work/image.tar" > /dev/null
$docker_r run --rm berthbench sh -c 'cat /proc/self/uid_map'

hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/userns.md" --export-json "$work/userns.json" \
  -n "run --rm --network none (berthd)" "$docker_b run --rm --network none berthbench true" \
  -n "run --rm --network none, userns-remap (berthd)" "$docker_r run --rm --network none berthbench true"
cat "$work/userns.md"
print_medians "$work/userns.json"
