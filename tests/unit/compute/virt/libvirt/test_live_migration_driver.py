"""The libvirt driver's live migration (iaas/compute/virt/libvirt/migration.py):
flags, the destination URI, the XML the destination starts from, the disks
a block migration copies, and the watched migrateToURI3 (timeout → abort)."""
import threading
import xml.etree.ElementTree as ET

import pytest

from iaas.compute.virt import driver as virt_driver
from iaas.compute.virt.libvirt import config, migration, volume

libvirt = pytest.importorskip('libvirt')
UUID = '6f0c3c0e-0000-4000-8000-000000000002'
INSTANCE = {'uuid': UUID, 'vcpus': 1, 'memory_mb': 64}
SRC = '/srv/a/instances'
DST = '/srv/b/instances'


def _xml(serial_tcp=('127.0.0.1', 10001)):
    vol = volume.disk_element({'driver_volume_type': 'file',
                               'data': {'path': '/volumes/v1'}}, 'vdb', 'vol-1', None)
    xml = config.domain_xml('iaas-x', INSTANCE, f'{SRC}/{UUID}/disk',
                            f'{SRC}/{UUID}/console.log',
                            config_drive_path=f'{SRC}/{UUID}/disk.config',
                            volume_disks=[vol], serial_tcp=serial_tcp)
    # the live XML of a running domain names the backing chain
    root = ET.fromstring(xml)
    disk = root.find('devices/disk')
    chain = ET.SubElement(disk, 'backingStore', type='file')
    ET.SubElement(chain, 'source', file=f'{SRC}/_base/img')
    return ET.tostring(root, encoding='unicode')


def test_flags():
    base = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER |
            libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
    assert migration.migration_flags(False) == base
    assert migration.migration_flags(True) == base | libvirt.VIR_MIGRATE_NON_SHARED_INC
    assert not migration.migration_flags(True) & libvirt.VIR_MIGRATE_TUNNELLED


def test_uri(conf):
    assert migration.migration_uri(host='cmp2') == 'qemu+tcp://cmp2/system'
    conf.set_override('live_migration_inbound_addr', '127.0.0.3:16612', group='libvirt')
    assert migration.migration_uri(host='cmp2') == 'qemu+tcp://127.0.0.3:16612/system'
    conf.set_override('live_migration_uri', 'qemu+ssh://%s/system', group='libvirt')
    assert migration.migration_uri() == 'qemu+ssh://127.0.0.3:16612/system'
    assert migration.migration_uri('qemu+tcp://fixed/system') == 'qemu+tcp://fixed/system'


def test_rewrite_moves_paths_drops_chains_and_takes_the_serial_port():
    out = ET.fromstring(migration.rewrite_xml(_xml(), SRC, DST, ['127.0.0.1', 10207]))
    files = [s.get('file') for s in out.iter('source') if s.get('file')]
    assert f'{DST}/{UUID}/disk' in files and f'{DST}/{UUID}/disk.config' in files
    assert '/volumes/v1' in files                         # a volume stays where it is
    assert not any(f.startswith(SRC) for f in files)
    assert out.find('devices/serial/log').get('file') == f'{DST}/{UUID}/console.log'
    assert not out.findall('.//backingStore')
    for el in ('serial', 'console'):
        src = out.find(f'devices/{el}/source')
        assert (src.get('host'), src.get('service')) == ('127.0.0.1', '10207')
    # a prefix that merely starts alike is not moved
    assert f'{SRC}x' not in migration.rewrite_xml(_xml(), SRC + 'x', DST)
    same = ET.fromstring(migration.rewrite_xml(_xml(), SRC, DST))
    assert same.find('devices/serial/source').get('service') == '10001'


def test_only_the_local_writable_disk_is_copied():
    assert migration.local_disks(_xml(), f'{SRC}/{UUID}') == ['vda']
    assert migration.local_disks(_xml(), f'{SRC}/other') == []


class FakeDom:
    """migrateToURI3 that runs until aborted (or finishes when told)."""

    def __init__(self, finish=False, fail=None):
        self.aborted = threading.Event()
        self.finish, self.fail = finish, fail
        self.calls = []

    def migrateToURI3(self, uri, params, flags):
        self.calls.append((uri, params, flags))
        if self.fail:
            raise libvirt.libvirtError(self.fail)
        if self.finish:
            return None
        self.aborted.wait(10)
        raise libvirt.libvirtError('operation aborted: migration out job: canceled by client')

    def jobStats(self, flags=0):
        return {'memory_processed': 3 << 20, 'memory_total': 64 << 20}

    def abortJob(self):
        self.aborted.set()


class Conn:
    def __init__(self, dom):
        self.dom = dom

    def call(self, func):
        return func(None)


class Driver(migration.LiveMigrationMixin):
    def __init__(self, dom):
        self.conn = Conn(dom)

    def _lookup(self, conn, uuid):
        return self.conn.dom


def test_timeout_aborts_and_the_error_says_so(conf, monkeypatch):
    conf.set_override('live_migration_timeout', 1, group='libvirt')
    monkeypatch.setattr(migration, 'POLL', 0.05)
    dom = FakeDom()
    with pytest.raises(virt_driver.DriverError, match='aborted after 1s'):
        Driver(dom)._run_migration(UUID, 'qemu+tcp://h2/system', {}, 0, 'h2')
    assert dom.aborted.is_set()


def test_success_and_failure(conf, monkeypatch):
    monkeypatch.setattr(migration, 'POLL', 0.05)
    dom = FakeDom(finish=True)
    stats = Driver(dom)._run_migration(UUID, 'qemu+tcp://h2/system', {'p': 1},
                                       migration.migration_flags(True), 'h2')
    assert dom.calls == [('qemu+tcp://h2/system', {'p': 1}, migration.migration_flags(True))]
    assert 'total_s' in stats
    with pytest.raises(virt_driver.DriverError, match='failed: .*same host'):
        Driver(FakeDom(fail='Attempt to migrate guest to the same host'))._run_migration(
            UUID, 'u', {}, 0, 'h2')
