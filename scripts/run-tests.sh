#!/usr/bin/env bash
# `make test`: the whole suite of the normal build, and the parser libraries' unit tests again
# under ASan+UBSan. The sanitizer build (nice 19) compiles while the suite runs: the suite is
# mostly waiting on containers, and CI has two cores and a time limit.
set -uo pipefail
build=$1 asan=$2 jobs=$3
shift 3
units=("$@")

cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=Asan -DBERTH_UNITY=ON >/dev/null || exit 1
nice -n 19 cmake --build "$asan" -j "$jobs" --target "${units[@]}" >"$asan/build.log" 2>&1 &
asan_build=$!

(cd "$build" && ctest -j "$jobs" --output-on-failure --timeout 300)
suite=$?

if ! wait "$asan_build"; then
  echo "the ASan build failed:" >&2
  tail -50 "$asan/build.log" >&2
  exit 1
fi
(cd "$asan" && ASAN_OPTIONS=detect_leaks=1 ctest -L unit -j "$jobs" --output-on-failure)
sanitized=$?
[ "$suite" -eq 0 ] && [ "$sanitized" -eq 0 ]
