"""Volume disks as libvirt XML, and the driver's attach/detach/extend logic
against an in-memory libvirt (no libvirtd)."""
import errno
import xml.etree.ElementTree as ET

import pytest

from iaas.compute.virt import driver
from iaas.compute.virt.libvirt import config, volume

libvirt = pytest.importorskip('libvirt')

VOL = '6f1b8c1e-2f0a-4d4e-9a51-0d3c5b7e9a10'
UUID = '0b5c7c4e-1111-4222-8333-444455556666'
FILE_CI = {'driver_volume_type': 'file', 'data': {'path': '/v/vol-1', 'format': 'raw'}}
ISCSI_CI = {'driver_volume_type': 'iscsi',
            'data': {'target_portal': '127.0.0.1:3260', 'target_iqn': 'iqn.2026-01.t:v1',
                     'target_lun': 1, 'auth_method': 'CHAP', 'auth_username': 'u',
                     'auth_password': 'pw'}}
NBD_CI = {'driver_volume_type': 'nbd',
          'data': {'host': '127.0.0.1', 'port': 10809, 'name': 'exp1', 'format': 'qcow2'}}
RBD_CI = {'driver_volume_type': 'rbd',
          'data': {'name': 'volumes/volume-1', 'hosts': ['10.0.0.1', '10.0.0.2'],
                   'ports': ['6789', '6790'], 'auth_enabled': True,
                   'auth_username': 'cinder',
                   'secret_uuid': '457eb676-33da-42ec-9a8c-9293d545c337'}}


def el(ci, dev='vdb', serial=VOL, usage=None, cache='none'):
    xml = volume.disk_xml(ci, dev, serial, usage, cache_probe=lambda p: cache)
    return ET.fromstring(xml)


def test_file_disk():
    d = el(FILE_CI)
    assert (d.get('type'), d.get('device')) == ('file', 'disk')
    assert d.find('driver').attrib == {'name': 'qemu', 'type': 'raw', 'cache': 'none'}
    assert d.find('source').get('file') == '/v/vol-1'
    assert d.find('target').attrib == {'dev': 'vdb', 'bus': 'virtio'}
    assert d.findtext('serial') == VOL                  # full id; the guest sees 20 chars
    assert d.find('alias').get('name') == 'ua-iaasvol-vdb'
    assert d.find('readonly') is None
    q = el({'driver_volume_type': 'file', 'data': {'path': '/v/q', 'format': 'qcow2',
                                                   'access_mode': 'ro'}}, cache='writeback')
    assert q.find('driver').attrib == {'name': 'qemu', 'type': 'qcow2', 'cache': 'writeback'}
    assert q.find('readonly') is not None


def test_file_disk_refusals():
    with pytest.raises(driver.DriverError, match='not absolute'):
        el({'driver_volume_type': 'file', 'data': {'path': 'rel/p'}})
    with pytest.raises(driver.DriverError, match="'vmdk'"):
        el({'driver_volume_type': 'file', 'data': {'path': '/p', 'format': 'vmdk'}})


def test_cache_probe(tmp_path, monkeypatch):
    f = tmp_path / 'v'
    f.write_bytes(b'\0' * 4096)
    assert volume.file_cache_mode(str(f)) == 'none'            # ext4 takes O_DIRECT
    assert volume.file_cache_mode(str(tmp_path / 'missing')) == 'none'

    def no_direct(path, flags, *a):      # a filesystem refusing O_DIRECT (older tmpfs)
        raise OSError(errno.EINVAL, 'Invalid argument')
    monkeypatch.setattr(volume.os, 'open', no_direct)
    assert volume.file_cache_mode(str(f)) == 'writeback'


def test_iscsi_disk_with_chap():
    usage = volume.secret_usage(UUID, 'vdc')
    d = el(ISCSI_CI, 'vdc', usage=usage)
    assert d.get('type') == 'network'
    src = d.find('source')
    assert (src.get('protocol'), src.get('name')) == ('iscsi', 'iqn.2026-01.t:v1/1')
    assert src.find('host').attrib == {'name': '127.0.0.1', 'port': '3260'}
    assert d.find('auth').get('username') == 'u'
    assert d.find('auth/secret').attrib == {'type': 'iscsi', 'usage': usage}
    assert volume.secret_usage_of(d) == usage
    assert 'pw' not in ET.tostring(d, encoding='unicode')     # the password is in the secret
    with pytest.raises(driver.DriverError, match='secret'):
        el(ISCSI_CI)                                          # CHAP needs the secret's usage
    noauth = dict(ISCSI_CI, data={k: v for k, v in ISCSI_CI['data'].items()
                                  if not k.startswith('auth')})
    assert volume.needs_secret(noauth) is None
    assert el(noauth).find('auth') is None
    v6 = dict(noauth, data=dict(noauth['data'], target_portal='[::1]:3261'))
    assert el(v6).find('source/host').attrib == {'name': '::1', 'port': '3261'}


