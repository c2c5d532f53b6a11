#!/usr/bin/env bash
# A throwaway image registry (Debian's docker-registry, the CNCF distribution registry) on
# loopback, for the pull tests.
#
#   scripts/registry.sh start DIR PORT   start (idempotent); prints host:port
#   scripts/registry.sh stop  DIR        stop it and wait until it is gone
#
# Its storage and config live under DIR. Docker treats 127.0.0.0/8 registries as insecure by
# default; the test Podman is told so in its registries.conf (scripts/engines.sh).
set -euo pipefail

cmd=${1:?usage: registry.sh start|stop DIR [PORT]}
dir=${2:?directory}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

alive() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

case $cmd in
  start)
    port=${3:?port}
    if ! alive; then
      command -v docker-registry >/dev/null || { echo "registry.sh: docker-registry not installed" >&2; exit 3; }
      cat > "$dir/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CONF
      setsid docker-registry serve "$dir/config.yml" >>"$dir/log" 2>&1 &
      echo $! > "$dir/pid"
    fi
    for _ in $(seq 100); do
      curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && { echo "127.0.0.1:$port"; exit 0; }
      sleep 0.1
    done
    echo "registry.sh: no answer on 127.0.0.1:$port; see $dir/log" >&2; tail -5 "$dir/log" >&2; exit 1
    ;;
  stop)
    if alive; then
      pid=$(cat "$dir/pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/pid"
    ;;
  *) echo "registry.sh: unknown command $cmd" >&2; exit 2 ;;
esac
