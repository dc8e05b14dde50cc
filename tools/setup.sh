#!/usr/bin/env bash
# Install what iaas needs on a Debian 12 machine: system packages (apt), a
# virtualenv in .venv, and the project with its test tools. Idempotent: it
# installs only what is missing and re-installs the project only when
# pyproject.toml changed. Under `make run` (IAAS_PROGRESS_LOG set) each step
# prints one line and its output goes to that log (tools/progress.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tools/progress.sh
. tools/progress.sh

# System packages every part needs. Later parts (libvirt, dnsmasq, …) add theirs.
APT_PACKAGES=(python3 python3-venv python3-dev gcc pkg-config make git
    libvirt-daemon-system libvirt-dev qemu-system-x86 qemu-utils genisoimage xorriso
    linux-image-amd64 busybox-static extlinux e2fsprogs cpio
    dnsmasq-base conntrack iptables ipset iproute2 curl
    tgt qemu-block-extra
    ceph-mon ceph-mgr ceph-osd ceph-common python3-rados python3-rbd
    chromium chromium-driver haproxy)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# A step's command has no terminal: ask for sudo's password before it.
if [ ${#missing[@]} -gt 0 ] && [ -n "$SUDO" ] && [ -n "${IAAS_PROGRESS_LOG:-}" ]; then
    sudo -v
fi
install_system_packages() {
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
    fi
}

PY=${PYTHON:-python3}
make_venv() {
    if [ ! -x .venv/bin/python ]; then
        echo "setup: creating .venv"
        "$PY" -m venv .venv
        .venv/bin/pip install -q --upgrade pip
    fi
}

install_project() {
    local stamp=.venv/.iaas-installed want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "setup: installing the project into .venv"
        .venv/bin/pip install -q -e '.[test]'
        echo "$want" > "$stamp"
    fi
}

step "installing system packages (apt)" install_system_packages
step "creating the virtualenv (.venv)" make_venv
step "installing Python packages (pip)" install_project
# The dashboard's vendored JavaScript at its pinned versions (a no-op when the
# committed copies match their pins).
step "checking the dashboard's JavaScript" tools/build-dashboard-assets.sh
