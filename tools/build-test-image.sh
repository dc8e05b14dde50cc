#!/usr/bin/env bash
# Build the tiny offline test image: a bootable qcow2 made from Debian
# packages only (linux-image-amd64, busybox-static, extlinux).
#
#   tools/build-test-image.sh OUTPUT.qcow2            # busybox, < 1 s, 11 MB
#   tools/build-test-image.sh --cloud OUTPUT.qcow2    # Debian + cloud-init, ~3 min
#
# --cloud: a Debian bookworm image made with debootstrap from the configured
# apt mirror (systemd, openssh-server, cloud-init reading the config drive
# or the metadata service, qemu-guest-agent, dbus so ACPI shutdown works).
# When cloud-init's final stage is done it prints the same marker line,
#   IAAS-TEST-IMAGE-BOOTED uuid=<instance id> hostname=<hostname> boot=cloud
# to the serial console. The busybox image is described below.
#
# The disk is one ext4 filesystem (no partition table) holding extlinux,
# the Debian kernel and a busybox initramfs. The initramfs's /init:
#   * mounts proc/sys/dev, loads the virtio, ext4, isofs, evdev and ACPI
#     button modules (with their dependencies, crc32c_generic before ext4);
#   * mounts the root disk (/dev/vda) and counts boots in /boot-count;
#   * reads openstack/latest/meta_data.json from the config drive (label
#     config-2) and prints to the serial console
#       IAAS-TEST-IMAGE-BOOTED uuid=<instance uuid> hostname=<hostname> boot=<n>
#   * configures eth0 (when there is one) with the static address of the
#     config drive's network_data.json (prints IAAS-TEST-IMAGE-STATIC eth0
#     <ip>), or else runs udhcpc on it (prints IAAS-TEST-IMAGE-DHCP eth0 <ip>),
#     then reads the metadata service at 169.254.169.254 and prints
#       IAAS-TEST-IMAGE-METADATA instance-id=<ec2 id> uuid=<uuid> key=<openssh key>
#     (or "IAAS-TEST-IMAGE-METADATA unavailable" after two minutes); with a
#     "ping" key in the config drive's meta (server metadata) it pings that
#     address and prints IAAS-TEST-IMAGE-PING <address> ok|fail;
#     the key also goes to /root/.ssh/authorized_keys: dropbear (from
#     dropbear-bin, with the libraries it links) serves SSH on port 22 for
#     root with that key (no passwords);
#   * runs busybox acpid: the ACPI power button unmounts and powers off;
#   * watches its virtio disks (every second): whenever the set changes
#     (hot-plug, unplug, resize) it prints
#       IAAS-TEST-IMAGE-DISKS vda=<serial>:<sectors> vdb=<serial>:<sectors> ...
#     and on each disk that appeared (not vda, not read-only, not config-2)
#     whose first 4 KiB are zeros or carry an earlier mark it prints
#       IAAS-TEST-IMAGE-VOLUME dev=<vdX> serial=<serial> found=<earlier mark|none>
#     then writes its own mark into the first 512 bytes,
#       IAAS-VOLUME-MARK uuid=<instance uuid> serial=<serial> writes=<n>
#     and prints IAAS-TEST-IMAGE-VOLUME-MARKED dev=<vdX> writes=<n> (volume tests);
#   * runs a shell on the serial console (ttyS0), again whenever it exits;
#     /iaas-boot-line holds the boot marker line (serial console tests).
# Idempotent: nothing is rebuilt when OUTPUT exists and its stamp matches
# this script, the kernel and busybox.
set -euo pipefail

