#!/usr/bin/env bash
# `make demo`: builds a busybox root filesystem and runs a container in it with berth-runtime.
set -euo pipefail
build=${1:-build}
rt="$(cd "$build" && pwd)/bin/berth-runtime"
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (namespaces, cgroups, mounts)" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-demo-XXXXXX)
trap '"$rt" --root "$work/state" delete --force demo >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$work/bundle/rootfs/bin/$applet"
done
mkdir -p "$work/bundle/rootfs/"{proc,sys,dev,etc,tmp}
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/bundle/rootfs/etc/passwd"
echo 'root:x:0:' > "$work/bundle/rootfs/etc/group"

cd "$work/bundle"
"$rt" spec
# Not a terminal session: print what a container sees, then exit.
jq '.process.terminal = false | .process.args = ["sh", "-c",
  "echo hello from a berth container; echo hostname: $(hostname); echo pid: $$; echo id: $(id); echo processes:; ps"]' \
  config.json > config.json.new && mv config.json.new config.json
echo "+ berth-runtime run demo"
"$rt" --root "$work/state" run demo
