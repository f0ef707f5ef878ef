#!/usr/bin/env bash
# build-rootfs.sh ARCH OUT.tar [CACHE_DIR]
# Debian 13 root filesystem for the lanbox image, as a tarball, built by mmdebstrap from Debian
# packages only. .debs are kept in CACHE_DIR between runs (the second build downloads nothing
# that did not change). Writes OUT.tar.packages (name=version of every installed package) and
# OUT.tar.sources (mirror, suite and the Release date of the archive state used).
# Set LANBOX_SNAPSHOT=20260101T000000Z to build from snapshot.debian.org instead of the mirror
# (the pinned, reproducible input); LANBOX_MIRROR overrides the mirror.
set -euo pipefail
arch=${1:?usage: build-rootfs.sh amd64|arm64 OUT.tar [CACHE_DIR]}
out=${2:?usage: build-rootfs.sh ARCH OUT.tar [CACHE_DIR]}
cache=${3:-$(dirname "$out")/debs-$arch}
here=$(cd "$(dirname "$0")/.." && pwd)
suite=trixie
if [ -n "${LANBOX_SNAPSHOT:-}" ]; then
  mirror="http://snapshot.debian.org/archive/debian/$LANBOX_SNAPSHOT"
else
  mirror=${LANBOX_MIRROR:-http://deb.debian.org/debian}
fi
case "$arch" in
  amd64) components="main" ;;
  # raspi-firmware and firmware-brcm80211 are in non-free-firmware
  arm64) components="main non-free-firmware" ;;
  *) echo "unknown arch $arch (amd64 or arm64)" >&2; exit 2 ;;
esac
pkgs=$(cat "$here/packages.common" "$here/packages.$arch" | sed 's/#.*//' | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# Foreign architectures run their maintainer scripts under qemu-user through binfmt_misc, which
# the build host may not have mounted.
if [ "$arch" != "$(dpkg --print-architecture)" ]; then
  [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 2>/dev/null || true
  arch-test "$arch" >/dev/null || { echo "cannot run $arch binaries: install qemu-user-static binfmt-support" >&2; exit 1; }
fi

# Excluded at dpkg level, and the exclusions stay in the image so later upgrades keep them out.
excludes=()
for p in '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' '/usr/share/locale/*' '/usr/share/lintian/*' '/usr/share/linda/*'; do
  excludes+=(--dpkgopt="path-exclude=$p")
done
excludes+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')

hooks=(
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives'
  --setup-hook="sync-in $cache /var/cache/apt/archives"
  # No Recommends now or later (apt run on the box would pull apparmor, docs…).
  --setup-hook='mkdir -p "$1"/etc/apt/apt.conf.d && printf "APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\n" > "$1"/etc/apt/apt.conf.d/99-no-recommends'
  # Small, fast initrds (zstd) holding the modules that find the root partition by label.
  --setup-hook='mkdir -p "$1"/etc/initramfs-tools/conf.d && printf "COMPRESS=zstd\nMODULES=most\n" > "$1"/etc/initramfs-tools/conf.d/lanbox.conf'
  --customize-hook="sync-out /var/cache/apt/archives $cache"
  # Pi: root by label (cmdline.txt), so the same card boots from SD or USB. The file is a conffile
  # of raspi-firmware, so it is edited after installation (a file created before makes dpkg ask),
  # then the firmware hook runs again to rewrite /boot/firmware (it only acts for "configure").
  --customize-hook='if [ -e "$1"/etc/default/raspi-firmware ]; then echo "ROOTPART=LABEL=LANBOXROOT" >> "$1"/etc/default/raspi-firmware; chroot "$1" env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware "$(ls "$1"/lib/modules | sort -V | tail -n 1)"; fi'
  --customize-hook='chroot "$1" dpkg-query -W -f="\${Package}=\${Version}\n" > "$1"/tmp/lanbox-packages'
  --customize-hook="copy-out /tmp/lanbox-packages $(dirname "$out")"
  --customize-hook='sed -n "s/^Date: //p" "$1"/var/lib/apt/lists/*_InRelease | head -n 1 > "$1"/tmp/lanbox-release-date'
  --customize-hook="copy-out /tmp/lanbox-release-date $(dirname "$out")"
  --customize-hook='rm -f "$1"/tmp/lanbox-packages "$1"/tmp/lanbox-release-date'
)
started=$(date +%s)
mmdebstrap --mode=root --variant=minbase --arch="$arch" --components="$components" \
  --include="$pkgs" --aptopt='Acquire::Retries "3"' --dpkgopt=force-confdef --dpkgopt=force-confold \
  "${excludes[@]}" "${hooks[@]}" \
  --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
  "$suite" "$out" "$mirror"
mv "$(dirname "$out")/lanbox-packages" "$out.packages"
# The archive state: the Release file's date of the suite used (with a snapshot: the snapshot).
release_date=$(cat "$(dirname "$out")/lanbox-release-date"); rm -f "$(dirname "$out")/lanbox-release-date"
printf 'mirror=%s\nsuite=%s\ncomponents=%s\nrelease_date=%s\nsnapshot=%s\n' "$mirror" "$suite" "$components" "$release_date" "${LANBOX_SNAPSHOT:-}" > "$out.sources"
echo "rootfs $arch: $out $(du -h "$out" | cut -f1), $(wc -l < "$out.packages") packages, $(( $(date +%s) - started )) s" >&2