variant=busybox
if [ "${1:-}" = "--cloud" ]; then variant=cloud; shift; fi
out=${1:?usage: $0 [--cloud] OUTPUT.qcow2}
mkdir -p "$(dirname "$out")"
out=$(readlink -f "$out")
need=(linux-image-amd64 busybox-static extlinux e2fsprogs qemu-utils cpio dropbear-bin)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_cloud() {   # Debian bookworm + cloud-init (see the header)
    local stamp_want mirror raw kv
    for p in debootstrap extlinux e2fsprogs qemu-utils; do
        dpkg -s "$p" >/dev/null 2>&1 || \
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p"
    done
    stamp_want=$( (sha256sum "$0" | cut -d' ' -f1; echo cloud) | sha256sum | cut -d' ' -f1)
    if [ -f "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp_want" ]; then
        echo "cloud test image up to date: $out"
        return 0
    fi
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    mirror=${mirror:-http://deb.debian.org/debian}
    work=$(mktemp -d /var/tmp/iaas-cloud-image.XXXXXX)
    root=$work/root
    mnt=$work/mnt
    trap 'for m in "$root/proc" "$root/sys" "$root/dev" "$mnt"; do mountpoint -q "$m" && umount -l "$m"; done; rm -rf "$work"' EXIT
    debootstrap --variant=minbase \
        --include=linux-image-amd64,systemd-sysv,udev,ifupdown,isc-dhcp-client,iproute2,openssh-server,cloud-init,python3-cffi-backend \
        bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
        tail -20 "$work/debootstrap.log" >&2; return 1; }
    mount -t proc proc "$root/proc"; mount -t sysfs sys "$root/sys"; mount --bind /dev "$root/dev"
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends python3-cffi-backend dbus sudo qemu-guest-agent \
        cloud-guest-utils >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log" >&2; return 1; }
    chroot "$root" apt-get clean
    umount "$root/proc" "$root/sys" "$root/dev"
    echo "iaas-cloud" > "$root/etc/hostname"
    printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > "$root/etc/fstab"
    printf 'auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n' \
        > "$root/etc/network/interfaces"
    cat > "$root/etc/cloud/cloud.cfg.d/90-iaas.cfg" <<'EOC'
datasource_list: [ConfigDrive, OpenStack, None]
locale: C.UTF-8
datasource:
  OpenStack:
    timeout: 5
    max_wait: 20
EOC
    # cloud-final runs per-boot scripts after the hostname and user data are set
    mkdir -p "$root/var/lib/cloud/scripts/per-boot"
    cat > "$root/var/lib/cloud/scripts/per-boot/00-iaas-marker" <<'EOC'
#!/bin/sh
echo "IAAS-TEST-IMAGE-BOOTED uuid=$(cloud-init query v1.instance_id 2>/dev/null) hostname=$(hostname) boot=cloud" > /dev/ttyS0
EOC
    chmod 755 "$root/var/lib/cloud/scripts/per-boot/00-iaas-marker"
    kv=$(ls "$root/lib/modules" | sort -V | tail -1)
    mkdir -p "$root/boot/extlinux"
    cat > "$root/boot/extlinux/extlinux.conf" <<EOC
SERIAL 0 115200
DEFAULT debian
TIMEOUT 0
PROMPT 0
LABEL debian
  LINUX /boot/vmlinuz-$kv
  INITRD /boot/initrd.img-$kv
  APPEND root=/dev/vda rw console=tty0 console=ttyS0,115200 quiet
EOC
    raw=$work/disk.raw
    truncate -s 2G "$raw"
    mkfs.ext4 -q -F -b 4096 -O ^64bit,^metadata_csum -L cloudimg-rootfs "$raw"
    mkdir -p "$mnt"
    mount -o loop "$raw" "$mnt"
    cp -a "$root/." "$mnt/"
    extlinux --install "$mnt/boot/extlinux" >/dev/null 2>&1
    umount "$mnt"
    qemu-img convert -f raw -O qcow2 "$raw" "$out.tmp"
    mv "$out.tmp" "$out"
    echo "$stamp_want" > "$out.stamp"
    echo "cloud test image built: $out ($(stat -c %s "$out") bytes, kernel $kv)"
}
if [ "$variant" = cloud ]; then
    build_cloud
    exit 0
fi

