#!/usr/bin/env bash
# berth-runtime vs runc on the same bundle: `run` of /bin/true (create + start + wait + delete).
# Medians over repeated runs (hyperfine).
# Usage: bench/runtime.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-50}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
work=$(mktemp -d /tmp/berth-bench-XXXXXX)
state=$(mktemp -d /run/berth-bench-XXXXXX)  # runtimes keep state on tmpfs (/run), as in production
trap 'rm -rf "$work" "$state"' EXIT

make_bundle "$work/bundle" '["/bin/true"]'
cd "$work/bundle"

out="$work/result.md"
hyperfine -N --warmup 5 --runs "$runs" --export-markdown "$out" --export-json "$work/result.json" \
  -n berth-runtime "$berth --root $state/berth run bench-true" \
  -n runc "$runc --root $state/runc run bench-true"
cat "$out"
print_medians "$work/result.json"
