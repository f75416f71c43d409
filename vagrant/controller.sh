#!/usr/bin/env bash
# Provisions the Vagrant controller (see Vagrantfile), as root:
#   1. the names of both VMs, root's key and SSH settings for the workstation;
#   2. sovmigrate installed from this checkout into /opt/sovmigrate (scripts/bootstrap.sh: the
#      Debian packages of requirements/apt.txt and a virtualenv), `sovmigrate` on root's PATH;
#   3. a Windows-like NTFS image from the lab's builder, written onto the workstation's blank
#      extra disk (vagrant/fill-windows-disk.sh refuses a disk that holds anything else);
#   4. the restic store on this VM (SFTP for the workstation), its password in an Ansible Vault
#      file of stage variables;
#   5. a campaign "vagrant" in a SQLite state store with the workstation in a wave "pilot".
# Safe to re-run (`vagrant provision controller`): each step checks what is already there.
# Inputs (environment): SOVMIGRATE_HOSTS, SOVMIGRATE_STORE_KEY (the workstation's public store
# key), SOVMIGRATE_WINDOWS_SEED, SOVMIGRATE_WINDOWS_VARIANT; /tmp/sovmigrate_controller_key.
set -euo pipefail

: "${SOVMIGRATE_HOSTS:?}"
seed=${SOVMIGRATE_WINDOWS_SEED:-1}
variant=${SOVMIGRATE_WINDOWS_VARIANT:-clean}
src=/vagrant
app=/opt/sovmigrate
state=/var/lib/sovmigrate/vagrant
log() { echo "controller: $*"; }
# Every ssh below that needs no input gets -n: an ssh reading stdin would swallow the rest of
# this script when it is itself fed on stdin (bash -s), as it was when tried without Vagrant.

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

# 2. sovmigrate, the store and its password --------------------------------------------------------------------------------
install -d -m 755 "$app"
# A copy, so that a later `vagrant rsync` never changes the code under a running wave.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync >/dev/null
rsync -a --delete --exclude=/.venv/ --exclude=/artifacts/ \
    --exclude=/playbooks/group_vars/all/vagrant.yml "$src/" "$app/"
"$app/scripts/bootstrap.sh"
ln -sfn "$app/.venv/bin/sovmigrate" /usr/local/bin/sovmigrate

install -d -m 700 "$state" "$state/manifests" "$state/reports"

# The restic store, written by the workstation over SFTP as user sovstore, whose key can do
# nothing but SFTP.
: "${SOVMIGRATE_STORE_KEY:?}"
id sovstore >/dev/null 2>&1 || useradd --system --create-home --shell /bin/sh sovstore
install -d -o sovstore -g sovstore -m 700 /srv/sovmigrate-store ~sovstore/.ssh
echo "restrict,command=\"/usr/lib/openssh/sftp-server\" $SOVMIGRATE_STORE_KEY" \
    >~sovstore/.ssh/authorized_keys
chown sovstore:sovstore ~sovstore/.ssh/authorized_keys
chmod 600 ~sovstore/.ssh/authorized_keys

# The store's password, generated once, reaches the roles only through an Ansible Vault file
# next to the playbooks (Ansible loads playbooks/group_vars/all/ for every stage): never on a
# command line, never in the runs' artifacts. The vault password file is root's only.
umask 077
if [ ! -s "$state/vault-password" ]; then
    head -c 32 /dev/urandom | base64 >"$state/vault-password"
fi
if [ ! -s "$state/store-password" ]; then
    head -c 32 /dev/urandom | base64 >"$state/store-password"
fi
umask 022
store_url=sftp:sovstore@controller:/srv/sovmigrate-store
vars=$app/playbooks/group_vars/all/vagrant.yml
install -d -m 700 "$(dirname "$vars")"
password=$(cat "$state/store-password")
cat <<VARS | "$app/.venv/bin/ansible-vault" encrypt --vault-password-file "$state/vault-password" \
    --output "$vars" -
# The Vagrant campaign's stage variables (written by vagrant/controller.sh).
precheck_store: $store_url
precheck_store_password: "$password"
# The size check is about the Windows disk (the future Debian disk): the VM's is a small one.
precheck_min_disk_gib: 0
user_state_capture_store: $store_url
user_state_capture_store_password: "$password"
user_state_capture_manifest_dir: $state/manifests
user_state_restore_store: $store_url
user_state_restore_store_password: "$password"
user_state_restore_report_dir: $state/reports
VARS
unset password
chmod 600 "$vars"

cat >/etc/profile.d/sovmigrate.sh <<PROFILE
# Written by vagrant/controller.sh: the Vagrant campaign's defaults for sovmigrate commands.
export SOVMIGRATE_DB=$state/state.db
export SOVMIGRATE_CAMPAIGN=vagrant
export SOVMIGRATE_ARTIFACTS_DIR=$state/artifacts
export SOVMIGRATE_INVENTORY_DIR=$state/inventories
export ANSIBLE_VAULT_PASSWORD_FILE=$state/vault-password
PROFILE
# shellcheck source=/dev/null
. /etc/profile.d/sovmigrate.sh

# 4. The workstation's Windows disk ------------------------------------------------------------
image=$state/windows-$variant-$seed.img
if [ ! -f "$image" ]; then
    log "building the Windows image (seed $seed, variant $variant)"
    "$app/.venv/bin/python" "$app/vagrant/windisk.py" --output "$image" --seed "$seed" \
        --variant "$variant"
fi
log "waiting for the workstation to answer over SSH (it may still be booting)"
ready=no
for _ in $(seq 1 120); do
    if ssh -n -o ConnectTimeout=5 -o BatchMode=yes workstation test -s /etc/sovmigrate/windows-disk \
        2>/dev/null; then
        ready=yes
        break
    fi
    sleep 5
done
if [ "$ready" != yes ]; then
    log "the workstation did not answer in 10 minutes: vagrant up workstation, then vagrant provision controller" >&2
    exit 1
fi
device=$(ssh -n -o BatchMode=yes workstation cat /etc/sovmigrate/windows-disk)
if ssh -n workstation test -b "$device"; then
    log "writing the image onto the workstation's $device"
    scp -q "$image" workstation:/var/tmp/windows.img </dev/null
    ssh workstation bash -s -- /var/tmp/windows.img "$device" <"$app/vagrant/fill-windows-disk.sh"
    ssh -n workstation rm -f /var/tmp/windows.img
else
    log "the workstation's Windows volume $device is not a disk: left as it is"
fi

# 5. The campaign and its first wave -----------------------------------------------------------
printf 'name,site\nworkstation,vagrant\n' >"$state/fleet.csv"
sovmigrate fleet import "$state/fleet.csv" --campaign vagrant --inventories "$state/inventories"
if ! sovmigrate wave list --format json | grep -q '"name": "pilot"'; then
    sovmigrate wave create pilot workstation --description "Vagrant workstation"
fi
sovmigrate status pilot
log "ready: vagrant ssh controller, sudo -i, then follow docs/pilot-guide.md (The Vagrant path)"
