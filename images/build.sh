#!/usr/bin/env bash
# The one command: builds the lanbox image for ARCH (arm64 = Raspberry Pi 3/4/Zero 2 W, amd64 =
# a VM or CI) into OUTDIR (default images/out). Run as root from a checkout after `npm ci`.
#
#   sudo images/build.sh arm64            → images/out/lanbox-arm64.img.zst (+ .sha256, .manifest)
#   sudo images/build.sh amd64 --no-compress
#
# Steps: host tools (Debian packages) → appliance bundle + boot helpers (esbuild) → Debian 13
# rootfs (mmdebstrap, cached by its inputs in images/.cache) → image (no loop devices) → zstd.
set -euo pipefail
arch=${1:?usage: build.sh amd64|arm64 [OUTDIR] [--no-compress]}
shift
outdir=""
compress=yes
for a in "$@"; do
  case "$a" in
    --no-compress) compress=no ;;
    *) outdir=$a ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
outdir=${outdir:-$here/out}
cache=${LANBOX_IMAGE_CACHE:-$here/.cache}
mkdir -p "$outdir" "$cache"
[ "$(id -u)" = 0 ] || { echo "build.sh must run as root (mmdebstrap, file ownership in the image)" >&2; exit 1; }
t0=$(date +%s)
step() { echo "== $1 ($(( $(date +%s) - t0 )) s)" >&2; }

step "host tools"
"$here/scripts/host-setup.sh" "$arch"

step "appliance bundle and boot helpers"
node "$repo/appliance/build.mjs" >&2
node "$here/build.mjs"

# The rootfs depends only on these inputs (and the Debian archive): reuse it while they are unchanged.
key=$(cat "$here/packages.common" "$here/packages.$arch" "$here/scripts/build-rootfs.sh" | sha256sum | cut -c1-16)
rootfs=$cache/rootfs-$arch-$key.tar
if [ -s "$rootfs" ] && [ -s "$rootfs.packages" ] && [ -s "$rootfs.sources" ]; then
  step "rootfs: cached $rootfs"
else
  step "rootfs: building (amd64 ~1-3 min, arm64 ~10-15 min under qemu-user)"
  rm -f "$cache"/rootfs-"$arch"-*.tar*
  "$here/scripts/build-rootfs.sh" "$arch" "$rootfs.partial" "$cache/debs-$arch"
  mv "$rootfs.partial" "$rootfs"
  mv "$rootfs.partial.packages" "$rootfs.packages"
  mv "$rootfs.partial.sources" "$rootfs.sources"
fi

step "image"
img=$outdir/lanbox-$arch.img
"$here/scripts/build-image.sh" "$arch" "$rootfs" "$img"
if [ "$compress" = yes ]; then
  step "compress"
  zstd -q -f -T0 -10 --rm "$img" -o "$img.zst"
  (cd "$outdir" && sha256sum "lanbox-$arch.img.zst" > "lanbox-$arch.img.zst.sha256")
fi
step "done"
ls -l "$outdir"/lanbox-"$arch".* >&2
