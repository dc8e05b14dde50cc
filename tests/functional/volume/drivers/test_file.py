"""The file backend with the real qemu-img: snapshot chains, deleting a
snapshot in the middle, volumes from snapshots and clones, extend, raw
I/O through open_volume, thin bulk creates and creates from an image
(their speed: tools/bench/volume.py)."""
import os
import shutil
import subprocess
import time

import pytest

from iaas.volume.drivers import base, file
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume

pytestmark = pytest.mark.skipif(not shutil.which('qemu-img') or not shutil.which('qemu-nbd'),
                                reason='qemu-img/qemu-nbd (qemu-utils) not installed')
MiB = 1 << 20


@pytest.fixture(params=['qcow2', 'raw'])
def driver(request, tmp_path):
    d = file.FileDriver('f', make_conf(file.FileDriver, tmp_path,
                                       volume_format=request.param), 'h1')
    d.check_setup()
    return d


def write(d, v, offset, data):
    with d.open_volume(v, 'r+b') as f:
        f.seek(offset)
        f.write(data)


def read(d, v, offset, n):
    with d.open_volume(v) as f:
        f.seek(offset)
        return f.read(n)


def make(d, size=1, **kw):
    v = new_volume(size)
    v.update(d.create_volume(v))
    return v


def snap(d, v, in_use=False):
    s = new_snapshot(v)
    s.update(d.create_snapshot(s, v, in_use=in_use))
    return s


def from_snap(d, s, size=1):
    v = new_volume(size)
    v.update(d.create_volume_from_snapshot(v, s))
    return v


def test_snapshot_chain_delete_middle_keeps_every_view(driver):
    d = driver
    v = make(d)
    pattern = {}
    snaps = []
    for i, ch in enumerate(b'ABCD'):
        write(d, v, (i + 1) * MiB, bytes([ch]) * 4096)   # each generation adds a block
        write(d, v, 0, bytes([ch]) * 512)          # and rewrites the first one
        pattern[ch] = i
        snaps.append(snap(d, v))
    write(d, v, 0, b'Z' * 512)
    kind = 'overlay' if d.conf.volume_format == 'qcow2' else 'copy'
    assert all(s['provider_location'].startswith(kind + ':') for s in snaps)
    if kind == 'overlay':
        assert d._chain(v['id'], 'qcow2')[0] == f'volume-{v["id"]}'
        assert len(d._chain(v['id'], 'qcow2')) == 5
    # delete B (middle) then A (the oldest, base of the chain)
    d.delete_snapshot(snaps[1], v)
    d.delete_snapshot(snaps[1], v)               # idempotent
    d.delete_snapshot(snaps[0], v)
    if kind == 'overlay':
        assert len(d._chain(v['id'], 'qcow2')) == 3
    for s, ch in ((snaps[2], b'C'), (snaps[3], b'D')):
        nv = from_snap(d, s, size=2)
        assert read(d, nv, 0, 512) == ch * 512
        for prev in b'ABCD'[:pattern[ch[0]] + 1]:
            i = pattern[prev]
            assert read(d, nv, (i + 1) * MiB, 4096) == bytes([prev]) * 4096
        assert read(d, nv, 4 * MiB, 1) == (b'D' if ch == b'D' else b'\0')
        with d.open_volume(nv) as f:
            assert f.seek(0, 2) == 2 << 30
    assert read(d, v, 0, 512) == b'Z' * 512
    assert read(d, v, 4 * MiB, 4096) == b'D' * 4096
    # the volume's path never changed; everything goes with the volume
    assert d.local_path(v) == os.path.join(d.volumes_dir, f'volume-{v["id"]}')
    d.delete_volume(v)
    d.delete_volume(v)
    assert not [n for n in os.listdir(d.volumes_dir) if n.startswith(f'volume-{v["id"]}')]


