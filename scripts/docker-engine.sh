#!/usr/bin/env bash
# Makes sure a Docker engine answers (as root): does nothing when `docker info` already works,
# else starts one — through systemd when it runs the machine, otherwise dockerd in the
# background with its log in /var/log/dockerd.log — and waits up to 30 s for it. Idempotent.
# DOCKER_PIDFILE and DOCKERD_LOG override /var/run/docker.pid and the log path.
set -euo pipefail
pidfile=${DOCKER_PIDFILE:-/var/run/docker.pid}
log=${DOCKERD_LOG:-/var/log/dockerd.log}

if docker info >/dev/null 2>&1; then
  echo "docker-engine: the Docker engine is running"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker-engine: dockerd is not installed (apt-get install docker.io)" >&2
  exit 1
fi
if ! command -v docker >/dev/null 2>&1; then
  echo "docker-engine: the docker client is not installed (apt-get install docker.io)" >&2
  exit 1
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  echo "docker-engine: starting the Docker engine (systemctl start docker)"
  systemctl start docker
else
  # A dockerd that is still starting (or stuck) owns its pid file: wait for it rather than start a second one.
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/cmdline" 2>/dev/null; then
    echo "docker-engine: dockerd (pid $pid) is starting; waiting for it"
  else
    echo "docker-engine: starting dockerd in the background (log: $log)"
    setsid dockerd >>"$log" 2>&1 </dev/null &
    started=$!
  fi
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker-engine: the Docker engine is running"
    exit 0
  fi
  if [ -n "${started:-}" ] && ! kill -0 "$started" 2>/dev/null; then
    echo "docker-engine: dockerd exited; the end of $log:" >&2
    tail -n 5 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "docker-engine: the Docker engine did not answer within 30 s; see $log" >&2
exit 1