kver=$(ls /lib/modules | sort -V | tail -1)
kernel=/boot/vmlinuz-$kver
stamp_want=$( (sha256sum "$0" "$kernel" /bin/busybox | cut -d' ' -f1) | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp_want" ]; then
    echo "test image up to date: $out"
    exit 0
fi

work=$(mktemp -d /tmp/iaas-test-image.XXXXXX)
mnt=""
cleanup() {
    if [ -n "$mnt" ] && mountpoint -q "$mnt"; then umount "$mnt"; fi
    rm -rf "$work"
}
trap cleanup EXIT

# -- initramfs ---------------------------------------------------------------
ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,mnt/root,mnt/config,etc/acpi/PWRF,lib/modules,run,tmp}
cp /bin/busybox "$ird/bin/busybox"
# dropbear and the shared libraries it links (about 1.5 MB compressed)
cp /usr/sbin/dropbear "$ird/bin/dropbear"
for lib in $(ldd /usr/sbin/dropbear | grep -o '/[^ ]*'); do
    mkdir -p "$ird$(dirname "$lib")"
    cp -L "$lib" "$ird$lib"
done

moddir=/lib/modules/$kver
declare -A seen=()
order=()
add_module() {   # depth-first: dependencies before the module
    local rel=$1 line deps d
    [ -n "${seen[$rel]:-}" ] && return 0
    seen[$rel]=1
    line=$(grep -E "^${rel}:" "$moddir/modules.dep" || true)
    deps=${line#*:}
    for d in $deps; do add_module "$d"; done
    order+=("$rel")
}
for m in crc32c_generic virtio_pci virtio_blk virtio_net ext4 isofs evdev button; do
    rel=$(grep -E "/${m}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | cut -d: -f1 | head -1)
    [ -n "$rel" ] || { echo "module $m not found in $moddir" >&2; exit 1; }
    add_module "$rel"
done
: > "$ird/lib/modules/load-order"
for rel in "${order[@]}"; do
    name=$(basename "$rel")
    case "$name" in
        *.ko.xz) xz -dc "$moddir/$rel" > "$ird/lib/modules/${name%.xz}"; name=${name%.xz} ;;
        *.ko.zst) zstd -qdc "$moddir/$rel" > "$ird/lib/modules/${name%.zst}"; name=${name%.zst} ;;
        *) cp "$moddir/$rel" "$ird/lib/modules/$name" ;;
    esac
    echo "$name" >> "$ird/lib/modules/load-order"
done

cat > "$ird/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
exec </dev/console >/dev/console 2>&1
for m in $(cat /lib/modules/load-order); do insmod /lib/modules/$m 2>/dev/null; done
mdev -s
hostname iaas-test
ip link set lo up 2>/dev/null
# SSH: root, public key from the metadata service only (see read_metadata)
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'root:x:0:' > /etc/group
echo /bin/sh > /etc/shells
mkdir -p /root/.ssh /etc/dropbear
chmod 700 /root /root/.ssh
dropbear -R -s -p 22 -P /run/dropbear.pid 2>/dev/null

# ACPI power button -> clean power off
cat > /etc/acpi/PWRF/00000080 <<'EOS'
#!/bin/sh
echo "IAAS-TEST-IMAGE-POWEROFF" > /dev/console
umount /mnt/config 2>/dev/null
sync; umount /mnt/root 2>/dev/null; sync
poweroff -f
EOS
chmod +x /etc/acpi/PWRF/00000080
mkdir -p /var/log /var/run
acpid -f -c /etc/acpi -l /dev/null -p /run/acpid.pid &

# root disk: count boots (shows a snapshot carries the disk)
boot=0
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.2; mdev -s; done
if mount -t ext4 /dev/vda /mnt/root 2>/dev/null; then
    boot=$(( $(cat /mnt/root/boot-count 2>/dev/null || echo 0) + 1 ))
    echo $boot > /mnt/root/boot-count
    sync
fi

