"""The file backend's logic without qemu: qcow2 headers, formats, names,
crash recovery, the overlay/copy decision, image refusals (the real chains:
tests/functional/volume/drivers/test_file.py)."""
import os
import struct

import pytest

from iaas.volume.drivers import base, file, nbd
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume


@pytest.fixture
def driver(tmp_path):
    d = file.FileDriver('f', make_conf(file.FileDriver, tmp_path), 'h1')
    os.makedirs(d.volumes_dir)
    return d


def qcow2(path, size, backing=None, incompat=0):
    head = struct.pack('>4sIQIIQ', b'QFI\xfb', 3, 104 if backing else 0,
                       len(backing or ''), 16, size) + b'\0' * 40 + struct.pack('>Q', incompat)
    head += b'\0' * (104 - len(head)) + (backing or '').encode()
    with open(path, 'wb') as f:
        f.write(head)


def test_volumes_dir_defaults_under_state_path(driver, tmp_path):
    assert driver.volumes_dir == str(tmp_path / 'volumes')


def test_empty_qcow2_header(tmp_path):
    p = tmp_path / 'v'
    file.write_empty_qcow2(str(p), 5 << 30)
    assert file.qcow2_header(str(p)) == (5 << 30, None, 0)
    with open(p, 'rb') as f:
        head = f.read(104)
    l1_size, l1_offset = struct.unpack('>IQ', head[36:48])
    assert l1_size == 10 and l1_offset == 3 << 16
    assert os.path.getsize(p) == 4 << 16


def test_format_comes_from_the_provider_location_not_the_content(driver):
    v = new_volume()
    assert driver.volume_format(dict(v, provider_location='raw:volume-x')) == 'raw'
    assert driver.volume_format(dict(v, provider_location='qcow2:volume-x')) == 'qcow2'
    assert driver.volume_format(v) == 'qcow2'          # the option, for new volumes
    raw = dict(v, provider_location='raw:x')
    with open(driver.path(v), 'wb') as f:
        f.write(b'QFI\xfb' + b'\0' * 100)               # a guest wrote a qcow2 header
    assert driver._chain(v['id'], driver.volume_format(raw)) == [f'volume-{v["id"]}']


def test_check_image_refuses_images_naming_other_files(tmp_path):
    p = str(tmp_path / 'i')
    qcow2(p, 1 << 20, backing='/etc/shadow')
    with pytest.raises(base.DriverError, match='backing file'):
        file.check_image(None, p, 'qcow2', 1 << 30)
    qcow2(p, 1 << 20, incompat=file.QCOW2_INCOMPAT_DATA_FILE)
    with pytest.raises(base.DriverError, match='data file'):
        file.check_image(None, p, 'qcow2', 1 << 30)
    qcow2(p, 2 << 30)
    with pytest.raises(base.DriverError, match='larger than the volume'):
        file.check_image(None, p, 'qcow2', 1 << 30)
    qcow2(p, 1 << 20)
    assert file.check_image(None, p, 'qcow2', 1 << 30) == 1 << 20
    info = '{"virtual-size": 1024, "format-specific": {"data": {"extents": [{"filename": "/x"}]}}}'
    with pytest.raises(base.DriverError, match='naming other files'):
        file.check_image(lambda *a, **kw: info, p, 'vmdk', 1 << 30)


def test_recover_finishes_or_undoes_an_overlay_snapshot(driver):
    v = new_volume()
    path = driver.path(v)
    open(path + '.new', 'w').close()
    driver._recover(v['id'])                # crash after the first rename: finish it
    assert os.path.exists(path) and not os.path.exists(path + '.new')
    open(path + '.new', 'w').close()
    open(path + '.part', 'w').close()
    driver._recover(v['id'])                # crash before it: undo
    assert os.path.exists(path) and not os.path.exists(path + '.new')
    assert not os.path.exists(path + '.part')


@pytest.mark.parametrize('in_use, locked, fmt, kind', [
    (False, False, 'qcow2', 'overlay'), (True, False, 'qcow2', 'copy'),
    (False, True, 'qcow2', 'copy'), (False, False, 'raw', 'copy'),
])
def test_overlay_only_when_the_volume_is_free(driver, monkeypatch, in_use, locked, fmt, kind):
    ran = []

    def qemu_img(*args, **kw):
        ran.append(args)
        if args[0] == 'convert':
            open(args[-1], 'wb').close()
        if args[0] == 'create':
            open(args[-2], 'wb').close()
    monkeypatch.setattr(driver, '_qemu_img', qemu_img)
    monkeypatch.setattr(driver, '_locked', lambda path, fmt: locked)
    v = new_volume(1, provider_location=f'{fmt}:x')
    driver._make_empty(driver.path(v), fmt, 1 << 30)
    s = new_snapshot(v)
    loc = driver.create_snapshot(s, v, in_use=in_use)['provider_location']
    assert loc.startswith(kind + ':')
    if kind == 'overlay':
        assert ran == [('create', '-q', '-f', 'qcow2', '-u', '-b',
                        f'volume-{v["id"]}.snap-{s["id"]}', '-F', 'qcow2',
                        driver.path(v) + '.new', str(1 << 30))]
        assert os.path.exists(os.path.join(driver.volumes_dir, loc.split(':')[1]))
    else:
        assert ran[-1][:5] == ('convert', '-U', '-f', fmt, '-O')


def test_snapshot_delete_is_deferred_while_the_volume_is_locked(driver, monkeypatch):
    v = new_volume(1, provider_location='qcow2:x')
    base_name = f'volume-{v["id"]}.snap-{new_snapshot(v)["id"]}'
    s = {'id': base_name.rsplit('snap-', 1)[1], 'volume_id': v['id'],
         'provider_location': f'overlay:{base_name}'}
    file.write_empty_qcow2(os.path.join(driver.volumes_dir, base_name), 1 << 30)
    with open(driver.path(v), 'wb') as f:       # the volume: an overlay on it
        qcow2_head = struct.pack('>4sIQIIQ', b'QFI\xfb', 3, 104, len(base_name), 16, 1 << 30)
        f.write(qcow2_head + b'\0' * (104 - len(qcow2_head)) + base_name.encode())

    def busy(*args, **kw):
        raise file.Busy('locked')
    monkeypatch.setattr(driver, '_qemu_img', busy)
    driver.delete_snapshot(s, v)
    assert os.path.exists(os.path.join(driver.volumes_dir, base_name + '.deleted'))
    assert driver._chain(v['id'], 'qcow2') == [f'volume-{v["id"]}', base_name]


def test_nbd_records_only_trust_our_own_servers(tmp_path):
    d = nbd.NBDDriver('n', make_conf(nbd.NBDDriver, tmp_path), 'h1')
    os.makedirs(d.state_dir)
    with open(d._pid_file('volume-x-1'), 'w') as f:
        f.write(str(os.getpid()))               # a live pid that is no qemu-nbd
    assert d._pid('volume-x-1') is None
    a = {'host': 'c1', 'ip': '10.0.0.1', 'initiator': None}
    assert d.connector_key(a) == d.connector_key(dict(a)) != d.connector_key(dict(a, host='c2'))
