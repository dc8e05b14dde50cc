"""The nbd backend with real qemu-nbd servers on loopback: one export per
attachment, the data path read and written over NBD by qemu-io, pid files
surviving a driver restart, a dead server re-spawned, detach stopping it."""
import os
import random
import shutil
import signal
import subprocess
import time

import pytest

from iaas.volume.drivers import base, nbd
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume

pytestmark = pytest.mark.skipif(not shutil.which('qemu-nbd') or not shutil.which('qemu-io'),
                                reason='qemu-nbd/qemu-io (qemu-utils) not installed')


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


@pytest.fixture
def driver(tmp_path):
    low = random.randrange(20000, 30000, 50)
    d = nbd.NBDDriver('nb', make_conf(nbd.NBDDriver, tmp_path, nbd_port_min=low,
                                      nbd_port_max=low + 49), 'h1')
    d.check_setup()
    try:
        yield d
    finally:                            # stop every server the test left
        for rec in d._records():
            d._drop(rec['export'])


def _url(data):
    return f'nbd://{data["host"]}:{data["port"]}/{data["name"]}'


def _io(data, cmd):
    return subprocess.run(['qemu-io', '-f', 'raw', _url(data), '-c', cmd],
                          capture_output=True, text=True, timeout=60)


def test_export_per_attachment_data_path_and_detach(driver):
    v = new_volume(1)
    v.update(driver.create_volume(v))
    with driver.open_volume(v, 'r+b') as f:
        f.seek(3 << 20)
        f.write(b'\x42' * 65536)
    conn = {'host': 'cmp1', 'ip': '127.0.0.1', 'initiator': None}
    info = driver.initialize_connection(v, conn)
    data = info['data']
    assert info['driver_volume_type'] == 'nbd' and data['format'] == 'raw'
    assert data['host'] == '127.0.0.1' and data['name'].startswith(f'volume-{v["id"]}-')
    assert driver.conf.nbd_port_min <= data['port'] <= driver.conf.nbd_port_max
    # qcow2 on disk, raw bytes over NBD
    r = _io(data, 'read -P 0x42 3M 64k')
    assert r.returncode == 0 and 'read 65536/65536' in r.stdout, r.stderr
    assert _io(data, 'write -P 0x17 0 8k').returncode == 0
    out = driver.volumes_dir + '/copy.raw'
    subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'raw', _url(data), out],
                   check=True, timeout=60)
    with open(out, 'rb') as f:
        assert f.read(8192) == b'\x17' * 8192
    os.unlink(out)
    # the same connector gets the same export; another one is refused
    assert driver.initialize_connection(v, conn) == info
    with pytest.raises(base.DriverError, match='already exported'):
        driver.initialize_connection(v, {'host': 'cmp2', 'ip': '127.0.0.2', 'initiator': None})
    # while exported: snapshots are copies, extend is refused
    s = new_snapshot(v)
    assert driver.create_snapshot(s, v)['provider_location'].startswith('copy:')
    with pytest.raises(base.DriverError, match='exported'):
        driver.extend_volume(v, 2)
    (rec,) = driver._records(v['id'])
    pid = driver._pid(rec['export'])
    assert pid and _alive(pid)

    driver.terminate_connection(v, conn)
    assert not _alive(pid) and driver._records(v['id']) == []
    assert _io(data, 'read 0 4k').returncode != 0
    driver.terminate_connection(v, conn)              # idempotent
    with driver.open_volume(v) as f:
        assert f.read(8192) == b'\x17' * 8192         # written over NBD, on disk
    driver.extend_volume(v, 2)                        # free again


def test_exports_survive_a_restart_and_dead_ones_come_back(driver, tmp_path):
    v = new_volume(1)
    v.update(driver.create_volume(v))
    conn = {'host': 'cmp1', 'ip': '127.0.0.1', 'initiator': None}
    data = driver.initialize_connection(v, conn)['data']
    (rec,) = driver._records(v['id'])
    pid = driver._pid(rec['export'])
    # a new driver object (iaas-volume restarted): the server is still ours
    again = nbd.NBDDriver('nb', driver.conf, 'h1')
    again.check_setup()
    assert again._pid(rec['export']) == pid
    assert again.initialize_connection(v, conn)['data'] == data
    # the server died (host reboot): the next start re-spawns it, same port and name
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    again.check_setup()
    new_pid = again._pid(rec['export'])
    assert new_pid and new_pid != pid
    assert _io(data, 'read 0 4k').returncode == 0
    again.delete_volume(v)                            # stops the export with the volume
    assert not _alive(new_pid) and again._records() == []
