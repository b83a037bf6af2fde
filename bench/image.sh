#!/usr/bin/env bash
# Image benchmarks (hyperfine, medians over repeated runs):
#   pull: a multi-layer image from a local docker-registry, berth (download + verify + unpack)
#         vs `skopeo copy` to a local dir (download + verify only);
#   load: a docker-archive into berth vs `docker load` into a private dockerd (overlay2).
# usage: bench/image.sh [build-dir]   (as root; needs docker-registry, skopeo, dockerd, hyperfine)
set -euo pipefail
BUILD=${1:-build}
BIN=$(realpath "$BUILD/bin/berth-image-bench")
RUNS=${RUNS:-10}
LAYERS=${LAYERS:-4}
MIB=${MIB:-8}
OUT=${OUT:-$(dirname "$0")/results}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
T=$(mktemp -d /tmp/berth-bench-image-XXXXXX)
REG_PID= DOCKERD_PID=
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null || true
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  grep -o " $T[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 30000)); port_open "$p" || { echo "$p"; return; }; done; }
wait_for() { for _ in $(seq 300); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "timeout: $1" >&2; exit 1; }

# A busybox root filesystem plus LAYERS layers of MIB MiB incompressible data each.
mkdir -p "$T/rootfs/bin" "$T/rootfs/etc"
cp /bin/busybox "$T/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$T/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$T/rootfs/etc/passwd"
"$BIN" build "$T/seed-store" "$T/rootfs" bench/img:1 "$LAYERS" "$MIB" >/dev/null
"$BIN" save "$T/seed-store" bench/img:1 "$T/img.tar"
echo "image: $((LAYERS + 1)) layers, $(du -m "$T/img.tar" | cut -f1) MiB archive"

# Local registry, seeded by skopeo (layers gzip-compressed on the way in).
PORT=$(free_port)
mkdir -p "$T/registry"
cat > "$T/registry/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry/data
http:
  addr: 127.0.0.1:$PORT
YML
docker-registry serve "$T/registry/config.yml" >"$T/registry/log" 2>&1 &
REG_PID=$!
wait_for "port_open $PORT"
REF=127.0.0.1:$PORT/bench/img:1
skopeo copy -q --dest-tls-verify=false "docker-archive:$T/img.tar" "docker://$REF"

hyperfine --style basic --warmup 1 --runs "$RUNS" \
  --prepare "rm -rf $T/pull-store $T/skopeo-dir; sync" \
  --command-name "berth pull" "$BIN pull $T/pull-store $REF" \
  --command-name "skopeo copy docker:// dir:" "skopeo copy -q --src-tls-verify=false docker://$REF dir:$T/skopeo-dir" \
  --export-markdown "$OUT/image-pull.md" --export-json "$OUT/image-pull.json"

# A private dockerd for `docker load`.
mkdir -p "$T/docker/data" "$T/docker/exec"
dockerd --data-root "$T/docker/data" --exec-root "$T/docker/exec" --pidfile "$T/docker/pid" \
  -H "unix://$T/docker/sock" --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
  >"$T/docker/log" 2>&1 &
DOCKERD_PID=$!
D="docker -H unix://$T/docker/sock"
wait_for "$D version"

hyperfine --style basic --warmup 1 --runs "$RUNS" \
  --prepare "rm -rf $T/load-store; $D rmi -f bench/img:1 >/dev/null 2>&1 || true; sync" \
  --command-name "berth load" "$BIN load $T/load-store $T/img.tar" \
  --command-name "docker load" "$D load -q -i $T/img.tar" \
  --export-markdown "$OUT/image-load.md" --export-json "$OUT/image-load.json"
echo "medians (for BENCHMARKS.md):"
for f in "$OUT/image-pull.json" "$OUT/image-load.json"; do
  jq -r '.results[] | "  \(.command): median \(.median*1000|floor) ms (mean \(.mean*1000|floor) ± \(.stddev*1000|floor), \(.times|length) runs)"' "$f"
done
