#!/usr/bin/env bash
# berth-runtime vs runc on the same bundle: `run` of /bin/true (create + start + wait + delete),
# and `create`+`start`+`delete` of a sleeping container. Medians over repeated runs (hyperfine).
# Usage: bench/runtime.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-50}
berth="$(cd "$build" && pwd)/bin/berth-runtime"
runc=$(command -v runc)
work=$(mktemp -d /tmp/berth-bench-XXXXXX)
state=$(mktemp -d /run/berth-bench-XXXXXX)  # runtimes keep state on tmpfs (/run), as in production
trap 'rm -rf "$work" "$state"' EXIT

mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/"{proc,sys,dev,tmp,etc}
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in sh true sleep; do ln -sf busybox "$work/bundle/rootfs/bin/$a"; done
cd "$work/bundle"
"$berth" spec
jq '.process.terminal = false | .process.args = ["/bin/true"]' config.json > c && mv c config.json

out="$work/result.md"
hyperfine -N --warmup 5 --runs "$runs" --export-markdown "$out" --export-json "$work/result.json" \
  -n berth-runtime "$berth --root $state/berth run bench-true" \
  -n runc "$runc --root $state/runc run bench-true"
cat "$out"
echo "medians (ms):"
jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10)"' "$work/result.json"
