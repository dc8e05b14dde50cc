#!/usr/bin/env bash
# `make clean`: take back what `make run` added to this machine.
#   tools/clean-allinone.sh [STATE_DIR] [CONFIG]
# Stop iaas-all first (Ctrl-C in the `make run` shell). Removes, in the
# network namespace it runs in:
#   * the libvirt domains of the all-in-one ([libvirt] domain_prefix);
#   * the dnsmasq processes iaas-network started (their pid files in STATE);
#   * the public bridge ([network] public_interface, br-iaas), the network
#     bridges ([network] bridge_prefix, brq…) and VXLAN links (vxlan-…);
#   * our iptables/ip6tables chains (iaas-…, with the jumps into them) and
#     ipsets (iaas-g-…);
#   * STATE_DIR (database, images, instance disks, logs, credentials).
# net.ipv4.ip_forward, which iaas-network set to 1, is left as it is
# (docs/operators/allinone-network.md).
set -uo pipefail
cd "$(dirname "$0")/.."
STATE=$(realpath -m "${1:-/var/lib/iaas}")
CONFIG=${2:-etc/iaas-allinone.conf}
PY=${IAAS_PYTHON:-.venv/bin/python}

if pgrep -f "iaas-all .*--state-path $STATE( |$)" >/dev/null; then
    echo "iaas-all still runs on $STATE: stop it first (Ctrl-C in the make run shell)" >&2
    exit 1
fi

# [network] public_interface, bridge_prefix and [libvirt] domain_prefix of CONFIG
read -r PUBLIC BRPREFIX DOMPREFIX < <("$PY" - "$CONFIG" 2>/dev/null <<'EOF' ||
import sys
from iaas.conf import CONF, register_all
register_all(CONF)
CONF(['--config-file', sys.argv[1]], project='iaas', default_config_files=[])
print(CONF.network.public_interface or '-', CONF.network.bridge_prefix,
      CONF.libvirt.domain_prefix)
EOF
    echo "br-iaas brq iaas-")
echo "removing the all-in-one: state $STATE, bridges $PUBLIC ${BRPREFIX}*, domains ${DOMPREFIX}*"

if command -v virsh >/dev/null && virsh -c qemu:///system version >/dev/null 2>&1; then
    for d in $(virsh -c qemu:///system list --all --name | grep "^$DOMPREFIX" || true); do
        virsh -c qemu:///system destroy "$d" >/dev/null 2>&1
        virsh -c qemu:///system undefine --nvram "$d" >/dev/null 2>&1 ||
            virsh -c qemu:///system undefine "$d" >/dev/null 2>&1
        echo "  domain $d"
    done
fi

for pidfile in "$STATE"/networks/*/*/pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # only a dnsmasq started for this state
    if grep -qa -- "$(dirname "$pidfile")" "/proc/$pid/cmdline" 2>/dev/null; then
        kill "$pid" && echo "  dnsmasq $pid"
    fi
done

ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | while read -r link; do
    case "$link" in
        "$PUBLIC"|"$BRPREFIX"*|vxlan-*)
            kind=$(ip -d -o link show "$link" | grep -oE ' (bridge|vxlan) ' | tr -d ' ')
            if [ -n "$kind" ]; then ip link del "$link" && echo "  link $link"; fi ;;
    esac
done

for tool in iptables ip6tables; do
    command -v "$tool-save" >/dev/null || continue
    for table in filter nat; do
        saved=$("$tool-save" -t "$table" 2>/dev/null) || continue
        # the jumps from the built-in chains into ours, then our chains
        echo "$saved" | grep -E '^-A [A-Z]+ .*-j iaas-' | sed 's/^-A /-D /' |
            while read -r rule; do eval "$tool -t $table $rule"; done
        chains=$(echo "$saved" | sed -n 's/^:\(iaas-[^ ]*\) .*/\1/p')
        for c in $chains; do "$tool" -t "$table" -F "$c"; done
        for c in $chains; do "$tool" -t "$table" -X "$c" && echo "  $tool $table $c"; done
    done
done
if command -v ipset >/dev/null; then
    for s in $(ipset list -n 2>/dev/null | grep '^iaas-g-' || true); do
        ipset destroy "$s" && echo "  ipset $s"
    done
fi

case "$STATE" in
    /|/var|/var/lib|/home|/root|/tmp|"$HOME") echo "not removing $STATE" >&2; exit 1 ;;
esac
if [ -d "$STATE" ]; then
    if [ -e "$STATE/iaas.sqlite" ] || [ -e "$STATE/admin-openrc" ] || [ -z "$(ls -A "$STATE")" ]; then
        rm -rf "$STATE" && echo "  state $STATE"
    else
        echo "$STATE does not look like an all-in-one's state: left in place" >&2
    fi
fi
echo "clean: done"
