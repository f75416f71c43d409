#!/usr/bin/env bash
# Provisions the Vagrant controller (see Vagrantfile), as root:
#   1. the names of both VMs, root's key and SSH settings for the workstation;
#   2. sovmigrate installed from this checkout into /opt/sovmigrate (scripts/bootstrap.sh: the
#      Debian packages of requirements/apt.txt and a virtualenv), `sovmigrate` on root's PATH;
#   3. a Windows-like NTFS image from the lab's builder, written onto the workstation's blank
#      extra disk (vagrant/fill-windows-disk.sh refuses a disk that holds anything else);
#   4. a campaign "vagrant" in a SQLite state store with the workstation in a wave "pilot".
# Safe to re-run (`vagrant provision controller`): each step checks what is already there.
# Inputs (environment): SOVMIGRATE_HOSTS, SOVMIGRATE_WINDOWS_SEED, SOVMIGRATE_WINDOWS_VARIANT.
set -euo pipefail

: "${SOVMIGRATE_HOSTS:?}"
seed=${SOVMIGRATE_WINDOWS_SEED:-1}
variant=${SOVMIGRATE_WINDOWS_VARIANT:-clean}
src=/vagrant
app=/opt/sovmigrate
state=/var/lib/sovmigrate/vagrant
log() { echo "controller: $*"; }

# 1. Names, key, SSH settings ------------------------------------------------------------------
sed -i '/^# sovmigrate-vagrant begin$/,/^# sovmigrate-vagrant end$/d' /etc/hosts
printf '# sovmigrate-vagrant begin\n%s# sovmigrate-vagrant end\n' "$SOVMIGRATE_HOSTS" >>/etc/hosts

install -d -m 700 /root/.ssh
if [ -f /tmp/sovmigrate_controller_key ]; then
    install -m 600 /tmp/sovmigrate_controller_key /root/.ssh/id_sovmigrate
    rm -f /tmp/sovmigrate_controller_key
fi
ssh-keygen -y -f /root/.ssh/id_sovmigrate >/root/.ssh/id_sovmigrate.pub
# Ansible and `ssh workstation` both read this. The workstation gets new host keys each time it
# is re-created (`vagrant destroy workstation`, the reinstall of the Vagrant path), so its key
# is not pinned here; a real site pins them (the nspawn lab does, with its own known_hosts).
cat >/root/.ssh/config <<CONFIG
# Written by vagrant/controller.sh
Host workstation
    User root
    IdentityFile /root/.ssh/id_sovmigrate
    IdentitiesOnly yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
CONFIG
chmod 600 /root/.ssh/config

# 2. sovmigrate --------------------------------------------------------------------------------
install -d -m 755 "$app"
# A copy, so that a later `vagrant rsync` never changes the code under a running wave.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync >/dev/null
rsync -a --delete --exclude=/.venv/ --exclude=/artifacts/ "$src/" "$app/"
"$app/scripts/bootstrap.sh"
ln -sfn "$app/.venv/bin/sovmigrate" /usr/local/bin/sovmigrate

install -d -m 700 "$state" "$state/store"
# The restic store's password: generated once, readable by root only, never on a command line.
if [ ! -s "$state/store-password" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$state/store-password")
fi
cat >/etc/profile.d/sovmigrate.sh <<PROFILE
# Written by vagrant/controller.sh: the Vagrant campaign's defaults for sovmigrate commands.
export SOVMIGRATE_DB=$state/state.db
export SOVMIGRATE_CAMPAIGN=vagrant
export SOVMIGRATE_ARTIFACTS_DIR=$state/artifacts
export SOVMIGRATE_INVENTORY_DIR=$state/inventories
PROFILE
# shellcheck source=/dev/null
. /etc/profile.d/sovmigrate.sh

# 3. The workstation's Windows disk ------------------------------------------------------------
image=$state/windows-$variant-$seed.img
if [ ! -f "$image" ]; then
    log "building the Windows image (seed $seed, variant $variant)"
    "$app/.venv/bin/python" "$app/vagrant/windisk.py" --output "$image" --seed "$seed" \
        --variant "$variant"
fi
log "waiting for the workstation to answer over SSH"
for _ in $(seq 1 120); do
    if ssh -o ConnectTimeout=5 -o BatchMode=yes workstation test -s /etc/sovmigrate/windows-disk \
        2>/dev/null; then
        break
    fi
    sleep 5
done
device=$(ssh -o BatchMode=yes workstation cat /etc/sovmigrate/windows-disk)
log "writing the image onto the workstation's $device"
scp -q "$image" workstation:/var/tmp/windows.img
ssh workstation bash -s -- /var/tmp/windows.img "$device" <"$app/vagrant/fill-windows-disk.sh"
ssh workstation rm -f /var/tmp/windows.img

# 4. The campaign and its first wave -----------------------------------------------------------
printf 'name,site\nworkstation,vagrant\n' >"$state/fleet.csv"
sovmigrate fleet import "$state/fleet.csv" --campaign vagrant --inventories "$state/inventories"
if ! sovmigrate wave list --format json | grep -q '"name": "pilot"'; then
    sovmigrate wave create pilot workstation --description "Vagrant workstation"
fi
sovmigrate status pilot
log "ready: vagrant ssh controller, sudo -i, then follow docs/pilot-guide.md (The Vagrant path)"
