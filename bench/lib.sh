# Shared by the bench scripts (source it): the two runtimes, a busybox root filesystem and
# bundle, and the medians of a hyperfine JSON export.

# bench_binaries BUILD_DIR: sets $berth and $runc.
bench_binaries() {
  berth="$(cd "$1" && pwd)/bin/berth-runtime"
  runc=$(command -v runc)
}

# make_busybox_rootfs DIR: a static busybox with sh, true and sleep.
make_busybox_rootfs() {
  mkdir -p "$1/bin" "$1/"{proc,sys,dev,tmp,etc}
  cp /bin/busybox "$1/bin/busybox"
  for a in sh true sleep; do ln -sf busybox "$1/bin/$a"; done
}

# make_bundle DIR ARGS_JSON: rootfs plus berth-runtime's default config running ARGS, no terminal.
make_bundle() {
  make_busybox_rootfs "$1/rootfs"
  (cd "$1" && "$berth" spec &&
    jq --argjson args "$2" '.process.terminal = false | .process.args = $args' config.json > c && mv c config.json)
}

# print_medians RESULT_JSON
print_medians() {
  echo "medians (ms):"
  jq -r '.results[] | "  \(.command): \(.median * 1000 | . * 10 | round / 10)"' "$1"
}