# config drive (label config-2): instance uuid and hostname
uuid=none; name=none
for dev in $(findfs LABEL=config-2 2>/dev/null) /dev/vd[b-z] /dev/sr0; do
    [ -b "$dev" ] || continue
    mount -t iso9660 -o ro "$dev" /mnt/config 2>/dev/null || continue
    [ -d /mnt/config/openstack ] && break
    umount /mnt/config
done
jval() {   # first string value of key $1 in JSON file $2
    grep -o "\"$1\": *\"[^\"]*\"" "$2" | head -1 | sed 's/.*: *"\(.*\)"/\1/'
}
md=/mnt/config/openstack/latest/meta_data.json
if [ -f "$md" ]; then
    uuid=$(jval uuid "$md")
    name=$(jval hostname "$md")
    [ -n "$name" ] && hostname "$name"
    peer=$(jval ping "$md")
fi
# a static address in network_data.json (flat networks: no DHCP)
nd=/mnt/config/openstack/latest/network_data.json
static_ip=
if [ -f "$nd" ] && grep -q '"type": *"ipv4"' "$nd"; then
    static_ip=$(jval ip_address "$nd"); static_mask=$(jval netmask "$nd")
    static_gw=$(jval gateway "$nd")
fi
echo "IAAS-TEST-IMAGE-BOOTED uuid=$uuid hostname=$name boot=$boot"

# virtio disks: report changes; mark fresh (zeroed) or marked volumes
mark_disk() {   # $1 device name, $2 serial
    [ "$1" = vda ] || [ "$2" = config-2 ] && return 0
    [ "$(cat /sys/block/$1/ro 2>/dev/null)" = 1 ] && return 0
    head4k=$(head -c 4096 /dev/$1 2>/dev/null | tr -d '\000')
    case "$head4k" in
        "") found=none; n=1 ;;
        IAAS-VOLUME-MARK*)
            found=$(echo "$head4k" | head -1)
            n=$(( $(echo "$found" | sed -n 's/.*writes=\([0-9]*\).*/\1/p') + 1 )) ;;
        *) return 0 ;;
    esac
    echo "IAAS-TEST-IMAGE-VOLUME dev=$1 serial=$2 found=$found"
    printf 'IAAS-VOLUME-MARK uuid=%s serial=%s writes=%s\n' "$uuid" "$2" "$n" |
        dd of=/dev/$1 bs=512 count=1 conv=sync,fsync 2>/dev/null &&
        echo "IAAS-TEST-IMAGE-VOLUME-MARKED dev=$1 writes=$n"
}
watch_disks() {
    last=""
    while :; do
        now=""
        for b in /sys/block/vd*; do
            [ -e "$b/size" ] || continue
            now="$now ${b##*/}=$(cat $b/serial 2>/dev/null):$(cat $b/size 2>/dev/null)"
        done
        if [ "$now" != "$last" ]; then
            echo "IAAS-TEST-IMAGE-DISKS$now"
            for e in $now; do
                d=${e%%=*}; rest=${e#*=}; ser=${rest%:*}
                case "$last " in *" $d=$ser:"*) continue ;; esac
                mark_disk "$d" "$ser"
            done
            last=$now
        fi
        sleep 1
    done
}
watch_disks &

# DHCP on eth0 when there is one
cat > /etc/udhcpc.script <<'EOS'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via ${router%% *} dev "$interface"
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "IAAS-TEST-IMAGE-DHCP $interface $ip" > /dev/console
    : > /run/dhcp-bound ;;
