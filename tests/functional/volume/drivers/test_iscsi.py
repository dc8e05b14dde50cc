"""The iscsi backend against a real tgtd on private ports (its own iSCSI
portal and management channel, so a system tgtd is never touched): the
target, CHAP account and ACL it makes, the data path read over iSCSI with
qemu's libiscsi, and detaching removing them."""
import os
import random
import shutil
import socket
import subprocess
import time

import pytest

from iaas.privileged import volume_admin
from iaas.volume.drivers import iscsi, tgt
from tests.conftest import RUN_ID
from tests.unit.volume.drivers.helpers import make_conf, new_volume

pytestmark = pytest.mark.skipif(
    not shutil.which('tgtd') or not shutil.which('qemu-io') or os.geteuid() != 0,
    reason='needs root, tgtd/tgtadm (apt tgt) and qemu-io with libiscsi (qemu-block-extra)')
PREFIX = f'iqn.2010-10.org.openstack:iaas-test-{RUN_ID}-'
INITIATOR = f'iqn.2024-01.org.iaas-test:{RUN_ID}'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _tgtadm(ctl, *args, check=False):
    return subprocess.run(['tgtadm', '-C', str(ctl), '--lld', 'iscsi', *args],
                          capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture
def tgtd(tmp_path):
    """A private tgtd; every target it has is deleted and it is stopped
    (``--mode system --op delete``: it ignores SIGTERM) even on failure."""
    port = _free_port()
    for _ in range(20):
        ctl = random.randint(10000, 32000)     # tgtd takes 0-32767
        if _tgtadm(ctl, '--mode', 'target', '--op', 'show').returncode != 0:
            break                       # nobody listens on that control port
    log = open(tmp_path / 'tgtd.log', 'w')
    proc = subprocess.Popen(['tgtd', '-f', '-C', str(ctl), '--iscsi',
                             f'portal=127.0.0.1:{port}'], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while _tgtadm(ctl, '--mode', 'target', '--op', 'show').returncode != 0:
            assert proc.poll() is None, open(tmp_path / 'tgtd.log').read()
            assert time.monotonic() < deadline, 'tgtd did not start'
            time.sleep(0.05)
        yield {'port': port, 'ctl': ctl}
    finally:
        out = _tgtadm(ctl, '--mode', 'target', '--op', 'show').stdout
        for t in tgt.parse_targets(out).values():
            _tgtadm(ctl, '--mode', 'target', '--op', 'delete', '--force', '--tid', str(t['tid']))
        subprocess.run(['tgtadm', '-C', str(ctl), '--mode', 'system', '--op', 'delete'],
                       capture_output=True, timeout=30)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def driver(tgtd, tmp_path, conf):
    volume_admin.reset()
    d = iscsi.ISCSIDriver('is', make_conf(
        iscsi.ISCSIDriver, tmp_path, target_port=tgtd['port'], tgt_control_port=tgtd['ctl'],
        target_prefix=PREFIX), 'h1')
    d.check_setup()
    yield d
    volume_admin.reset()


def _qemu_io(data, cmd, initiator=INITIATOR):
    opts = (f'driver=iscsi,transport=tcp,portal={data["target_portal"]},'
            f'target={data["target_iqn"]},lun={data["target_lun"]},'
            f'user={data["auth_username"]},password={data["auth_password"]},'
            f'initiator-name={initiator}')
    return subprocess.run(['qemu-io', '--image-opts', opts, '-c', cmd], capture_output=True,
                          text=True, timeout=60)


def test_attach_serves_the_volume_over_iscsi_with_chap_and_acl(driver, tgtd):
    v = new_volume(1)
    v.update(driver.create_volume(v))
    with driver.open_volume(v, 'r+b') as f:
        f.seek(1 << 20)
        f.write(b'\x6b' * 65536)
    conn = {'host': 'cmp1', 'ip': '127.0.0.1', 'initiator': INITIATOR}
    info = driver.initialize_connection(v, conn)
    data = info['data']
    assert data['target_portal'] == f'127.0.0.1:{tgtd["port"]}'
    assert data['target_iqn'] == f'{PREFIX}volume-{v["id"]}'

    targets = tgt.parse_targets(_tgtadm(tgtd['ctl'], '--mode', 'target', '--op', 'show').stdout)
    t = targets[data['target_iqn']]
    assert t['luns'][1] == driver.path(v)
    assert t['accounts'] == [data['auth_username']]
    assert sorted(t['acl']) == sorted(['127.0.0.1', INITIATOR])

    # the data path: read the pattern through libiscsi with the CHAP secret
    r = _qemu_io(data, 'read -P 0x6b 1M 64k')
    assert r.returncode == 0 and 'read 65536/65536' in r.stdout, r.stderr
    r = _qemu_io(data, 'write -P 0x3c 0 4k')
    assert r.returncode == 0, r.stderr
    with driver.open_volume(v) as f:
        assert f.read(4096) == b'\x3c' * 4096
    bad = dict(data, auth_password='x' * 16)
    assert 'Authentication failure' in _qemu_io(bad, 'read 0 4k').stderr
    # (tgt admits an initiator matching the address OR the name ACL: the
    # per-attachment CHAP secret is what tells attachments apart)

    driver.terminate_connection(v, conn)
    out = _tgtadm(tgtd['ctl'], '--mode', 'target', '--op', 'show').stdout
    assert data['target_iqn'] not in out
    accounts = _tgtadm(tgtd['ctl'], '--mode', 'account', '--op', 'show').stdout
    assert data['auth_username'] not in accounts
    driver.terminate_connection(v, conn)            # idempotent
    assert _qemu_io(data, 'read 0 4k').returncode != 0     # the old secret is void
    driver.delete_volume(v)
    assert not os.path.exists(driver.path(v))


def test_two_attachments_and_tgtd_restart(driver, tgtd):
    v = new_volume(1)
    v.update(driver.create_volume(v))
    a = {'host': 'cmp1', 'ip': '127.0.0.1', 'initiator': INITIATOR}
    b = {'host': 'cmp2', 'ip': '127.0.0.2', 'initiator': None}
    da = driver.initialize_connection(v, a)['data']
    db = driver.initialize_connection(v, b)['data']
    show = tgt.parse_targets(_tgtadm(tgtd['ctl'], '--mode', 'target', '--op', 'show').stdout)
    t = show[da['target_iqn']]
    assert sorted(t['accounts']) == sorted([da['auth_username'], db['auth_username']])
    assert sorted(t['acl']) == sorted(['127.0.0.1', INITIATOR, '127.0.0.2'])
    # tgtd lost its state (restart): the driver puts it back at start
    _tgtadm(tgtd['ctl'], '--mode', 'target', '--op', 'delete', '--force', '--tid',
            str(t['tid']), check=True)
    for user in (da['auth_username'], db['auth_username']):
        _tgtadm(tgtd['ctl'], '--mode', 'account', '--op', 'delete', '--user', user, check=True)
    driver.check_setup()
    assert _qemu_io(da, 'read 0 4k').returncode == 0
    driver.terminate_connection(v, b)
    show = tgt.parse_targets(_tgtadm(tgtd['ctl'], '--mode', 'target', '--op', 'show').stdout)
    t = show[da['target_iqn']]
    assert t['accounts'] == [da['auth_username']]
    assert sorted(t['acl']) == sorted(['127.0.0.1', INITIATOR])
    driver.delete_volume(v)                         # drops the export with the volume
    assert da['target_iqn'] not in _tgtadm(tgtd['ctl'], '--mode', 'target', '--op',
                                           'show').stdout
