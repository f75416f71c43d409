#!/usr/bin/env bash
# Provisions the Vagrant workstation (see Vagrantfile), as root: the controller's key for root,
# the store key (SFTP to the restic store on the controller), the names of both VMs, and
# /srv/windows.img pointing at the extra disk, the same path at which lab machines see their
# Windows image (the default of precheck_windows_source and user_state_capture_source). The disk
# itself is filled by the controller (vagrant/fill-windows-disk.sh): this VM holds nothing of
# the project. It runs again on the reinstalled VM (`vagrant up workstation` after a destroy).
# Inputs (environment): SOVMIGRATE_CONTROLLER_KEY (one OpenSSH public key line), SOVMIGRATE_HOSTS;
# the store's private key uploaded to /tmp/sovmigrate_store_key.
set -euo pipefail

: "${SOVMIGRATE_CONTROLLER_KEY:?}" "${SOVMIGRATE_HOSTS:?}"

# The names of both VMs, in a block of /etc/hosts that a new provisioning run replaces.
sed -i '/^# sovmigrate-vagrant begin$/,/^# sovmigrate-vagrant end$/d' /etc/hosts
printf '# sovmigrate-vagrant begin\n%s# sovmigrate-vagrant end\n' "$SOVMIGRATE_HOSTS" >>/etc/hosts

# Root login with the controller's key only (the box's sshd already refuses root passwords).
install -d -m 700 /root/.ssh
touch /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
grep -qxF "$SOVMIGRATE_CONTROLLER_KEY" /root/.ssh/authorized_keys ||
    echo "$SOVMIGRATE_CONTROLLER_KEY" >>/root/.ssh/authorized_keys
# The store key: restic (run by the capture and restore roles) reaches sftp:sovstore@controller.
if [ -f /tmp/sovmigrate_store_key ]; then
    install -m 600 /tmp/sovmigrate_store_key /root/.ssh/id_sovmigrate_store
    rm -f /tmp/sovmigrate_store_key
fi
cat >/root/.ssh/config <<'CONFIG'
# Written by vagrant/workstation.sh
Host controller
    User sovstore
    IdentityFile /root/.ssh/id_sovmigrate_store
    IdentitiesOnly yes
    # The controller keeps its host key; the first connection (in batch mode) records it.
    StrictHostKeyChecking accept-new
CONFIG
chmod 600 /root/.ssh/config

# Python for Ansible; the rest (ntfs-3g, restic...) is installed by the stages that need it.
if ! command -v python3 >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3
fi

install -d -m 755 /etc/sovmigrate /srv
# A Windows volume already given at /srv/windows.img by other means (a lab machine's bound image,
# which is how these scripts were tried without a VM provider) is kept as it is.
if [ -e /srv/windows.img ] && [ ! -L /srv/windows.img ]; then
    echo /srv/windows.img >/etc/sovmigrate/windows-disk
    echo "workstation: keeping the Windows volume already at /srv/windows.img"
    exit 0
fi

# The extra disk: the whole disk that holds neither the root file system nor any partition.
# vagrant-libvirt gives it a serial; VirtualBox does not, hence the elimination.
root_disk=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)" | head -n1)
disk=""
if [ -e /dev/disk/by-id/virtio-sovmigrate-windows ]; then
    disk=$(readlink -f /dev/disk/by-id/virtio-sovmigrate-windows)
else
    candidates=()
    while read -r name type; do
        [ "$type" = disk ] || continue
        [ "$name" = "$root_disk" ] && continue
        # A disk with partitions is a system disk or someone's data: never the one to fill.
        [ "$(lsblk -no NAME "/dev/$name" | wc -l)" -eq 1 ] || continue
        candidates+=("/dev/$name")
    done < <(lsblk -dno NAME,TYPE)
    if [ "${#candidates[@]}" -ne 1 ]; then
        echo "workstation: expected one extra disk without partitions, found: ${candidates[*]:-none}" >&2
        exit 1
    fi
    disk=${candidates[0]}
fi
# A persistent name for it (kernel names may change between boots), when udev gives one.
stable=$disk
for link in /dev/disk/by-id/* /dev/disk/by-path/*; do
    if [ -e "$link" ] && [ "$(readlink -f "$link")" = "$disk" ]; then
        stable=$link
        break
    fi
done
echo "$stable" >/etc/sovmigrate/windows-disk
ln -sfn "$stable" /srv/windows.img
echo "workstation: Windows disk is $stable ($disk), also /srv/windows.img"
