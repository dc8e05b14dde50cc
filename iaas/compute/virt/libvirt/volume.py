"""Volumes as libvirt disks (Nova's ``nova/virt/libvirt/volume/``).

A volume's ``connection_info`` (Cinder's format, made by the volume
service's backend) becomes one ``<disk>`` element:

* ``file``: ``<disk type='file'>`` on ``data['path']`` (``data['format']``
  raw or qcow2; ``cache='none'`` when the file takes O_DIRECT, else
  ``writeback``: tmpfs refuses O_DIRECT);
* ``iscsi``: QEMU's own initiator (``<disk type='network'>``, protocol
  iscsi, name ``IQN/LUN``); with CHAP a libvirt secret (usage type iscsi)
  holds the password, one per attachment, removed at detach;
* ``nbd``: protocol nbd, the export name and server;
* ``rbd``: protocol rbd, the monitors, and with ``auth_enabled`` the Ceph
  user and the secret the operator defined (``secret_uuid``).

Every volume disk is a virtio disk whose ``<serial>`` is the volume id
(the guest sees its first 20 characters) and whose user alias
``ua-iaasvol-<dev>`` marks it as a volume, so the driver tells volumes from
the instance's own disks in the domain XML (libvirt keeps user aliases in
the live and the persistent definition).

The front-end QoS of the volume's type (Cinder's ``data['qos_specs']``)
becomes the disk's ``<iotune>`` (total/read/write bytes and IOPS per
second, their ``_max`` bursts, ``size_iops_sec``), as Nova writes it.
"""
import contextlib
import errno
import os
import xml.etree.ElementTree as ET

import libvirt

from iaas.common import qos
from iaas.compute.virt import driver

ALIAS_PREFIX = 'ua-iaasvol-'
SECRET_PREFIX = 'iaas-volume:'
FORMATS = ('raw', 'qcow2')


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = str(text)
    return el


def file_cache_mode(path):
    """``'none'`` (O_DIRECT) when the file can be opened with O_DIRECT,
    ``'writeback'`` when its filesystem refuses it (tmpfs); ``'none'`` too
    when we cannot tell (no permission: QEMU opens it, not us)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_DIRECT', 0))
    except OSError as exc:
        return 'writeback' if exc.errno == errno.EINVAL else 'none'
    os.close(fd)
    return 'none'


def secret_usage(instance_uuid, device):
    """The usage id of the libvirt secret of one attachment."""
    return f'{SECRET_PREFIX}{instance_uuid}:{device}'


def _split_portal(portal):
    """``('127.0.0.1', '3260')`` from ``'127.0.0.1:3260'`` (``[::1]:3260``,
    a portal without port: 3260)."""
    portal = str(portal)
    if portal.startswith('['):
        host, _, rest = portal[1:].partition(']')
        return host, rest.lstrip(':') or '3260'
    if portal.count(':') == 1:
        host, port = portal.split(':')
        return host, port or '3260'
    return portal, '3260'


def _data(connection_info, *keys):
    data = connection_info.get('data') or {}
    try:
        return [data[k] for k in keys]
    except KeyError as exc:
        raise driver.DriverError(f'{connection_info.get("driver_volume_type")} '
                                 f'connection_info without {exc.args[0]!r}') from None


def needs_secret(connection_info):
    """The CHAP password when this attachment needs a secret of its own."""
    data = connection_info.get('data') or {}
    if (connection_info.get('driver_volume_type') == 'iscsi'
            and str(data.get('auth_method') or '').upper() == 'CHAP'):
        if not data.get('auth_username') or data.get('auth_password') is None:
            raise driver.DriverError('iscsi CHAP connection_info without '
                                     'auth_username/auth_password')
        return data['auth_password']
    return None


def disk_element(connection_info, device, serial=None, usage=None, cache_probe=None):
    """The ``<disk>`` element of a volume attached as ``device`` (``'vdb'``).
    ``usage`` names the libvirt secret of a CHAP iSCSI volume.
    DriverError names an unknown ``driver_volume_type``."""
    driver.volume_target(connection_info)           # the type is known, the keys there
    kind = connection_info['driver_volume_type']
    data = connection_info.get('data') or {}
    fmt = str(data.get('format') or 'raw')
    if fmt not in FORMATS:
        raise driver.DriverError(f'unsupported volume format {fmt!r} ({kind} volume)')
    disk = ET.Element('disk', type='file' if kind == 'file' else 'network', device='disk')
    if kind == 'file':
        (path,) = _data(connection_info, 'path')
        if not os.path.isabs(path):
            raise driver.DriverError(f'file volume path {path!r} is not absolute')
        _sub(disk, 'driver', name='qemu', type=fmt,
             cache=(cache_probe or file_cache_mode)(path))
        _sub(disk, 'source', file=path)
    elif kind == 'iscsi':
        iqn, portal = _data(connection_info, 'target_iqn', 'target_portal')
        lun = int(data.get('target_lun') or 0)
        _sub(disk, 'driver', name='qemu', type='raw', cache='none')
        src = _sub(disk, 'source', protocol='iscsi', name=f'{iqn}/{lun}')
        host, port = _split_portal(portal)
        _sub(src, 'host', name=host, port=port)
        if needs_secret(connection_info) is not None:
            if not usage:
                raise driver.DriverError('iscsi CHAP volume without a secret')
            auth = _sub(disk, 'auth', username=data['auth_username'])
            _sub(auth, 'secret', type='iscsi', usage=usage)
    elif kind == 'nbd':
        host, port = _data(connection_info, 'host', 'port')
        _sub(disk, 'driver', name='qemu', type=fmt, cache='none')
        src = _sub(disk, 'source', protocol='nbd', name=data.get('name') or None)
        _sub(src, 'host', name=host, port=port)
    elif kind != 'rbd':
        raise driver.DriverError(f'{kind} volumes attach only to the fake hypervisor')
    else:
        (name,) = _data(connection_info, 'name')
        _sub(disk, 'driver', name='qemu', type='raw', cache='writeback'
             if data.get('cache') == 'writeback' else 'none')
        src = _sub(disk, 'source', protocol='rbd', name=name)
        ports = list(data.get('ports') or [])
        for i, host in enumerate(data.get('hosts') or []):
            _sub(src, 'host', name=host, port=ports[i] if i < len(ports) else None)
        if data.get('auth_enabled'):
            if not data.get('auth_username') or not data.get('secret_uuid'):
                raise driver.DriverError('rbd connection_info with auth_enabled needs '
                                         'auth_username and secret_uuid')
            auth = _sub(disk, 'auth', username=data['auth_username'])
            _sub(auth, 'secret', type=data.get('secret_type') or 'ceph',
                 uuid=data['secret_uuid'])
    _sub(disk, 'target', dev=device, bus='virtio')
    if serial:
        _sub(disk, 'serial', serial)
    if data.get('access_mode') == 'ro':
        _sub(disk, 'readonly')
    if data.get('multiattach'):
        # several guests write it: qemu takes no exclusive lock, no host cache
        disk.find('driver').set('cache', 'none')
        _sub(disk, 'shareable')
    limits = qos.iotune(data.get('qos_specs'))
    if limits:
        tune = _sub(disk, 'iotune')
        for key, value in limits.items():
            _sub(tune, key, value)
    _sub(disk, 'alias', name=ALIAS_PREFIX + device)
    return disk


def disk_xml(*args, **kwargs):
    """:func:`disk_element` as a string (for attachDeviceFlags)."""
    return ET.tostring(disk_element(*args, **kwargs), encoding='unicode')


# -- reading domain XML ------------------------------------------------------
def _root(xml):
    return ET.fromstring(xml) if isinstance(xml, str) else xml


def is_volume_disk(disk):
    alias = disk.find('alias')
    return alias is not None and (alias.get('name') or '').startswith(ALIAS_PREFIX)


def volume_disks(xml):
    """The volume ``<disk>`` elements of a domain XML (string or element)."""
    if xml is None:
        return []
    return [d for d in _root(xml).findall('devices/disk') if is_volume_disk(d)]


def root_volume(disks):
    """Whether one of these volume disk elements is the guest's root (vda)."""
    return any(d.find('target').get('dev') == 'vda' for d in disks)


