#!/usr/bin/env bash
# Installs Prometheus and promtool from Debian's `prometheus` package, for the monitoring tests
# (packages/monitoring/test/promtool.test.ts and prometheus.e2e.test.ts). Idempotent: does
# nothing when both binaries are already on PATH. Needs root (or passwordless sudo) for apt-get.
#
# Only the binaries are wanted: the package's systemd unit is not started (CI has no systemd;
# the e2e test starts its own Prometheus on a free port with a temporary config and data dir).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "prometheus and promtool already installed: $(prometheus --version 2>&1 | head -n 1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-prometheus.sh: need root or sudo to run apt-get" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 keeps the package's post-install script from starting the service.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  CREATED_POLICY=1
fi
cleanup() { if [ "$CREATED_POLICY" -eq 1 ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null

command -v prometheus >/dev/null 2>&1 || { echo "prometheus not on PATH after install" >&2; exit 1; }
command -v promtool >/dev/null 2>&1 || { echo "promtool not on PATH after install" >&2; exit 1; }
echo "installed: $(prometheus --version 2>&1 | head -n 1)"