esac
EOS
chmod +x /etc/udhcpc.script
# metadata service (169.254.169.254, EC2 + OpenStack layouts) once eth0
# has its lease: the instance id, uuid and first public key on the console
# (HTTP by hand with nc: busybox-static's wget crashes without NSS libraries)
metadata() {
    printf 'GET %s HTTP/1.0\r\nHost: 169.254.169.254\r\n\r\n' "$1" |
        nc -w 5 169.254.169.254 80 2>/dev/null | tr -d '\r' > /tmp/md.http
    head -1 /tmp/md.http | grep -q '^HTTP/1\.[01] 200' || return 1
    sed '1,/^$/d' /tmp/md.http
}
read_metadata() {
    for i in $(seq 1 60); do
        if [ -f /run/dhcp-bound ] && id=$(metadata /latest/meta-data/instance-id); then
            muuid=$(metadata /openstack/latest/meta_data.json |
                    grep -o '"uuid": *"[^"]*"' | head -1 | sed 's/.*: *"\(.*\)"/\1/')
            key=$(metadata /latest/meta-data/public-keys/0/openssh-key)
            [ -n "$key" ] && echo "$key" > /root/.ssh/authorized_keys &&
                chmod 600 /root/.ssh/authorized_keys
            echo "IAAS-TEST-IMAGE-METADATA instance-id=$id uuid=$muuid key=$key"
            return 0
        fi
        sleep 2
    done
    echo "IAAS-TEST-IMAGE-METADATA unavailable"
}
# server metadata "ping": ping that address once eth0 has its lease
ping_peer() {
    for i in $(seq 1 90); do
        if [ -f /run/dhcp-bound ] && ping -c 1 -W 2 "$1" >/dev/null 2>&1; then
            echo "IAAS-TEST-IMAGE-PING $1 ok"
            return 0
        fi
        sleep 1
    done
    echo "IAAS-TEST-IMAGE-PING $1 fail"
}
if [ -e /sys/class/net/eth0 ] && [ -n "$static_ip" ]; then
    ifconfig eth0 "$static_ip" netmask "${static_mask:-255.255.255.0}" up
    [ -n "$static_gw" ] && ip route add default via "$static_gw" dev eth0
    echo "IAAS-TEST-IMAGE-STATIC eth0 $static_ip"
    : > /run/dhcp-bound
elif [ -e /sys/class/net/eth0 ]; then
    ip link set eth0 up
    udhcpc -b -i eth0 -s /etc/udhcpc.script -t 10 -T 2 -q >/dev/null 2>&1 &
fi
if [ -e /sys/class/net/eth0 ]; then
    read_metadata &
    [ -n "${peer:-}" ] && ping_peer "$peer" &
fi

# A shell on the serial console (the serial console probes type into it;
# "cat /iaas-boot-line" shows the boot marker again). PID 1 must never exit.
echo "IAAS-TEST-IMAGE-BOOTED uuid=$uuid hostname=$name boot=$boot" > /iaas-boot-line
while :; do
    setsid sh -c 'exec sh -i </dev/ttyS0 >/dev/ttyS0 2>&1'
    sleep 1
done
EOF
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

# -- disk ----------------------------------------------------------------------
fs=$work/root
mkdir -p "$fs/boot/extlinux"
cp "$kernel" "$fs/boot/vmlinuz"
cp "$work/initrd.gz" "$fs/boot/initrd.gz"
cat > "$fs/boot/extlinux/extlinux.conf" <<'EOF'
SERIAL 0 115200
DEFAULT iaas
TIMEOUT 0
PROMPT 0
LABEL iaas
  LINUX /boot/vmlinuz
  INITRD /boot/initrd.gz
  APPEND console=ttyS0,115200 quiet loglevel=3 panic=5
EOF
echo 0 > "$fs/boot-count"
raw=$work/disk.raw
truncate -s 64M "$raw"
mkfs.ext4 -q -F -b 4096 -O ^64bit,^metadata_csum -L iaas-root -d "$fs" "$raw"
mnt=$work/mnt
mkdir -p "$mnt"
mount -o loop "$raw" "$mnt"
extlinux --install "$mnt/boot/extlinux" >/dev/null 2>&1
umount "$mnt"
mnt=""
mkdir -p "$(dirname "$out")"
qemu-img convert -f raw -O qcow2 "$raw" "$out.tmp"
mv "$out.tmp" "$out"
echo "$stamp_want" > "$out.stamp"
echo "test image built: $out ($(stat -c %s "$out") bytes, kernel $kver)"
