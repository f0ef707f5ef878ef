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
  mmdebstrap       # images/: builds the Debian 13 image (test/image-boot.test.ts) …
  dosfstools       # … its FAT partition (mkfs.vfat -C)
  mtools           # … files into the FAT partition without mounting (mcopy)
  fdisk            # … the MBR (sfdisk on a plain file)
  e2fsprogs        # … the root partition (mkfs.ext4 -d) and debugfs checks of its contents
  zstd             # … compressed images
  eatmydata        # … faster mmdebstrap
  qemu-system-x86  # … boots the amd64 image (software emulation)
  qemu-utils
  openssh-client   # … the test-only SSH key logs into the booted image
  qemu-user-static # images/test/arm64-user.test.ts: the arm64 bundle under Debian's arm64 node
  binfmt-support   # images/build.sh arm64: maintainer scripts of the arm64 rootfs
  arch-test
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
  systemctl disable --now dhtnode.service coturn.service prometheus.service prometheus-node-exporter.service >/dev/null 2>&1 || true
fi
