#!/bin/sh
# Installs the tools the bob transfer benchmark compares against (packages/bob/bench):
# magic-wormhole (Python), its mailbox server and transit relay, wormhole-william (Go), socat
# (the raw-copy forwarder) and util-linux/iproute2 (the benchmark's private network namespace).
# Debian/Ubuntu only; run as root (or through sudo). Safe to run again.
set -eu
PACKAGES="magic-wormhole python3-magic-wormhole-mailbox-server magic-wormhole-transit-relay wormhole-william socat time util-linux iproute2"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-wormhole.sh: apt-get not found; install these Debian packages by hand: $PACKAGES" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $PACKAGES
for tool in wormhole wormhole-william socat twist3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-wormhole.sh: $tool is still missing" >&2; exit 1; }
done
echo "install-wormhole.sh: magic-wormhole, wormhole-william, the mailbox server, the transit relay and socat are installed"
