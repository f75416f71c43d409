#!/bin/sh
# Ansible inventory script: the machines of the sovmigrate lab (docs/lab.md), so that
# `ansible-playbook playbooks/X.yml` from the repository reaches them (ansible.cfg's inventory).
# The lab directory is SOVMIGRATE_LAB_DIR or the default; `sovmigrate lab up` writes the JSON.
dir="${SOVMIGRATE_LAB_DIR:-/var/lib/sovmigrate/lab}"
if [ "$1" = "--host" ]; then
    echo '{}'
elif [ -r "$dir/inventory.json" ]; then
    cat "$dir/inventory.json"
else
    echo '{"_meta": {"hostvars": {}}}'
fi
