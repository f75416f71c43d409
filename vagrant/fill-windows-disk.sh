#!/usr/bin/env bash
# Writes a Windows-like NTFS image onto the workstation's extra disk, run ON the workstation by
# vagrant/controller.sh (bash -s -- IMAGE DEVICE). Safe to repeat, and it never destroys data:
#   - the disk already starts with exactly this image: nothing to do;
#   - the disk is blank (no signature that blkid knows): the image is written, then read back;
#   - anything else (a file system, a partition table, another image): refused, disk untouched.
set -euo pipefail

image=${1:?usage: fill-windows-disk.sh IMAGE DEVICE}
device=${2:?usage: fill-windows-disk.sh IMAGE DEVICE}

if [ ! -b "$device" ]; then
    echo "fill-windows-disk: $device is not a block device" >&2
    exit 2
fi
size=$(stat -c %s "$image")
disk_size=$(blockdev --getsize64 "$device")
if [ "$size" -gt "$disk_size" ]; then
    echo "fill-windows-disk: image ($size bytes) larger than $device ($disk_size bytes)" >&2
    exit 1
fi
want=$(sha256sum <"$image" | cut -d' ' -f1)
have=$(head -c "$size" "$device" | sha256sum | cut -d' ' -f1)
if [ "$want" = "$have" ]; then
    echo "fill-windows-disk: $device already holds this image"
    exit 0
fi
# blkid -p exits 2 when it finds no signature at all: the only state in which writing is safe.
if found=$(blkid -p -o export "$device" 2>/dev/null); then
    echo "fill-windows-disk: $device is not blank ($(echo "$found" | grep -E '^(TYPE|PTTYPE)=' | tr '\n' ' ')): not overwritten" >&2
    exit 1
fi
dd if="$image" of="$device" bs=4M conv=fsync status=none
have=$(head -c "$size" "$device" | sha256sum | cut -d' ' -f1)
if [ "$want" != "$have" ]; then
    echo "fill-windows-disk: $device does not read back as the image" >&2
    exit 1
fi
echo "fill-windows-disk: wrote $size bytes to $device"
