"""The ownership rules of the network DB layer on each database: a port's
groups are its project's, a server's addresses only its project's ports,
a fixed IP shared by two networks is found only with its network."""
import pytest

from iaas.db import instances
from iaas.db import networks as db


def _server(project):
    return instances.create_with_quota(project, [{
        'project_id': project, 'user_id': 'u', 'display_name': 's', 'vcpus': 1,
        'memory_mb': 64, 'flavor': {'name': 'x'}}])[0]


def test_ownership(db_url):
    sa_, sb = _server('pa'), _server('pb')
    na, nb = db.network_create('na', 'pa'), db.network_create('nb', 'pb')
    for n, p in ((na, 'pa'), (nb, 'pb')):
        db.subnet_create(n['id'], '10.7.0.0/24', project_id=p)
    ga = db.sg_create('ga', 'pa')
    with pytest.raises(db.NotFound, match=f"Security group {ga['id']} does not exist"):
        db.port_create(nb['id'], project_id='pb', security_groups=[ga['id']])
    pa = db.port_create(na['id'], project_id='pa', device_id=sa_['uuid'],
                        fixed_ips=[{'ip_address': '10.7.0.9'}], security_groups=[ga['id']])
    pb = db.port_create(nb['id'], project_id='pb', device_id=sa_['uuid'],
                        fixed_ips=[{'ip_address': '10.7.0.9'}], security_groups=[])
    with pytest.raises(db.NotFound):
        db.port_update(pb['id'], security_groups=[ga['id']])
    assert db.port_get(pb['id'])['security_groups'] == []
    got = db.addresses_by_device([sa_['uuid'], sb['uuid']])
    assert got[sb['uuid']] == [] and [r[2] for r in got[sa_['uuid']]] == ['10.7.0.9']
    assert db.groups_by_device([sa_['uuid']]) == {sa_['uuid']: ['ga']}
    # 10.7.0.9 is held on both networks: only the network tells
    assert db.fixed_ip_lookup('10.7.0.9') is None
    assert db.fixed_ip_lookup('10.7.0.9', na['id'])['port_id'] == pa['id']
    assert db.fixed_ip_lookup('10.7.0.9', nb['id'])['port_id'] == pb['id']
    with pytest.raises(db.Invalid, match='fixed ips per port'):
        db.port_create(na['id'], project_id='pa', fixed_ips=[{}] * 6)
