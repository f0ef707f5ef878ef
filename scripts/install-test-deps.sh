#!/usr/bin/env bash
# Installs the real programs the test suites run against (Debian packages). Needs root.
# dhtnode and python3-opendht: OpenDHT 2.4.12 peers for the DHT and discovery interop tests;
# coturn: the TURN server the TURN monitor probes; iproute2: network namespaces for multicast tests;
# chromium: the status-page test drives it through playwright-core; systemd: its systemd-notify
# command, which the appliance spawns and its tests check against a fake notify socket;
# prometheus: its promtool checks the appliance's /metrics.
# bind9-dnsutils (dig) and dnsmasq: the Jami DNS tests ask with a real resolver client and forward
# to a real upstream resolver; nftables: the zero-config e2e test counts a device's DHT datagrams.
# jami-daemon (jamid) and dbus-daemon: the e2e workspace runs real Jami devices, each on its own bus.
set -euo pipefail
packages=(dhtnode python3-opendht coturn iproute2 chromium procps systemd python3 prometheus bind9-dnsutils dnsmasq nftables jami-daemon dbus-daemon)
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
