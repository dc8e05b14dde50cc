"""Batched host reports (ConductorManager.host_reports): each entry is checked
as if its host had sent it alone — its own signature, its own service row,
its own node — and the heartbeats land in one UPDATE."""
import pytest

from iaas.conductor import hostauth
from iaas.conductor.manager import ConductorManager
from iaas.context import RequestContext
from iaas.db import compute_nodes as db_nodes
from iaas.db import services as db_services

RES = {'vcpus': 8, 'memory_mb': 4096, 'local_gb': 100, 'hypervisor_type': 'fake'}


@pytest.fixture
def cond(conf, sqlite_db):
    return ConductorManager('cond-test')


def entry(sender, method, role='compute', **args):
    return hostauth.Signer(role, sender)({'iaas': '1.0', 'method': method, 'args': args})


def ctx_of(host, role='compute'):
    ctx = RequestContext(is_admin=True)
    ctx.caller = hostauth.Caller(host, role)
    return ctx


def counts():
    return {(r['host'], r['binary']): r['report_count'] for r in db_services.service_list()}


def test_each_entry_speaks_only_for_its_own_host(cond):
    a = db_services.service_register('mh-a', 'iaas-compute', 'compute')
    b = db_services.service_register('mh-b', 'iaas-compute', 'compute')
    net = db_services.service_register('mh-a', 'iaas-network', 'network')
    forged = entry('mh-a', 'service_heartbeat', service_id=b['id'])
    forged['sender'] = 'mh-b'
    reports = [
        entry('mh-a', 'service_heartbeat', service_id=a['id']),
        entry('mh-b', 'service_heartbeat', service_id=b['id']),
        entry('mh-a', 'service_heartbeat', service_id=b['id']),      # 2: b's row
        entry('mh-a', 'service_heartbeat', service_id=net['id']),    # 3: not as compute
        forged,                                                      # 4: bad signature
        entry('mh-a', 'service_heartbeat', service_id=987654),       # gone: register again
        entry('mh-a', 'compute_node_report', host='mh-a', node='mh-a', resources=RES),
        entry('mh-a', 'compute_node_report', host='mh-b', node='mh-b', resources=RES),  # 7
        entry('mh-a', 'instance_update', instance_uuid='x'),         # 8: not a report
        'junk',                                                      # 9
        entry('mh-a', 'compute_node_report', host='mh-a', node='mh-a', resources='x'),  # 10
    ]
    before = counts()
    out = cond.host_reports(ctx_of('mh-a'), reports)
    assert out == {'missing': [987654], 'refused': [2, 3, 4, 7, 8, 9, 10]}
    after = counts()
    assert after[('mh-a', 'iaas-compute')] == before[('mh-a', 'iaas-compute')] + 1
    assert after[('mh-b', 'iaas-compute')] == before[('mh-b', 'iaas-compute')] + 1
    assert after[('mh-a', 'iaas-network')] == before[('mh-a', 'iaas-network')]
    assert [n['host'] for n in db_nodes.list_()] == ['mh-a']


def test_a_replayed_entry_is_refused(cond):
    a = db_services.service_register('mh-a', 'iaas-compute', 'compute')
    beat = entry('mh-a', 'service_heartbeat', service_id=a['id'])
    assert cond.host_reports(ctx_of('mh-a'), [beat])['refused'] == []
    assert cond.host_reports(ctx_of('mh-a'), [beat])['refused'] == [0]


def test_the_batch_is_bounded(cond, monkeypatch):
    from iaas.conductor import manager
    monkeypatch.setattr(manager, 'MAX_HOST_REPORTS', 2)
    with pytest.raises(ValueError):
        cond.host_reports(ctx_of('mh-a'), [{}, {}, {}])
    with pytest.raises(ValueError):
        cond.host_reports(ctx_of('mh-a'), {'not': 'a list'})


def test_heartbeat_many_is_one_update(sqlite_db):
    rows = [db_services.service_register(f'h{i}', 'iaas-compute', 'compute') for i in range(5)]
    ids = [r['id'] for r in rows]
    assert db_services.service_heartbeat_many(ids[:3] + [999]) == 3
    assert db_services.service_heartbeat_many([]) == 0
    assert db_services.service_owners(ids[:2] + [999]) == {
        ids[0]: ('h0', 'iaas-compute'), ids[1]: ('h1', 'iaas-compute')}
    got = {r['id']: r['report_count'] for r in db_services.service_list()}
    assert [got[i] for i in ids] == [1, 1, 1, 0, 0]
