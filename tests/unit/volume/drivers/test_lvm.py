"""The lvm backend at the command level (no device-mapper here): the argv it
runs as root, each checked against the privileged allow-list, with canned
LVM reports."""
import pytest

from iaas.privileged import commands
from iaas.volume.drivers import base, lvm
from tests.unit.volume.drivers.faketgt import FakeTgtd
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume

REPORT = ['--noheadings', '--units', 'g', '--nosuffix', '--separator', '|', '-o']


class FakeLVM(FakeTgtd):
    """LVM tools on canned state, plus tgtadm."""

    def __init__(self):
        super().__init__()
        self.lvs = {'iaas-pool': (100.0, 12.5, '')}     # name -> (size GiB, data%, pool)
        self.unprivileged = []

    def execute(self, argv, root=False, input=None, timeout=600, check=True):
        if argv[0] == 'tgtadm':
            return super().execute(argv, root, input, timeout, check)
        if not root:
            self.unprivileged.append(list(argv))
            return '' if check else (0, '', '')
        commands.check_volume(argv)
        self.argvs.append(list(argv))
        out = ''
        if argv[0] == 'lvs':
            out = ''.join(f'  {n}|{s:.2f}|{d:.2f}|{p}\n' for n, (s, d, p) in self.lvs.items())
        elif argv[0] == 'vgs':
            out = '  vg0|200.00|100.00\n'
        elif argv[0] == 'lvcreate' and argv[1] == '-T':
            self.lvs[argv[6]] = (float(argv[4][:-1]), 0.0, 'iaas-pool')
        elif argv[0] == 'lvcreate':
            src = self.lvs[argv[5].split('/')[1]]
            self.lvs[argv[4]] = (src[0], 0.0, 'iaas-pool')
        elif argv[0] == 'lvextend':
            name = argv[3].split('/')[1]
            self.lvs[name] = (float(argv[2][:-1]),) + self.lvs[name][1:]
        elif argv[0] == 'lvremove':
            del self.lvs[argv[2].split('/')[1]]
        return out if check else (0, out, '')


@pytest.fixture
def driver(tmp_path, conf, monkeypatch):
    # the LVs are no block devices here
    monkeypatch.setattr(commands, '_lv_device', lambda path, names=commands.LV_NAME:
                        path.startswith('/dev/vg0/') and bool(names.match(path[9:])))
    d = lvm.LVMDriver('lv', make_conf(lvm.LVMDriver, conf.state_path, volume_group='vg0'),
                      'h1')
    d.fake = FakeLVM()
    d._execute = d.fake.execute
    return d


def test_check_setup_and_capacity(driver, monkeypatch):
    monkeypatch.setattr(base, 'require_binaries', lambda *names: None)
    driver.check_setup()
    driver.create_volume(new_volume(10))
    driver.create_volume(new_volume(30))
    assert driver.get_capacity() == {'total_gb': 100.0, 'free_gb': 87.5,
                                     'provisioned_gb': 40.0, 'thin': True}
    assert driver.fake.argvs[0] == ['vgs', *REPORT, 'vg_name,vg_size,vg_free', 'vg0']
    del driver.fake.lvs['iaas-pool']
    with pytest.raises(base.DriverError, match='thin pool vg0/iaas-pool is missing'):
        driver.check_setup()


def test_volume_snapshot_clone_extend_delete_argv(driver):
    v = new_volume(10)
    assert driver.create_volume(v) == {'provider_location': f'vg0/volume-{v["id"]}'}
    s = new_snapshot(v)
    assert driver.create_snapshot(s, v) == {'provider_location': f'vg0/snapshot-{s["id"]}'}
    from_snap, clone = new_volume(20), new_volume(10)
    driver.create_volume_from_snapshot(from_snap, s)
    driver.create_cloned_volume(clone, v)
    driver.extend_volume(v, 15)
    driver.delete_snapshot(s, v)
    driver.delete_snapshot(s, v)                # absent: nothing run
    driver.delete_volume(v)
    driver.delete_volume(v)
    runs = [a for a in driver.fake.argvs if a[0] not in ('lvs', 'tgtadm')]
    assert runs == [
        ['lvcreate', '-T', 'vg0/iaas-pool', '-V', '10g', '-n', f'volume-{v["id"]}'],
        ['lvcreate', '-kn', '-s', '-n', f'snapshot-{s["id"]}', f'vg0/volume-{v["id"]}'],
        ['lvcreate', '-kn', '-s', '-n', f'volume-{from_snap["id"]}', f'vg0/snapshot-{s["id"]}'],
        ['lvextend', '-L', '20g', f'vg0/volume-{from_snap["id"]}'],
        ['lvcreate', '-kn', '-s', '-n', f'volume-{clone["id"]}', f'vg0/volume-{v["id"]}'],
        ['lvextend', '-L', '15g', f'vg0/volume-{v["id"]}'],
        ['lvremove', '-f', f'vg0/snapshot-{s["id"]}'],
        ['lvremove', '-f', f'vg0/volume-{v["id"]}'],
    ]
    with pytest.raises(base.DriverError, match='smaller'):
        driver.create_cloned_volume(new_volume(5), from_snap | {'size': 20})


def test_from_image_copies_raw_data_only_as_root(driver, conf, tmp_path):
    import os
    raw = os.path.join(conf.state_path, 'image.raw')
    with open(raw, 'wb') as f:
        f.truncate(1 << 20)
    v = new_volume(1)
    driver.create_volume_from_image(v, raw, 'raw')
    dev = f'/dev/vg0/volume-{v["id"]}'
    assert driver.fake.argvs[-1] == ['qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n',
                                     raw, dev]
    # a qcow2 image is converted as the service's user first, then copied raw
    qcow = tmp_path / 'img.qcow2'
    qcow.write_bytes(b'QFI\xfb' + b'\0\0\0\x03' + b'\0' * 16 + (1 << 20).to_bytes(8, 'big')
                     + b'\0' * 48)
    w = new_volume(1)
    driver.create_volume_from_image(w, str(qcow), 'qcow2')
    conv = driver.fake.unprivileged[-1]
    assert conv[:6] == ['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw']
    assert conv[7].startswith(driver.conf.image_conversion_dir)
    assert driver.fake.argvs[-1][-2:] == [conv[7], f'/dev/vg0/volume-{w["id"]}']
    assert not os.path.exists(conv[7])
    # too large: refused before any LV is made
    with pytest.raises(base.DriverError, match='larger than the volume'):
        driver.create_volume_from_image(new_volume(1), _big(tmp_path), 'raw')


def _big(tmp_path):
    p = tmp_path / 'big.raw'
    with open(p, 'wb') as f:
        f.truncate((1 << 30) + 1)
    return str(p)


def test_export_is_the_lv_through_tgt(driver):
    v = new_volume(1)
    driver.create_volume(v)
    conn = {'host': 'c', 'ip': '10.1.1.1', 'initiator': None}
    with pytest.raises(base.VolumeNotFoundInDriver):     # no device node here
        driver.initialize_connection(v, conn)
    assert driver.local_path(v) == f'/dev/vg0/volume-{v["id"]}'
    assert driver.protocol == 'iscsi'