def test_nbd_disk():
    d = el(NBD_CI)
    src = d.find('source')
    assert (src.get('protocol'), src.get('name')) == ('nbd', 'exp1')
    assert src.find('host').attrib == {'name': '127.0.0.1', 'port': '10809'}
    assert d.find('driver').get('type') == 'qcow2'


def test_rbd_disk():
    d = el(RBD_CI)
    src = d.find('source')
    assert (src.get('protocol'), src.get('name')) == ('rbd', 'volumes/volume-1')
    assert [h.attrib for h in src.findall('host')] == [
        {'name': '10.0.0.1', 'port': '6789'}, {'name': '10.0.0.2', 'port': '6790'}]
    assert d.find('auth').get('username') == 'cinder'
    assert d.find('auth/secret').attrib == {'type': 'ceph',
                                            'uuid': RBD_CI['data']['secret_uuid']}
    assert volume.secret_usage_of(d) is None      # the operator's secret: never ours to drop
    noauth = el({'driver_volume_type': 'rbd', 'data': {'name': 'p/i', 'hosts': ['h']}})
    assert noauth.find('auth') is None and noauth.find('source/host').get('port') is None


def test_unknown_type_named():
    with pytest.raises(driver.DriverError, match="'fibre_channel'"):
        el({'driver_volume_type': 'fibre_channel', 'data': {}})


def test_multiattach_disk_is_shareable_without_host_cache():
    ci = {'driver_volume_type': 'file',
          'data': {'path': '/v/vol-1', 'format': 'raw', 'multiattach': True}}
    d = el(ci, cache='writeback')
    assert d.find('shareable') is not None and d.find('driver').get('cache') == 'none'
    assert el(FILE_CI).find('shareable') is None


def domain(**kw):
    args = dict(name='d', instance={'uuid': UUID}, disk_path='/i/disk',
                console_log='/i/console.log')
    args.update(kw)
    return ET.fromstring(config.domain_xml(**args))


def test_boot_from_volume_domain_xml():
    root = volume.disk_element(FILE_CI, 'vda', VOL, cache_probe=lambda p: 'none')
    data = volume.disk_element(NBD_CI, 'vdc', 'data-vol')
    dom = domain(disk_path=None, volume_disks=[data, root], config_drive_path='/i/cd')
    disks = dom.findall('devices/disk')
    # root volume first (the guest's vda), the other volume, then the config drive
    assert [d.find('target').get('dev') for d in disks] == ['vda', 'vdc', 'vdz']
    assert disks[0].find('source').get('file') == '/v/vol-1'
    assert disks[0].findtext('serial') == VOL
    assert not [d for d in disks if d.find('source').get('file') == '/i/disk']
    assert dom.find('os/boot').get('dev') == 'hd'
    with pytest.raises(ValueError, match='no root disk'):
        domain(disk_path=None, volume_disks=[data])
    # an image-backed guest with an extra volume
    dom = domain(volume_disks=[data])
    assert [d.find('target').get('dev') for d in dom.findall('devices/disk')] == ['vda', 'vdc']
    assert [volume.describe(d) for d in volume.volume_disks(dom)] == [
        {'serial': 'data-vol', 'device': '/dev/vdc', 'target': 'nbd:exp1'}]


# -- the driver against an in-memory libvirt -----------------------------------
class FakeSecret:
    def __init__(self, conn, usage):
        self.conn, self.usage, self.value = conn, usage, None

    def setValue(self, v, flags=0):
        self.value = v

    def usageType(self):
        return libvirt.VIR_SECRET_USAGE_TYPE_ISCSI

    def usageID(self):
        return self.usage

    def undefine(self):
        self.conn.secrets.pop(self.usage, None)


def _err(code, msg):
    # libvirtError takes the thread's last libvirt error over ``msg``: one
    # left by an earlier test (a probe's broken connection) must not leak in
    libvirt.virResetLastError()
    e = libvirt.libvirtError(msg)
    e.err = (code, 0, msg, 0, '', '', '', 0, 0)
    return e