def test_clone_extend_capacity_and_delete_after_extend(driver):
    d = driver
    v = make(d)
    write(d, v, 5, b'hello')
    s = snap(d, v)
    d.extend_volume(v, 3)
    write(d, v, (2 << 30) + 7, b'far')
    clone = new_volume(4)
    clone.update(d.create_cloned_volume(clone, v))
    assert read(d, clone, 5, 5) == b'hello' and read(d, clone, (2 << 30) + 7, 3) == b'far'
    with d.open_volume(clone) as f:
        assert f.seek(0, 2) == 4 << 30
    d.delete_snapshot(s, v)                      # merge into a larger child
    with d.open_volume(v) as f:
        assert f.seek(0, 2) == 3 << 30
        f.seek((2 << 30) + 7)
        assert f.read(3) == b'far'
    cap = d.get_capacity()
    assert cap['provisioned_gb'] == 7.0 and cap['thin'] and 0 < cap['free_gb'] <= cap['total_gb']
    info = d.initialize_connection(v, {'host': 'h1', 'ip': '127.0.0.1', 'initiator': None})
    assert info == {'driver_volume_type': 'file', 'data': {
        'path': d.local_path(v), 'format': d.conf.volume_format, 'volume_id': v['id']}}
    with pytest.raises(base.DriverError):
        d.extend_volume(v, 2)


def test_open_volume_roundtrip_of_a_pattern(driver):
    d = driver
    v = make(d, size=1)
    blob = bytes(range(256)) * 4096 * 3            # 3 MiB, crosses request chunks
    write(d, v, 12345, blob)
    assert read(d, v, 12345, len(blob)) == blob
    with d.open_volume(v) as f:
        data = f.read(2 * MiB)
        assert data[:12345] == b'\0' * 12345 and data[12345:] == blob[:2 * MiB - 12345]


def test_in_use_snapshot_is_a_copy_and_delete_waits_for_the_lock(tmp_path):
    d = file.FileDriver('f', make_conf(file.FileDriver, tmp_path), 'h1')
    d.check_setup()
    v = make(d)
    write(d, v, 0, b'one')
    s1 = snap(d, v)                                # overlay (volume free)
    write(d, v, 0, b'two')
    # a qemu holds the volume: qemu-nbd with the file open for writing
    pid_file = tmp_path / 'holder.pid'
    sock = tmp_path / 'holder.sock'
    subprocess.run(['qemu-nbd', '--fork', '-t', '-k', str(sock), '--pid-file', str(pid_file),
                    '-f', 'qcow2', d.local_path(v)], check=True, timeout=30)
    holder = int(pid_file.read_text())
    try:
        s2 = snap(d, v)                            # locked -> crash-consistent copy
        assert s2['provider_location'].startswith('copy:')
        s3 = snap(d, v, in_use=True)
        assert s3['provider_location'].startswith('copy:')
        d.delete_snapshot(s1, v)                   # its child (the volume) is locked
        assert os.path.exists(d._snapshot_file(s1)[1] + '.deleted')
        with pytest.raises(base.VolumeBusy, match='held by a running guest'):
            d.extend_volume(v, 2)
    finally:
        os.kill(holder, 15)
        deadline = time.monotonic() + 10
        while os.path.exists(f'/proc/{holder}') and time.monotonic() < deadline:
            time.sleep(0.02)
    assert read(d, from_snap(d, s2), 0, 3) == b'two'
    d.delete_snapshot(s3, v)                       # merges the pending one too
    assert not os.path.exists(d._snapshot_file(s1)[1])
    assert d._chain(v['id'], 'qcow2') == [f'volume-{v["id"]}']
    assert read(d, v, 0, 3) == b'two'


def test_interrupted_overlay_snapshot_is_finished(tmp_path):
    d = file.FileDriver('f', make_conf(file.FileDriver, tmp_path), 'h1')
    d.check_setup()
    v = make(d)
    write(d, v, 0, b'data')
    path = d.local_path(v)
    sid = new_snapshot(v)['id']
    snap_name = f'volume-{v["id"]}.snap-{sid}'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-u', '-b', snap_name, '-F',
                    'qcow2', path + '.new', str(1 << 30)], check=True)
    os.rename(path, os.path.join(d.volumes_dir, snap_name))   # crash after the first rename
    d.check_setup()
    assert read(d, v, 0, 4) == b'data'
    assert d._chain(v['id'], 'qcow2') == [f'volume-{v["id"]}', snap_name]


