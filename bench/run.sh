#!/usr/bin/env bash
# `make bench`: every side-by-side benchmark; results go in BENCHMARKS.md by hand.
set -euo pipefail
build=${1:-build}
dir=$(cd "$(dirname "$0")" && pwd)
for b in "$dir"/runtime.sh "$dir"/peers.sh "$dir"/engine.sh "$dir"/cgroup.sh "$dir"/image.sh; do
  [ -x "$b" ] && "$b" "$build"
done
