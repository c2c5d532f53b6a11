#!/usr/bin/env bash
# Throwaway container engines for tests, benchmarks and `make run`.
#
#   scripts/engines.sh start  podman|docker DIR   start (idempotent), import busybox; prints the host URL
#   scripts/engines.sh stop   podman|docker DIR   stop and wait until it is gone
#   scripts/engines.sh host   podman|docker DIR   print the host URL
#   scripts/engines.sh demo   podman|docker DIR   create a few demo containers
#   scripts/engines.sh destroy podman|docker DIR  remove all containers, then stop
#   scripts/engines.sh cli    podman|docker DIR ARGS...  run the engine's own CLI against it
#   scripts/engines.sh compose podman|docker DIR ARGS... its compose (docker-compose, podman-compose)
#   scripts/engines.sh kill   podman|docker DIR   SIGKILL the service (chaos tests), no clean-up
#   scripts/engines.sh local  podman DIR ARGS...  Podman's CLI on the storage, without the service
#
# Everything (storage, run roots, sockets, logs) lives under DIR, so several engines can run side
# by side and nothing touches the machine's own engines. Settings verified on this machine kind:
# Podman needs runc + cgroupfs + explicit ulimits (no CAP_SYS_RESOURCE); dockerd runs without
# iptables or a bridge, with vfs storage. Containers use network mode `none`.
set -euo pipefail

cmd=${1:?usage: engines.sh start|stop|host|demo podman|docker DIR}
kind=${2:?engine kind}
dir=${3:?directory}
mkdir -p "$dir/$kind"
dir=$(cd "$dir" && pwd)
d="$dir/$kind"

log() { echo "engines.sh: $*" >&2; }

# SKIFF_PODMAN_LOCK_TYPE=file: the engine's container locks are files under DIR instead of the
# machine's one shared-memory segment (2048 locks for every rootful Podman). For engines whose
# storage is deleted without removing its containers (the benchmarks' 1,000): their shm locks
# would never be freed, and every Podman on the machine would then fail to create anything.
# Podman refuses a run root longer than 50 characters: long engine dirs (e.g. under
# ~/.local/share) get a short one in /tmp, derived from the dir so it is stable across restarts.
runroot() {
  if [ $(( ${#d} + 8 )) -le 50 ]; then
    echo "$d/runroot"
  else
    echo "/tmp/skiff-run-$(printf %s "$d" | md5sum | cut -c1-12)"
  fi
}

# The test registry (scripts/registry.sh) listens on this loopback port, and a fault proxy in
# front of it two ports up; Podman is told both speak plain HTTP (Docker assumes so for
# 127.0.0.0/8).
registry_port=${SKIFF_TEST_REGISTRY_PORT:-5055}

podman_env() {
  export CONTAINERS_CONF="$d/containers.conf" CONTAINERS_STORAGE_CONF="$d/storage.conf"
  export CONTAINERS_REGISTRIES_CONF="$d/registries.conf"
}

host() { echo "unix://$d/$kind.sock"; }

cli() {
  case $kind in
    podman) podman_env; podman --url "$(host)" "$@" ;;
    docker) DOCKER_API_VERSION=1.41 docker -H "$(host)" "$@" ;;
  esac
}

# The engine's compose: Debian's docker-compose (v1) on Docker, podman-compose through the
# service on Podman. Run in the project's directory.
compose() {
  case $kind in
    podman)
      # podman-compose 1.0.3 puts --podman-args after some subcommands (`network --url`):
      # a wrapper gives every call the service's URL instead.
      printf '#!/bin/sh\nexec podman --url "%s" "$@"\n' "$(host)" > "$d/podman-remote"
      chmod +x "$d/podman-remote"
      podman_env; podman-compose --podman-path "$d/podman-remote" "$@" ;;
    docker) DOCKER_HOST="$(host)" COMPOSE_API_VERSION=1.41 docker-compose "$@" ;;
  esac
}

