#!/usr/bin/env bash
# Installs the real programs the test suites run against (Debian packages). Needs root.
# One package per line, with the tests that need it (keeps merges of new suites trivial).
set -euo pipefail
packages=(
  dhtnode          # OpenDHT 2.4.12 peers for the DHT, discovery and proxy interop tests
  python3-opendht  # OpenDHT 2.4.12 python bindings (secure node, encrypted values)
  python3
  coturn           # the TURN server the TURN monitor probes and the e2e devices relay through
  iproute2         # network namespaces and bridges for multicast, multi-box and e2e tests
  chromium         # the status-page test drives it through playwright-core
  procps
  systemd          # its systemd-notify command, which the appliance spawns
  prometheus       # promtool checks the appliance's /metrics
  jami-daemon      # jamid: the e2e workspace runs real Jami devices
  dbus-daemon      # one private bus per Jami device
  bind9-dnsutils   # dig: the Jami DNS tests ask with a real resolver client
  dnsmasq          # a real upstream resolver the Jami DNS responder forwards to
  nftables         # the zero-config e2e test counts a device's DHT datagrams
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian packages enable their own services; tests start their own instances on free ports,
# so stop any copy the package started (systemd is usually absent in CI containers).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now dhtnode.service coturn.service dnsmasq.service nftables.service prometheus.service prometheus-node-exporter.service >/dev/null 2>&1 || true
fi