def used_devices(*xmls):
    """Every disk target name (``vda``, ``vdz``, ``hdd``…) in these XMLs."""
    used = set()
    for xml in xmls:
        if xml is not None:
            used.update(t.get('dev') for t in _root(xml).findall('devices/disk/target'))
    return used


def target_of(disk):
    """What a disk element reads, in :func:`driver.volume_target`'s format."""
    src = disk.find('source')
    if src is None:
        return None
    if disk.get('type') == 'file':
        return src.get('file')
    return f'{src.get("protocol")}:{src.get("name") or ""}'


def describe(disk):
    return {'serial': disk.findtext('serial'),
            'device': '/dev/' + disk.find('target').get('dev'),
            'target': target_of(disk)}


def find_disk(xml, serial=None, device=None, target=None):
    """The volume disk with this serial (else at ``device``, else reading
    ``target``) in a domain XML, or None."""
    disks = volume_disks(xml)
    if serial:
        for d in disks:
            if d.findtext('serial') == serial:
                return d
    dev = driver.device_name(device) if device else None
    for d in disks:
        if dev and d.find('target').get('dev') == dev and (
                not serial or not d.findtext('serial')):
            return d
    if target and not serial:
        for d in disks:
            if target_of(d) == target:
                return d
    return None


def secret_usage_of(disk):
    """The usage id of the iSCSI secret we defined for this disk, or None."""
    sec = disk.find('auth/secret') if disk is not None else None
    if sec is None:
        sec = disk.find('source/auth/secret') if disk is not None else None
    usage = sec.get('usage') if sec is not None else None
    return usage if usage and usage.startswith(SECRET_PREFIX) else None


# -- libvirt secrets -------------------------------------------------------------
def define_secret(conn, usage, password, description=''):
    """A persistent, private iSCSI secret of ``usage`` holding ``password``
    (an existing one of that usage is reused)."""
    try:
        sec = conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, usage)
    except libvirt.libvirtError:
        root = ET.Element('secret', ephemeral='no', private='yes')
        _sub(root, 'description', description or usage)
        _sub(_sub(root, 'usage', type='iscsi'), 'target', usage)
        sec = conn.secretDefineXML(ET.tostring(root, encoding='unicode'))
    sec.setValue(str(password).encode())
    return sec


def undefine_secret(conn, usage):
    """Remove the iSCSI secret of ``usage``; nothing when there is none."""
    with contextlib.suppress(libvirt.libvirtError):
        conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, usage).undefine()


def undefine_instance_secrets(conn, instance_uuid):
    """Remove every secret we defined for the volumes of one instance."""
    prefix = secret_usage(instance_uuid, '')
    for sec in conn.listAllSecrets(0):
        with contextlib.suppress(libvirt.libvirtError):
            if (sec.usageType() == libvirt.VIR_SECRET_USAGE_TYPE_ISCSI
                    and (sec.usageID() or '').startswith(prefix)):
                sec.undefine()
