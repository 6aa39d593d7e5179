#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) for minicluster development and use: the system
# packages it needs, the npm dependencies (better-sqlite3 compiles from source, ~90 s), and the
# single executable dist/minicluster.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubectl)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# The Docker engine runs the node containers; debootstrap builds the node image's root filesystem.
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
[ -x /usr/sbin/debootstrap ] || command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
# Tests build their workload images from Debian's static busybox (images/test/), never pulling.
dpkg -s busybox-static >/dev/null 2>&1 || need_apt+=(busybox-static)
# The DNS benchmark from inside a pod (`npm run bench -- dns-pod`) loads the cluster DNS with dnsperf.
command -v dnsperf >/dev/null 2>&1 || need_apt+=(dnsperf)
# The service proxy's kernel test clears UDP conntrack entries as the nodes do.
command -v conntrack >/dev/null 2>&1 || need_apt+=(conntrack)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
./scripts/docker-engine.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund
fi
echo "setup: building dist/minicluster"
npm run --silent build
