"""Domain XML for one guest, and the choice of domain type (kvm or qemu).

The XML is built from the instance (vCPUs, memory, name), the paths the
driver prepared (root overlay, config drive, console log) and the
network_info the network service gave (one virtio NIC per VIF that names a
bridge; none when network_info is None) and the volumes' disk elements
(``volume.disk_element``): a volume at ``vda`` is the root disk (boot from
volume: no image disk), the others follow the root disk in target order
(the guest names virtio disks in that order). ACPI is always on: clean
shutdown and device hot-plug need it. No graphics: the serial console goes
to a log file (kept by virtlogd, appended across restarts) and a pty.
"""
import logging
import os
import re
import xml.etree.ElementTree as ET

LOG = logging.getLogger(__name__)

METADATA_NS = 'http://iaas.local/xmlns/instance/1.0'
_CPU_FLAGS = re.compile(r'^flags\s*:.*\b(vmx|svm)\b', re.M)


def kvm_usable(dev='/dev/kvm', cpuinfo='/proc/cpuinfo'):
    """True when KVM can really run guests: /dev/kvm opens read-write and
    the CPU offers hardware virtualisation (without vmx/svm, /dev/kvm may
    exist yet guests hang)."""
    try:
        fd = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
        os.close(fd)
    except OSError:
        return False
    try:
        with open(cpuinfo) as f:
            return bool(_CPU_FLAGS.search(f.read()))
    except OSError:
        return False


def choose_virt_type(configured, probe=kvm_usable):
    if configured in ('kvm', 'qemu'):
        LOG.info('libvirt domain type %s (forced by [libvirt] virt_type)', configured)
        return configured
    vt = 'kvm' if probe() else 'qemu'
    LOG.info('libvirt domain type %s (probe: KVM %s)', vt,
             'usable' if vt == 'kvm' else 'not usable, using TCG')
    return vt


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k.rstrip('_'): str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def _vifs(network_info):
    for vif in network_info or []:
        bridge = (vif.get('network') or {}).get('bridge') or vif.get('bridge')
        if bridge:
            yield vif, bridge


def domain_xml(name, instance, disk_path, console_log, virt_type='qemu', machine='pc',
               config_drive_path=None, config_drive_bus='virtio', network_info=None,
               volume_disks=(), interfaces=(), serial_tcp=None):
    """The domain XML (a string) for ``instance``; ``serial_tcp``: (host,
    port) the serial port listens on (raw TCP; None: a pty), its log going
    to ``console_log`` either way; ``disk_path`` is None
    when a volume in ``volume_disks`` (elements) is the root disk;
    ``interfaces`` (elements of an earlier definition) are kept as they are
    when there is no ``network_info``."""
    flavor = instance.get('flavor') or {}
    vcpus = int(instance.get('vcpus') or flavor.get('vcpus') or 1)
    memory_mb = int(instance.get('memory_mb') or flavor.get('memory_mb') or 128)

    dom = ET.Element('domain', type=virt_type)
    _sub(dom, 'name', name)
    _sub(dom, 'uuid', instance['uuid'])
    _sub(dom, 'title', instance.get('display_name') or instance['uuid'])
    md = _sub(dom, 'metadata')
    ET.register_namespace('iaas', METADATA_NS)
    ns = '{%s}' % METADATA_NS
    meta = ET.SubElement(md, ns + 'instance')
    for tag, key in (('uuid', 'uuid'), ('name', 'display_name'), ('hostname', 'hostname'),
                     ('project', 'project_id'), ('user', 'user_id'),
                     ('image', 'image_ref')):
        ET.SubElement(meta, ns + tag).text = str(instance.get(key) or '')
    ET.SubElement(meta, ns + 'flavor', name=str(flavor.get('name') or ''),
                  vcpus=str(vcpus), memory_mb=str(memory_mb))
    _sub(dom, 'memory', memory_mb * 1024, unit='KiB')
    _sub(dom, 'currentMemory', memory_mb * 1024, unit='KiB')
    _sub(dom, 'vcpu', vcpus, placement='static')

    os_el = _sub(dom, 'os')
    _sub(os_el, 'type', 'hvm', arch='x86_64', machine=machine)
    _sub(os_el, 'boot', dev='hd')
    _sub(os_el, 'bios', useserial='yes')
    features = _sub(dom, 'features')
    _sub(features, 'acpi')
    _sub(features, 'apic')
    if virt_type == 'kvm':
        _sub(dom, 'cpu', mode='host-passthrough')
    _sub(dom, 'clock', offset='utc')
    _sub(dom, 'on_poweroff', 'destroy')
    _sub(dom, 'on_reboot', 'restart')
    _sub(dom, 'on_crash', 'destroy')

    dev = _sub(dom, 'devices')
    volumes = sorted(volume_disks, key=lambda d: (len(d.find('target').get('dev')),
                                                  d.find('target').get('dev')))
    if disk_path:
        volumes = [v for v in volumes if v.find('target').get('dev') != 'vda']
        disk = _sub(dev, 'disk', type='file', device='disk')
        _sub(disk, 'driver', name='qemu', type='qcow2', cache='writeback')
        _sub(disk, 'source', file=disk_path)
        _sub(disk, 'target', dev='vda', bus='virtio')
        _sub(disk, 'serial', instance['uuid'][:20])
    elif not volumes or volumes[0].find('target').get('dev') != 'vda':
        raise ValueError('no root disk: neither an image disk nor a volume at vda')
    dev.extend(volumes)
    if config_drive_path:
        if config_drive_bus == 'ide':
            cd = _sub(dev, 'disk', type='file', device='cdrom')
            _sub(cd, 'driver', name='qemu', type='raw')
            _sub(cd, 'source', file=config_drive_path)
            _sub(cd, 'target', dev='hdd', bus='ide')
        else:
            cd = _sub(dev, 'disk', type='file', device='disk')
            _sub(cd, 'driver', name='qemu', type='raw')
            _sub(cd, 'source', file=config_drive_path)
            _sub(cd, 'target', dev='vdz', bus='virtio')
        _sub(cd, 'readonly')
        _sub(cd, 'serial', 'config-2')

    for vif, bridge in _vifs(network_info):
        nic = _sub(dev, 'interface', type='bridge')
        if vif.get('address'):
            _sub(nic, 'mac', address=vif['address'])
        _sub(nic, 'source', bridge=bridge)
        if vif.get('devname'):
            _sub(nic, 'target', dev=vif['devname'])
        _sub(nic, 'model', type='virtio')
        if vif.get('mtu') or (vif.get('network') or {}).get('mtu'):
            _sub(nic, 'mtu', size=vif.get('mtu') or vif['network']['mtu'])

    if network_info is None:
        dev.extend(interfaces)

    kind = 'tcp' if serial_tcp else 'pty'
    serial = _sub(dev, 'serial', type=kind)
    console = _sub(dev, 'console', type=kind)
    if serial_tcp:
        for el in (serial, console):
            _sub(el, 'source', mode='bind', host=serial_tcp[0], service=str(serial_tcp[1]))
            _sub(el, 'protocol', type='raw')
    _sub(serial, 'log', file=console_log, append='on')
    _sub(serial, 'target', port=0)
    _sub(console, 'target', type='serial', port=0)
    _sub(dev, 'memballoon', model='virtio')
    return ET.tostring(dom, encoding='unicode')


def parse_metadata_uuid(xml):
    """The instance uuid our metadata element names, or None."""
    root = ET.fromstring(xml)
    el = root.find(f'metadata/{{{METADATA_NS}}}instance/{{{METADATA_NS}}}uuid')
    return el.text if el is not None else None