def test_images_naming_other_files_are_refused(tmp_path):
    d = file.FileDriver('f', make_conf(file.FileDriver, tmp_path), 'h1')
    d.check_setup()
    secret = tmp_path / 'secret'
    secret.write_bytes(b'S' * 4096)
    img = tmp_path / 'evil.qcow2'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', str(secret), '-F', 'raw',
                    str(img)], check=True)
    with pytest.raises(base.DriverError, match='backing file'):
        d.create_volume_from_image(new_volume(1), str(img), 'qcow2')
    vmdk = tmp_path / 'evil.vmdk'
    vmdk.write_text('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
                    'createType="monolithicFlat"\n'
                    f'RW 8 FLAT "{secret}" 0\n'
                    'ddb.virtualHWVersion = "4"\n')
    with pytest.raises(base.DriverError, match='naming other files'):
        d.create_volume_from_image(new_volume(1), str(vmdk), 'vmdk')
    big = tmp_path / 'big.qcow2'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(big), '2G'], check=True)
    with pytest.raises(base.DriverError, match='larger than the volume'):
        d.create_volume_from_image(new_volume(1), str(big), 'qcow2')
    assert [n for n in os.listdir(d.volumes_dir)] == []


def test_hundred_volumes_are_thin(driver):
    # the speed of bulk creates is measured by tools/bench/volume.py; here:
    # each create allocates next to nothing, whatever its size
    vols = [make(driver, size=1) for _ in range(100)]
    assert driver.get_capacity()['provisioned_gb'] == 100.0
    allocated = sum(os.stat(driver.path(v)).st_blocks * 512 for v in vols)
    assert allocated < 100 * MiB, f'100 empty 1 GiB volumes allocate {allocated} bytes'


def test_from_image_is_one_convert_and_stays_sparse(driver, tmp_path, monkeypatch):
    """A bare ``qemu-img convert``'s work and no more (its speed against a
    bare convert is measured by tools/bench/volume.py): one convert of the
    image straight into the volume, zeros skipped, nothing rewritten after."""
    img = tmp_path / 'image.qcow2'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(img), '512M'], check=True)
    subprocess.run(['qemu-io', '-c', 'write -P 0x5a 0 64M', str(img)], check=True,
                   capture_output=True)
    calls = []
    real = driver._qemu_img

    def spy(*args, **kw):
        calls.append(args[0])
        return real(*args, **kw)

    monkeypatch.setattr(driver, '_qemu_img', spy)
    v = new_volume(1)
    v.update(driver.create_volume_from_image(v, str(img), 'qcow2'))
    assert calls.count('convert') == 1 and 'resize' not in calls, calls
    assert read(driver, v, 64 * MiB - 1, 2) == b'\x5a\0'
    allocated = os.stat(driver.path(v)).st_blocks * 512
    assert allocated < 80 * MiB, f'a 64 MiB image allocates {allocated} bytes in the volume'
    driver.delete_volume(v)


def test_multiattach_volumes_are_raw_whatever_the_backend_format(driver):
    # several guests write a multiattach volume: never a qcow2 (its metadata)
    v = new_volume(1)
    v['multiattach'] = True
    v.update(driver.create_volume(v))
    assert v['provider_location'].startswith('raw:')
    info = driver.initialize_connection(v, {'host': 'h2'})
    assert info['data']['format'] == 'raw'
    with open(driver.path(v), 'rb') as f:
        assert f.read(4) != b'QFI\xfb'
    s = snap(driver, v)
    c = from_snap(driver, s)
    c2 = new_volume(1)
    c2.update(multiattach=True, snapshot_id=s['id'])
    c2.update(driver.create_volume_from_snapshot(c2, s))
    assert c2['provider_location'].startswith('raw:')
    assert c['provider_location'].startswith(driver.new_format + ':')
