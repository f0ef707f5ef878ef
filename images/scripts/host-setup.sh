#!/usr/bin/env bash
# host-setup.sh [ARCH]: the build host's tools, all Debian packages (Debian 12 or 13 host, root),
# and for arm64 the binfmt_misc registration that lets the host run arm64 maintainer scripts.
set -euo pipefail
arch=${1:-amd64}
tools=(mmdebstrap dosfstools mtools fdisk e2fsprogs zstd eatmydata qemu-system-x86 qemu-utils openssh-client)
[ "$arch" = arm64 ] && tools+=(qemu-user-static binfmt-support arch-test qemu-system-arm)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ "$arch" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ]; then
  [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 2>/dev/null || true
  arch-test arm64 >/dev/null
fi
