#!/bin/sh
# Grows the root partition (the last one on the card) to the end of the disk, then the ext4 file
# system on it, online. Runs once (stamp file); safe to run again (sfdisk leaves a full partition).
set -eu
root_dev=$(findmnt -n -o SOURCE /)
disk=/dev/$(lsblk -n -o PKNAME "$root_dev" | head -n 1)
part=$(cat "/sys/class/block/$(basename "$root_dev")/partition")
before=$(blockdev --getsize64 "$root_dev")
# ", +" = keep the start, take all free space after it. --no-reread: the disk is in use; partx
# tells the kernel about the new size.
echo ', +' | sfdisk --no-reread --no-tell-kernel -N "$part" "$disk" >/dev/null 2>&1 || true
partx -u -n "$part" "$disk" || true
resize2fs "$root_dev" >/dev/null 2>&1 || true
after=$(blockdev --getsize64 "$root_dev")
mkdir -p /var/lib/lanbox-image
echo "growroot: $root_dev $before -> $after bytes" | tee /var/lib/lanbox-image/root-grown
sync