class FakeDomain:
    def __init__(self, conn, xml, active=True):
        self.conn = conn
        self.persistent = ET.fromstring(xml)
        self.live = ET.fromstring(xml) if active else None
        self.ignore_unplug = 0          # live unplug requests the "guest" ignores
        self.resized = []
        self.calls = []

    def isActive(self):
        return self.live is not None

    def XMLDesc(self, flags=0):
        tree = self.persistent if flags & libvirt.VIR_DOMAIN_XML_INACTIVE or \
            self.live is None else self.live
        return ET.tostring(tree, encoding='unicode')

    def connect(self):
        return self.conn

    def attachDeviceFlags(self, xml, flags):
        self.calls.append(('attach', flags))
        if flags & libvirt.VIR_DOMAIN_AFFECT_LIVE:
            if self.live is None:
                raise _err(libvirt.VIR_ERR_OPERATION_INVALID, 'domain is not running')
            self.live.find('devices').append(ET.fromstring(xml))
        if flags & libvirt.VIR_DOMAIN_AFFECT_CONFIG:
            self.persistent.find('devices').append(ET.fromstring(xml))

    def _remove(self, tree, dev):
        devs = tree.find('devices')
        for d in devs.findall('disk'):
            if d.find('target').get('dev') == dev:
                devs.remove(d)
                return
        raise _err(libvirt.VIR_ERR_DEVICE_MISSING, f'no disk {dev}')

    def detachDeviceFlags(self, xml, flags):
        self.calls.append(('detach', flags))
        dev = ET.fromstring(xml).find('target').get('dev')
        if flags & libvirt.VIR_DOMAIN_AFFECT_CONFIG:
            self._remove(self.persistent, dev)
        if flags & libvirt.VIR_DOMAIN_AFFECT_LIVE:
            if self.ignore_unplug:
                self.ignore_unplug -= 1
                return
            self._remove(self.live, dev)

    def blockResize(self, dev, size, flags):
        assert flags == libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES
        self.resized.append((dev, size))


class FakeConn:
    def __init__(self):
        self.domains = {}
        self.secrets = {}

    def lookupByUUIDString(self, uuid):
        if uuid not in self.domains:
            raise _err(libvirt.VIR_ERR_NO_DOMAIN, 'no domain')
        return self.domains[uuid]

    def secretLookupByUsage(self, kind, usage):
        if usage not in self.secrets:
            raise _err(libvirt.VIR_ERR_NO_SECRET, 'no secret')
        return self.secrets[usage]

    def secretDefineXML(self, xml):
        root = ET.fromstring(xml)
        assert root.get('private') == 'yes' and root.get('ephemeral') == 'no'
        assert root.find('usage').get('type') == 'iscsi'
        s = FakeSecret(self, root.findtext('usage/target'))
        self.secrets[s.usage] = s
        return s

    def listAllSecrets(self, flags=0):
        return list(self.secrets.values())


class Calls:
    def __init__(self, conn):
        self.c = conn

    def call(self, func):
        return func(self.c)


@pytest.fixture
def drv(conf, tmp_path):
    from iaas.compute.virt.libvirt.driver import LibvirtDriver
    conf.set_override('instances_path', str(tmp_path / 'instances'), group='compute')
    d = LibvirtDriver('unit-host')
    d.virt_type = 'qemu'
    d.conn = Calls(FakeConn())
    d.detach_retry_interval = 0.05
    yield d
    conf.clear_override('instances_path', group='compute')


def add_domain(drv, active=True, config_drive=True):
    xml = config.domain_xml('d', {'uuid': UUID}, '/i/disk', '/i/console.log',
                            config_drive_path='/i/disk.config' if config_drive else None)
    dom = FakeDomain(drv.conn.c, xml, active)
    drv.conn.c.domains[UUID] = dom
    return dom


INST = {'uuid': UUID}


def test_attach_detach_running(drv, monkeypatch):
    monkeypatch.setattr(volume, 'file_cache_mode', lambda p: 'none')
    dom = add_domain(drv)
    assert drv.attach_volume(None, INST, FILE_CI, None, VOL) == '/dev/vdb'
    assert dom.calls[-1] == ('attach', libvirt.VIR_DOMAIN_AFFECT_CONFIG |
                             libvirt.VIR_DOMAIN_AFFECT_LIVE)
    # vdz is the config drive's: the mountpoint asked for is taken, the next free one
    assert drv.attach_volume(None, INST, ISCSI_CI, '/dev/vdz', 'vol-2') == '/dev/vdc'
    usage = volume.secret_usage(UUID, 'vdc')
    assert drv.conn.c.secrets[usage].value == b'pw'
    assert drv.volume_devices(INST) == [
        {'serial': VOL, 'device': '/dev/vdb', 'target': '/v/vol-1'},
        {'serial': 'vol-2', 'device': '/dev/vdc', 'target': 'iscsi:iqn.2026-01.t:v1/1'}]
    with pytest.raises(driver.DriverError, match='already attached'):
        drv.attach_volume(None, INST, FILE_CI, None, VOL)
    with pytest.raises(driver.DriverError, match="'lightos'"):
        drv.attach_volume(None, INST, {'driver_volume_type': 'lightos'}, None, 'x')

    drv.extend_volume(None, INST, FILE_CI, 3 << 30, VOL)
    assert dom.resized == [('vdb', 3 << 30)]

    # the guest ignores the first unplug request: it is repeated until it took
    dom.ignore_unplug = 2
    drv.detach_volume(None, INST, ISCSI_CI, '/dev/vdc', 'vol-2')
    assert usage not in drv.conn.c.secrets
    assert [c for c in dom.calls if c[0] == 'detach'].count(
        ('detach', libvirt.VIR_DOMAIN_AFFECT_LIVE)) == 3
    assert [v['serial'] for v in drv.volume_devices(INST)] == [VOL]
    drv.detach_volume(None, INST, ISCSI_CI, '/dev/vdc', 'vol-2')    # idempotent
    drv.detach_volume(None, INST, FILE_CI, '/dev/vdb', VOL)
    assert drv.volume_devices(INST) == []
    assert volume.volume_disks(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) == []
    drv.detach_volume(None, {'uuid': 'no-such'}, FILE_CI, '/dev/vdb', VOL)  # no guest