alive() { [ -f "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; }

# What a crash leaves: the service gone at once, its pid files and socket as they were (dockerd's
# pid file is removed, or the next start would wait for it; its containerd is left running, as
# after a real crash, and the next dockerd takes it over).
kill9() {
  if alive; then
    local pid
    pid=$(cat "$d/pid")
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  fi
  # dockerd's own containerd goes down with it, as when the whole service crashes: a surviving
  # one can hold its socket while the next dockerd starts another (seen: "docker exited").
  pkill -KILL -f "containerd --config $d/" 2>/dev/null || true
  rm -f "$d/pid" "$d/docker.pid"
}

local_cli() {
  [ "$kind" = podman ] || { log "local: Podman only (Docker's CLI needs dockerd)"; exit 2; }
  podman_env
  podman --root "$d/root" --runroot "$(runroot)" --tmpdir "$d/tmp" "$@"
}

busybox_tar() {
  local tar="$dir/busybox.tar"
  if [ ! -f "$tar" ]; then
    local bb
    bb=$(command -v busybox || true)
    [ -n "$bb" ] || { log "busybox not found (apt-get install busybox-static)"; exit 3; }
    local root
    root=$(mktemp -d "$dir/rootfs.XXXX")
    mkdir -p "$root/bin" "$root/tmp"
    cp "$bb" "$root/bin/busybox"
    for c in sh sleep true false echo ls cat kill trap; do ln -sf busybox "$root/bin/$c"; done
    tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$root"
  fi
  echo "$tar"
}

# A cold start on a loaded 2-core machine (another engine starting in a parallel test, a
# release build) has been seen to take over 20 s for Podman's first answer: wait 90 s, and show
# the engine's own last lines when it never answers, so a CI log says why.
wait_socket() {
  for _ in $(seq 900); do
    if [ -S "$d/$kind.sock" ] && cli version >/dev/null 2>&1; then return 0; fi
    alive || { log "$kind exited; see $d/log"; tail -5 "$d/log" >&2; exit 1; }
    sleep 0.1
  done
  log "$kind did not answer within 90 s; see $d/log"; tail -20 "$d/log" >&2; exit 1
}

start() {
  if alive; then host; return 0; fi
  rm -f "$d/$kind.sock"
  case $kind in
    podman)
      command -v podman >/dev/null || { log "podman not installed"; exit 3; }
      cat > "$d/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
lock_type = "${SKIFF_PODMAN_LOCK_TYPE:-shm}"
[network]
network_config_dir = "$d/networks"
CONF
      cat > "$d/registries.conf" <<CONF
unqualified-search-registries = []
[[registry]]
location = "127.0.0.1:$registry_port"
insecure = true
[[registry]]
location = "127.0.0.1:$((registry_port + 2))"
insecure = true
CONF
      cat > "$d/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$d/root"
runroot = "$(runroot)"
CONF
      podman_env
      setsid podman --root "$d/root" --runroot "$(runroot)" --tmpdir "$d/tmp" \
        system service --time=0 "$(host)" >>"$d/log" 2>&1 &
      echo $! > "$d/pid"
      ;;
    docker)
      command -v dockerd >/dev/null || { log "dockerd not installed"; exit 3; }
      # dockerd refuses to start while an earlier instance's pid file exists.
      for _ in $(seq 100); do [ -f "$d/docker.pid" ] || break; sleep 0.1; done
      setsid dockerd --host "$(host)" --data-root "$d/data" --exec-root "$d/exec" \
        --pidfile "$d/docker.pid" --iptables=false --ip6tables=false --bridge=none \
        --storage-driver=vfs --default-ulimit nofile=1024:1024 --default-ulimit nproc=1000:1000 \
        --default-address-pool base=10.200.0.0/16,size=24 \
        >>"$d/log" 2>&1 &
      echo $! > "$d/pid"
      ;;
    *) log "unknown engine kind $kind"; exit 2 ;;
  esac
  wait_socket
  if ! cli image inspect busybox:latest >/dev/null 2>&1 && ! cli image inspect localhost/busybox:latest >/dev/null 2>&1; then
    cli import "$(busybox_tar)" busybox:latest >/dev/null
  fi
  host
}

stop() {
  if alive; then
    local pid
    pid=$(cat "$d/pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$d/pid"
  if [ "$kind" = docker ]; then
    for _ in $(seq 200); do [ -f "$d/docker.pid" ] || break; sleep 0.05; done
  fi
}

# Removes every container (their processes outlive a stopped Podman service), then stops.
destroy() {
  if alive; then
    local ids
    ids=$(cli ps -aq 2>/dev/null || true)
    # Podman's `rm -f` stops each container with its 10 s timeout first (busybox `sleep` as
    # PID 1 ignores SIGTERM): `-t 0` kills at once. Docker's `rm -f` already kills.
    local now=()
    [ "$kind" = podman ] && now=(-t 0)
    [ -z "$ids" ] || cli rm -f "${now[@]}" $ids >/dev/null 2>&1 || true
    # A pod's infra container is not in `ps -a`: left running, its conmon outlived the engine
    # (found after a CI run, still holding the test's storage).
    [ "$kind" = podman ] && { cli pod rm -a -f -t 0 >/dev/null 2>&1 || true; }
    # A network's bridge interface outlives its engine on the host: without this, each test that
    # creates networks leaks one, and after ~30 Docker has no address pool left.
    cli network prune -f >/dev/null 2>&1 || true
  elif [ "$kind" = podman ] && [ -d "$d/root" ]; then
    # The service is down (a test stopped or killed it) and its containers run on under conmon:
    # Podman's own CLI on the same storage removes them (found after a green CI run: one
    # container and its conmon left running in a test's directory).
    local_cli rm -a -f -t 0 >/dev/null 2>&1 || true
    local_cli pod rm -a -f -t 0 >/dev/null 2>&1 || true
  fi
  stop
  [ "$kind" = podman ] && end_exec_conmons
  unmount_leftovers
}

# What the engine mounted under DIR and did not unmount: dockerd bind-mounts its data root onto
# itself and unmounts it only on a clean exit (a test that SIGKILLs it left it, found after CI
# runs), and a container's shm outlives a service that died. Deepest first, lazily: the engine
# and its containers are gone by now.
unmount_leftovers() {
  local m
  awk -v p="$d/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}

# Each exec session leaves its conmon asleep for 5 minutes after the process ended (Podman's
# `--exit-delay 300`, so the exit code can still be read), then runs `podman container cleanup`,
# even once the container is removed. Found after a CI run: the terminal test's sessions still
# held the deleted test directory. Only conmons whose arguments name this engine's storage.
end_exec_conmons() {
  local pid args
  for pid in $(pgrep -x conmon || true); do
    args=" $(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") " || continue
    case $args in
      *" --exec-attach "*" $d/"* | *" $d/"*" --exec-attach "*) kill -KILL "$pid" 2>/dev/null || true ;;
    esac
  done
}

demo() {
  for n in web db cache; do
    cli create --name "demo-$n" --network none busybox:latest sleep 86400 >/dev/null 2>&1 || true
  done
  cli start demo-web demo-db >/dev/null 2>&1 || true
}

case $cmd in
  start) start ;;
  stop) stop ;;
  destroy) destroy ;;
  host) host ;;
  demo) demo ;;
  cli) shift 3; cli "$@" ;;
  compose) shift 3; compose "$@" ;;
  kill) kill9 ;;
  local) shift 3; local_cli "$@" ;;
  *) log "unknown command $cmd"; exit 2 ;;
esac
