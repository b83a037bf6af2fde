#!/usr/bin/env bash
# berth-runtime vs runc on a running container: `update` (memory, cpu quota, pids limit) and
# `pause` + `resume`. Medians over repeated runs (hyperfine).
# Usage: bench/cgroup.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-100}
source "$(dirname "$0")/lib.sh"
bench_binaries "$build"
work=$(mktemp -d /tmp/berth-bench-XXXXXX)
state=$(mktemp -d /run/berth-bench-XXXXXX)  # runtimes keep state on tmpfs (/run), as in production
id=bench-cg-$$
cleanup() {
  "$berth" --root "$state/berth" delete --force "$id" >/dev/null 2>&1 || true
  "$runc" --root "$state/runc" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work" "$state"
}
trap cleanup EXIT

make_bundle "$work/bundle" '["/bin/sleep", "100000"]'
cd "$work/bundle"

for rt in berth runc; do
  bin=$berth; [ $rt = runc ] && bin=$runc
  "$bin" --root "$state/$rt" create --bundle "$work/bundle" "$id" </dev/null >/dev/null
  "$bin" --root "$state/$rt" start "$id"
done

upd=(update --memory 67108864 --memory-swap 134217728 --cpu-quota 20000 --cpu-period 100000 --pids-limit 100 "$id")
out="$work/result.md"
hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$out" \
  -n "berth-runtime update" "$berth --root $state/berth ${upd[*]}" \
  -n "runc update" "$runc --root $state/runc ${upd[*]}"
cat "$out"
# Changing values each time: both updates rewrite the container's state file.
hyperfine --shell=none --warmup 10 --runs "$runs" --export-markdown "$out" \
  -n "berth-runtime update x2 (changing)" "sh -c '$berth --root $state/berth update --pids-limit 101 $id && $berth --root $state/berth update --pids-limit 102 $id'" \
  -n "runc update x2 (changing)" "sh -c '$runc --root $state/runc update --pids-limit 101 $id && $runc --root $state/runc update --pids-limit 102 $id'"
cat "$out"
# pause and resume alternate, so one measured command does both (the shell costs the same for both).
hyperfine --shell=none --warmup 10 --runs "$runs" --export-markdown "$out" \
  -n "berth-runtime pause+resume" "sh -c '$berth --root $state/berth pause $id && $berth --root $state/berth resume $id'" \
  -n "runc pause+resume" "sh -c '$runc --root $state/runc pause $id && $runc --root $state/runc resume $id'"
cat "$out"
