#!/usr/bin/env bash
# `make demo`: the engine end to end. Starts berthd on the default socket unless one already
# answers there, imports a busybox image made from Debian's busybox-static, runs a container
# through berthd and its berth-shim, lists containers and images, and stops the berthd it
# started (a --rm container leaves no mount, cgroup or process behind).
set -euo pipefail
build=${1:-build}
bin="$(cd "$build" && pwd)/bin"
berth="$bin/berth"
sock=/run/berth/berthd.sock
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (namespaces, cgroups, mounts)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "make demo needs /bin/busybox (Debian package busybox-static)" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-demo-XXXXXX)
started=""
cleanup() {
  if [ -n "$started" ]; then
    kill -TERM "$started" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$started" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$started" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export BERTH_HOST="unix://$sock"

if "$berth" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  echo "+ using the berthd that answers on $sock"
else
  echo "+ berthd (log: $work/berthd.log)"
  "$bin/berthd" >"$work/berthd.log" 2>&1 &
  started=$!
  for _ in $(seq 100); do
    "$berth" version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    kill -0 "$started" 2>/dev/null || { cat "$work/berthd.log" >&2; started=""; exit 1; }
    sleep 0.1
  done
fi

# A root filesystem: the static busybox and its applet links, /etc/passwd and /etc/group.
root="$work/rootfs"
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
tar -C "$root" -cf "$work/busybox.tar" .

echo "+ berth import busybox.tar busybox"
"$berth" import "$work/busybox.tar" busybox
echo "+ berth run --rm busybox echo hello from berth"
"$berth" run --rm busybox echo hello from berth
echo "+ berth ps -a"
"$berth" ps -a
echo "+ berth images"
"$berth" images
