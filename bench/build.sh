#!/usr/bin/env bash
# docker build (classic builder, DOCKER_BUILDKIT=0) of a two-stage Dockerfile on busybox
# (2 RUNs, 3 COPYs, 2 WORKDIRs and metadata steps: 19 steps), cold (--no-cache), fully
# cached, and after one changed file (the rebuild runs from its COPY on), with the stock docker client against berthd and against dockerd (overlay2, runc).
# Private daemons on unix sockets in a temp dir; RUN without a network on both.
# Usage: bench/build.sh [build-dir] [runs]
set -euo pipefail
build=${1:-build}
runs=${2:-10}
source "$(dirname "$0")/lib.sh"
bin=$(cd "$build" && pwd)/bin
work=$(mktemp -d /tmp/berth-bench-build-XXXXXX)
run=$(mktemp -d /run/berth-bench-build-XXXXXX)
remember_strays
pids=()
cleanup() {
  set +e
  stop_daemons "$work"
  rm -rf "$work" "$run"
  remove_strays
}
trap cleanup EXIT

make_image_archive "$work"
ctx="$work/ctx"
mkdir -p "$ctx/conf"
printf '#!/bin/sh\necho app\n' > "$ctx/app.sh"
printf 'setting=1\n' > "$ctx/conf/x.conf"
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM berthbench AS builder
ARG GREETING=hello
WORKDIR /src
COPY app.sh ./
RUN chmod 755 app.sh && echo "$GREETING from build" > built.txt

FROM berthbench
LABEL org.example.name="demo app" version=1
ENV APP_HOME=/app PATH=/app/bin:/bin
RUN echo "appuser:x:1234:1234::/app:/bin/sh" >> /etc/passwd
WORKDIR $APP_HOME
COPY --from=builder /src/ ./src/
COPY --chown=1234:1234 conf/ conf/
VOLUME /data
EXPOSE 8080 53/udp
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=30s --timeout=3s CMD true
USER appuser
ENTRYPOINT ["/app/src/app.sh"]
CMD ["--serve"]
DOCKERFILE

b="$work/berthd"; mkdir -p "$b"; echo '{}' > "$b/daemon.json"
"$bin/berthd" --config-file "$b/daemon.json" --data-root "$b/data" --exec-root "$run/exec" --pidfile "$b/pid" \
  -H "unix://$b/b.sock" > "$b/log" 2>&1 & pids+=($!)
docker_b="docker -H unix://$b/b.sock"
wait_for $docker_b version
$docker_b load -i "$work/image.tar" > /dev/null
start_dockerd "$work/docker"
$docker_d load -i "$work/image.tar" > /dev/null
export DOCKER_BUILDKIT=0
for d in "$docker_b" "$docker_d"; do $d build -q --network none -t bench:1 "$ctx" > /dev/null; done

echo "## docker build, cold (--no-cache) and fully cached"
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$work/build.md" --export-json "$work/build.json" \
  -n "cold (berthd)" "$docker_b build -q --no-cache --network none -t bench:1 $ctx" \
  -n "cold (dockerd)" "$docker_d build -q --no-cache --network none -t bench:1 $ctx" \
  -n "cached (berthd)" "$docker_b build -q --network none -t bench:1 $ctx" \
  -n "cached (dockerd)" "$docker_d build -q --network none -t bench:1 $ctx"
cat "$work/build.md"
print_medians "$work/build.json"

echo "## docker build after one changed file (conf/x.conf: the steps from its COPY on rerun)"
hyperfine -N --warmup 1 --runs "$runs" --prepare "sh -c 'date +%N > $ctx/conf/x.conf'" \
  --export-markdown "$work/changed.md" --export-json "$work/changed.json" \
  -n "one file changed (berthd)" "$docker_b build -q --network none -t bench:1 $ctx" \
  -n "one file changed (dockerd)" "$docker_d build -q --network none -t bench:1 $ctx"
cat "$work/changed.md"
print_medians "$work/changed.json"