def test_detach_deadline(drv, monkeypatch):
    monkeypatch.setattr(volume, 'file_cache_mode', lambda p: 'none')
    dom = add_domain(drv)
    drv.attach_volume(None, INST, FILE_CI, None, VOL)
    dom.ignore_unplug = 10 ** 6
    drv.detach_timeout = 0.5
    with pytest.raises(driver.DriverError, match='did not release'):
        drv.detach_volume(None, INST, FILE_CI, '/dev/vdb', VOL)
    # the persistent definition no longer has it; the live guest still does
    assert volume.volume_disks(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) == []
    assert [v['serial'] for v in drv.volume_devices(INST)] == [VOL]


def test_attach_to_stopped_guest_is_persistent_only(drv, monkeypatch):
    monkeypatch.setattr(volume, 'file_cache_mode', lambda p: 'none')
    dom = add_domain(drv, active=False, config_drive=False)
    assert drv.attach_volume(None, INST, NBD_CI, '/dev/vdd', VOL) == '/dev/vdd'
    assert dom.calls[-1] == ('attach', libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    drv.extend_volume(None, INST, NBD_CI, 1 << 30, VOL)       # read at the next start
    assert dom.resized == []
    # a redefinition (hard reboot, resize) keeps the volume
    xml = ET.fromstring(drv._xml({'uuid': UUID}))
    assert [volume.describe(d) for d in volume.volume_disks(xml)] == [
        {'serial': VOL, 'device': '/dev/vdd', 'target': 'nbd:exp1'}]
    drv.detach_volume(None, INST, NBD_CI, None, VOL)
    assert dom.calls[-1] == ('detach', libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    assert drv.volume_devices(INST) == []
    with pytest.raises(driver.InstanceNotFoundInDriver):
        drv.attach_volume(None, {'uuid': 'no-such'}, FILE_CI)


def test_attach_failure_drops_the_secret(drv):
    dom = add_domain(drv, config_drive=False)

    def refuse(xml, flags):
        raise _err(libvirt.VIR_ERR_INTERNAL_ERROR, 'iSCSI login failed')
    dom.attachDeviceFlags = refuse
    with pytest.raises(driver.DriverError, match='iSCSI login failed'):
        drv.attach_volume(None, INST, ISCSI_CI, None, VOL)
    assert drv.conn.c.secrets == {}


def test_spawn_xml_from_block_device_info(drv):
    bdi = {'root_device_name': '/dev/vda', 'block_device_mapping': [
        {'connection_info': ISCSI_CI, 'mount_device': '/dev/vdb', 'boot_index': None,
         'serial': 'data-vol', 'delete_on_termination': True},
        {'connection_info': NBD_CI, 'mount_device': '/dev/vda', 'boot_index': 0,
         'serial': VOL, 'delete_on_termination': False}]}
    disks = drv._mapping_disks(UUID, bdi)
    xml = ET.fromstring(drv._xml({'uuid': UUID}, None, disks))
    got = [volume.describe(d) for d in xml.findall('devices/disk')]
    assert got == [{'serial': VOL, 'device': '/dev/vda', 'target': 'nbd:exp1'},
                   {'serial': 'data-vol', 'device': '/dev/vdb',
                    'target': 'iscsi:iqn.2026-01.t:v1/1'}]
    assert volume.secret_usage(UUID, 'vdb') in drv.conn.c.secrets
    # destroy: the secrets go, nothing else of the volumes
    drv._undefine = lambda uuid: None
    drv.destroy(None, {'uuid': UUID})
    assert drv.conn.c.secrets == {}
