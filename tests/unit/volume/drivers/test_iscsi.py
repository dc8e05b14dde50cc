"""The iscsi backend's export logic against a fake tgtd (the real one:
tests/functional/volume/drivers/test_iscsi.py)."""
import json
import os
import stat

import pytest

from iaas.volume.drivers import iscsi, tgt
from tests.unit.volume.drivers.faketgt import FakeTgtd
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume

A = {'host': 'cmp1', 'ip': '10.0.0.11', 'initiator': 'iqn.1993-08.org.debian:01:aaa'}
B = {'host': 'cmp2', 'ip': '10.0.0.12', 'initiator': None}

REAL_SHOW = """Target 1: iqn.2010-10.org.openstack:volume-x
    System information:
        Driver: iscsi
        State: ready
    I_T nexus information:
    LUN information:
        LUN: 0
            Type: controller
            Backing store path: None
            Backing store flags:
        LUN: 1
            Type: disk
            Size: 17 MB, Block size: 512
            Backing store type: rdwr
            Backing store path: /tmp/qt/volume-1
            Backing store flags:
    Account information:
        u1
    ACL information:
        127.0.0.1
        iqn.2020-01.test:host1
Target 2: iqn.2010-10.org.openstack:volume-y
    System information:
        Driver: iscsi
    LUN information:
        LUN: 0
            Type: controller
    Account information:
    ACL information:
"""


def test_parse_tgtadm_show():
    t = tgt.parse_targets(REAL_SHOW)
    assert t == {
        'iqn.2010-10.org.openstack:volume-x': {
            'tid': 1, 'luns': {0: 'None', 1: '/tmp/qt/volume-1'}, 'accounts': ['u1'],
            'acl': ['127.0.0.1', 'iqn.2020-01.test:host1']},
        'iqn.2010-10.org.openstack:volume-y': {'tid': 2, 'luns': {}, 'accounts': [],
                                               'acl': []}}
    assert tgt.parse_accounts('Account list:\n    u1\n    u2\n') == ['u1', 'u2']
    assert tgt.Tgt(None, 7001).argv('target', 'show') == [
        'tgtadm', '-C', '7001', '--lld', 'iscsi', '--mode', 'target', '--op', 'show']


@pytest.fixture
def driver(tmp_path, conf):
    d = iscsi.ISCSIDriver('is', make_conf(iscsi.ISCSIDriver, tmp_path, target_port=3261),
                          'h1')
    d.tgtd = FakeTgtd()
    d._execute = d.tgtd.execute
    os.makedirs(d.volumes_dir)
    return d


def test_volumes_are_raw_and_snapshots_copies(driver, monkeypatch):
    v = new_volume(1)
    assert driver.create_volume(v) == {'provider_location': f'raw:volume-{v["id"]}'}
    assert os.stat(driver.path(v)).st_size == 1 << 30
    ran = []
    monkeypatch.setattr(driver, '_qemu_img',
                        lambda *a, **kw: ran.append(a) or open(a[-1], 'wb').close())
    s = new_snapshot(v)
    loc = driver.create_snapshot(s, v)
    assert loc == {'provider_location': f'copy:volume-{v["id"]}.copy-{s["id"]}'}
    assert ran == [('convert', '-U', '-f', 'raw', '-O', 'qcow2', driver.path(v),
                    driver.path(v) + f'.copy-{s["id"]}.part')]


def test_attach_two_connectors_and_detach(driver, tmp_path):
    v = new_volume(1)
    driver.create_volume(v)
    info = driver.initialize_connection(v, A)
    data = info['data']
    assert info['driver_volume_type'] == 'iscsi'
    assert data['target_portal'] == '127.0.0.1:3261' and data['target_lun'] == 1
    assert data['target_iqn'] == f'iqn.2010-10.org.openstack:volume-{v["id"]}'
    assert data['auth_method'] == 'CHAP' and len(data['auth_password']) == 16
    fake = driver.tgtd
    (tid, target), = fake.targets.items()
    assert target['luns'] == {1: driver.path(v)}
    assert target['accounts'] == [data['auth_username']]
    assert fake.accounts[data['auth_username']] == data['auth_password']
    assert target['acl'] == ['10.0.0.11', A['initiator']]
    # the secrets are kept for a tgtd restart, readable by the service only
    state = os.path.join(driver.conf.tgt_state_dir, f'{v["id"]}.json')
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert json.load(open(state))['connectors'][data['auth_username']]['ip'] == '10.0.0.11'

    data_b = driver.initialize_connection(v, B)['data']
    assert data_b['auth_username'] != data['auth_username']
    assert target['acl'] == ['10.0.0.11', A['initiator'], '10.0.0.12']
    # attaching again gives a new secret for the same account
    again = driver.initialize_connection(v, A)['data']
    assert again['auth_username'] == data['auth_username']
    assert fake.accounts[data['auth_username']] == again['auth_password']
    assert sorted(target['accounts']) == sorted([data['auth_username'], data_b['auth_username']])

    driver.terminate_connection(v, A)
    assert target['acl'] == ['10.0.0.12'] and target['accounts'] == [data_b['auth_username']]
    assert data['auth_username'] not in fake.accounts
    driver.terminate_connection(v, A)           # idempotent
    driver.terminate_connection(v, B)
    assert fake.targets == {} and fake.accounts == {}
    assert not os.path.exists(state)


def test_restart_restores_exports_and_delete_removes_them(driver):
    v = new_volume(1)
    driver.create_volume(v)
    data = driver.initialize_connection(v, A)['data']
    driver.tgtd.targets.clear()
    driver.tgtd.accounts.clear()                # tgtd restarted: all gone
    driver.check_setup()
    (t,) = driver.tgtd.targets.values()
    assert t['accounts'] == [data['auth_username']] and t['luns'] == {1: driver.path(v)}
    assert driver.tgtd.accounts == {data['auth_username']: data['auth_password']}
    driver.delete_volume(v)
    assert driver.tgtd.targets == {} and driver.tgtd.accounts == {}
    assert not os.path.exists(driver.path(v))


def test_connector_without_address_is_refused(driver):
    v = new_volume(1)
    driver.create_volume(v)
    with pytest.raises(iscsi.file.DriverError, match='ip'):
        driver.initialize_connection(v, {'host': 'x', 'ip': None, 'initiator': None})
