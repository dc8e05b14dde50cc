#!/usr/bin/env bash
# `make run`: the all-in-one cloud with real guests.
#   tools/run-allinone.sh [STATE_DIR] [CONFIG]
# Builds the small test image once (offline, from Debian packages), makes sure
# libvirtd and virtlogd run, starts iaas-all, registers the test image as the
# public image "iaas-test-busybox" on first start, and serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=$(realpath -m "${1:-/var/lib/iaas}")
CONFIG=${2:-etc/iaas-allinone.conf}
mkdir -p "$STATE"
# qemu runs as libvirt-qemu: it must be able to reach the instance disks.
chmod 755 "$STATE"

tools/build-test-image.sh "$STATE/test-image.qcow2"

pgrep -x virtlogd >/dev/null || virtlogd -d
pgrep -x libvirtd >/dev/null || libvirtd -d

marker="$STATE/.run-started"
touch "$marker"
.venv/bin/iaas-all --config-file "$CONFIG" --state-path "$STATE" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 1 240); do
    [ "$STATE/admin-openrc" -nt "$marker" ] && break
    kill -0 $pid 2>/dev/null || { wait $pid; exit $?; }
    sleep 0.5
done
# shellcheck disable=SC1091
source "$STATE/admin-openrc"
if ! .venv/bin/openstack image show iaas-test-busybox >/dev/null 2>&1; then
    .venv/bin/openstack image create --disk-format qcow2 --container-format bare --public \
        --file "$STATE/test-image.qcow2" iaas-test-busybox >/dev/null &&
        echo "registered image iaas-test-busybox"
fi
cat <<MSG
The cloud is up. In another shell:
    source $STATE/admin-openrc
    openstack keypair create --public-key ~/.ssh/id_ed25519.pub mykey
    openstack server create --image iaas-test-busybox --flavor m1.nano --network private --key-name mykey --wait vm1
    openstack floating ip create public           # note its floating_ip_address
    openstack server add floating ip vm1 ADDRESS
    ssh root@ADDRESS                              # or: ping ADDRESS
MSG
wait $pid
