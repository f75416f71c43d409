#!/usr/bin/env bash
# Installs everything sovmigrate and its tests need on a fresh Debian 12/13 machine (run as root):
# the host packages of requirements/apt.txt and a virtualenv in .venv with the project installed.
# Safe to re-run: a stamp skips work that is already done for the same inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: run as root (it installs Debian packages and the lab needs root)" >&2
    exit 3
fi

stamp_dir=.venv
apt_list=$(grep -v '^\s*#' requirements/apt.txt | grep -v '^\s*$' | tr '\n' ' ')
apt_sum=$(sha256sum requirements/apt.txt | cut -c1-16)
py_sum=$(sha256sum pyproject.toml | cut -c1-16)

if [ ! -f "$stamp_dir/.apt-$apt_sum" ]; then
    echo "bootstrap: installing Debian packages: $apt_list"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $apt_list >/dev/null
fi

# Debian's own interpreter: python3-hivex is importable only there, and the lab's targets
# run the same user-state code under their own /usr/bin/python3.
if [ ! -x .venv/bin/python ]; then
    /usr/bin/python3 -m venv --system-site-packages .venv
fi
if [ ! -f "$stamp_dir/.py-$py_sum" ]; then
    echo "bootstrap: installing the Python package and its tools into .venv"
    .venv/bin/pip install -q --upgrade pip >/dev/null
    .venv/bin/pip install -q -e '.[dev]'
    rm -f "$stamp_dir"/.py-*
    touch "$stamp_dir/.py-$py_sum"
fi
rm -f "$stamp_dir"/.apt-*
touch "$stamp_dir/.apt-$apt_sum"
echo "bootstrap: ready ($(.venv/bin/sovmigrate --version))"
