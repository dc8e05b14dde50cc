#!/usr/bin/env bash
# `make run`: the all-in-one cloud with real guests.
#   tools/run-allinone.sh [STATE_DIR] [CONFIG]
# Installs what is missing (tools/setup.sh), builds the small test image once
# (offline, from Debian packages), makes sure libvirtd and virtlogd run,
# creates the database schema, starts iaas-all, registers the test image as
# the public image "iaas-test-busybox" on first start, and serves until Ctrl-C.
# Each step prints one line; the full output goes to .run/setup.log (another
# file with IAAS_PROGRESS_LOG=…), whose last lines are shown if a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=$(realpath -m "${1:-/var/lib/iaas}")
CONFIG=${2:-etc/iaas-allinone.conf}

mkdir -p .run
export IAAS_PROGRESS_LOG=${IAAS_PROGRESS_LOG:-$PWD/.run/setup.log}
: >"$IAAS_PROGRESS_LOG"
export STEP_NO=0 STEP_TOTAL=9
echo "make run: each step's output goes to $IAAS_PROGRESS_LOG"
tools/setup.sh            # steps 1-4
STEP_NO=4
# shellcheck source=tools/progress.sh
. tools/progress.sh

mkdir -p "$STATE"
# qemu runs as libvirt-qemu: it must be able to reach the instance disks.
chmod 755 "$STATE"

step "building the test image" tools/build-test-image.sh "$STATE/test-image.qcow2"

start_libvirt() {
    pgrep -x virtlogd >/dev/null || virtlogd -d
    pgrep -x libvirtd >/dev/null || libvirtd -d
}
step "starting libvirtd" start_libvirt

step "creating the database schema (db sync)" \
    .venv/bin/iaas-manage --config-file "$CONFIG" --state-path "$STATE" db sync

marker="$STATE/.run-started"
touch "$marker"
.venv/bin/iaas-all --config-file "$CONFIG" --state-path "$STATE" >>"$IAAS_PROGRESS_LOG" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

wait_ready() {
    for _ in $(seq 1 240); do
        [ "$STATE/admin-openrc" -nt "$marker" ] && return 0
        kill -0 "$pid" 2>/dev/null || { echo "iaas-all exited; its log: $STATE/logs/iaas-all.log"; return 1; }
        sleep 0.5
    done
    echo "iaas-all not ready after 120 s; its log: $STATE/logs/iaas-all.log"
    return 1
}
step "starting iaas-all" wait_ready || { kill -TERM $pid 2>/dev/null; wait $pid; exit 1; }

# shellcheck disable=SC1091
source "$STATE/admin-openrc"
register_image() {
    if ! .venv/bin/openstack image show iaas-test-busybox >/dev/null 2>&1; then
        .venv/bin/openstack image create --disk-format qcow2 --container-format bare --public \
            --file "$STATE/test-image.qcow2" iaas-test-busybox >/dev/null &&
            echo "registered image iaas-test-busybox"
    fi
}
step "registering the test image" register_image

grep -E '^(iaas-all ready|dashboard):' "$IAAS_PROGRESS_LOG" | tail -n 2
cat <<MSG
The cloud is up (state in $STATE, logs in $STATE/logs). In another shell:
    source $STATE/admin-openrc
    openstack keypair create --public-key ~/.ssh/id_ed25519.pub mykey
    openstack server create --image iaas-test-busybox --flavor m1.nano --network private --key-name mykey --wait vm1
    openstack floating ip create public           # note its floating_ip_address
    openstack server add floating ip vm1 ADDRESS
    ssh root@ADDRESS                              # or: ping ADDRESS
    openstack console log show vm1
    iaas-manage status        # (.venv/bin/) what is down, stuck or full, and the fix
Ctrl-C stops it.
MSG
wait $pid
