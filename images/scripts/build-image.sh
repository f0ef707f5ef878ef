#!/usr/bin/env bash
# build-image.sh ARCH ROOTFS.tar OUT.img   (ROOTFS may also be an unpacked directory)
# Assembles the flashable image from the rootfs tarball, the overlay, the appliance bundle
# (appliance/dist) and the boot helpers (images/dist/box), without loop devices or mounts:
# mkfs.vfat -C + mcopy for the FAT partition, mkfs.ext4 -d for the root, sfdisk on a plain file,
# dd to place both. Also writes OUT.img.manifest (pinned inputs), OUT.vmlinuz and OUT.initrd
# (for qemu's direct kernel boot) and OUT.img.sha256.
set -euo pipefail
arch=${1:?usage: build-image.sh amd64|arm64 ROOTFS.tar OUT.img}
rootfs=${2:?usage: build-image.sh ARCH ROOTFS.tar OUT.img}
out=${3:?usage: build-image.sh ARCH ROOTFS.tar OUT.img}
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)
bundle=$repo/appliance/dist
box=$here/dist/box
[ -f "$bundle/lanbox.mjs" ] || { echo "no appliance bundle: run npm run build first" >&2; exit 1; }
[ -f "$box/lanbox-setup.mjs" ] || { echo "no boot helpers: run npm run build first" >&2; exit 1; }
case "$arch" in
  amd64) fat_mib=64 ;;   # only the settings file lives there
  arm64) fat_mib=256 ;;  # Pi firmware, kernel, initrd, DTBs (and room for one kernel update)
  *) echo "unknown arch $arch" >&2; exit 2 ;;
esac
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/lanbox-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"
if [ -d "$rootfs" ]; then cp -a "$rootfs/." "$root/"; else tar -xf "$rootfs" --numeric-owner -C "$root"; fi

# --- What makes it lanbox --------------------------------------------------------------------
cp -a "$here/overlay/." "$root/"
install -D -m 0644 "$repo/appliance/systemd/lanbox.service" "$root/etc/systemd/system/lanbox.service"
install -D -m 0644 "$repo/appliance/coturn/turnserver.conf" "$root/etc/turnserver.conf"
mkdir -p "$root/opt/lanbox"
cp -a "$bundle/." "$root/opt/lanbox/"
cp -a "$box" "$root/opt/lanbox/box"
chown -R 0:0 "$root/opt/lanbox"

# Units: plain symlinks made by the host's systemctl in offline mode (no systemd needed in the tree).
systemctl --root="$root" enable systemd-networkd.service systemd-networkd-wait-online.service \
  lanbox.service lanbox-setup.service lanbox-growroot.service lanbox-dhcp.service >/dev/null 2>&1
# Nothing on an offline box should wake up to write to the card or reach the Internet.
systemctl --root="$root" disable apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer >/dev/null 2>&1 || true
mkdir -p "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
cat > "$root/etc/systemd/system/systemd-networkd-wait-online.service.d/lanbox.conf" <<'UNIT'
# A box on a bare switch only ever gets link-local addresses ("degraded"): that is online enough.
[Service]
ExecStart=
ExecStart=/usr/lib/systemd/systemd-networkd-wait-online --any --operational-state=degraded --timeout=30
UNIT

# --- Nothing that must be unique per box is baked in ------------------------------------------
: > "$root/etc/machine-id"                      # systemd makes one on first boot
rm -f "$root/var/lib/dbus/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*               # sshd-keygen makes them when SSH is first enabled
rm -rf "$root/var/lib/lanbox" "$root/var/lib/lanbox-image"   # DHT identity and names: made on the box
sed -i 's/^root:[^:]*:/root:*:/' "$root/etc/shadow"   # no password, no password login
rm -rf "$root/var/log/journal"                  # journald is volatile (journald.conf.d/lanbox.conf)

# --- Manifest: every input, pinned -----------------------------------------------------------
commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$repo" status --porcelain 2>/dev/null | grep -qv '^??' && echo yes || echo no)
{
  echo "# lanbox image manifest"
  echo "arch=$arch"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "lanbox_version=$(node -p "require('$repo/appliance/package.json').version")"
  echo "git_commit=$commit"
  echo "git_dirty=$dirty"
  echo "package_lock_sha256=$(sha256sum "$repo/package-lock.json" | cut -d' ' -f1)"
  echo "bundle_sha256=$(sha256sum "$bundle/lanbox.mjs" | cut -d' ' -f1)"
  echo "classic_level=$(node -p "require('$bundle/node_modules/classic-level/package.json').version")"
  sed 's/^/debian_/' "$rootfs.sources"
  echo "# Debian packages (name=version), as installed"
  cat "$rootfs.packages"
} > "$work/manifest"
install -D -m 0644 "$work/manifest" "$root/usr/share/lanbox/manifest.txt"
cp "$work/manifest" "$out.manifest"

# --- Kernel and initrd for qemu's direct kernel boot (the image itself boots without them on a Pi)
kver=$(ls "$root/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
cp "$root/boot/vmlinuz-$kver" "$out.vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out.initrd"

# --- FAT partition: Pi firmware (arm64) and the settings file's example --------------------------
mkdir -p "$root/boot/firmware"
cp "$here/lanbox.txt.example" "$root/boot/firmware/lanbox.txt.example"
# The Pi's kernel command line finds the root partition by label (SD card or USB disk alike).
if [ -f "$root/boot/firmware/cmdline.txt" ]; then
  sed -i 's#root=[^ ]*#root=LABEL=LANBOXROOT#' "$root/boot/firmware/cmdline.txt"
  grep -q 'root=LABEL=LANBOXROOT' "$root/boot/firmware/cmdline.txt"
fi
fat=$work/fat.img
rm -f "$fat"
mkfs.vfat -C -F 32 -n LANBOXBOOT "$fat" $((fat_mib * 1024)) >/dev/null
mcopy -s -p -i "$fat" "$root"/boot/firmware/* ::/
find "$root/boot/firmware" -mindepth 1 -delete

# --- Root partition: used size + 10 % + 64 MiB (ext4 metadata, first-boot writes); it grows to fill the card on first boot ------------
used_mib=$(( $(du -s -k -x "$root" | cut -f1) / 1024 ))
root_mib=$(( used_mib * 110 / 100 + 64 ))
ext=$work/root.img
mkfs.ext4 -q -L LANBOXROOT -m 1 -E root_owner=0:0 -d "$root" "$ext" "${root_mib}M"

# --- MBR (the Pi 3 boot ROM reads MBR only): p1 FAT32 LBA at 4 MiB, p2 Linux after it -------------
fat_start=8192
root_start=$(( fat_start + fat_mib * 2048 ))
total_sectors=$(( root_start + root_mib * 2048 ))
rm -f "$out"
truncate -s $(( total_sectors * 512 )) "$out"
printf 'label: dos\nunit: sectors\n\n%s : start=%s, size=%s, type=c, bootable\n%s : start=%s, size=%s, type=83\n' \
  p1 "$fat_start" $((fat_mib * 2048)) p2 "$root_start" $((root_mib * 2048)) | sfdisk -q "$out"
dd if="$fat" of="$out" bs=1M seek=$((fat_start / 2048)) conv=notrunc,sparse status=none
dd if="$ext" of="$out" bs=1M seek=$((root_start / 2048)) conv=notrunc,sparse status=none
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")" > "$(basename "$out").sha256")
echo "image $arch: $out $(( total_sectors / 2048 )) MiB (root $root_mib MiB, FAT $fat_mib MiB), kernel $kver, $(( $(date +%s) - started )) s" >&2
