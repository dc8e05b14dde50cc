"""Many fake compute hosts in one process (``[fake_driver] hosts``,
iaas/compute/multihost.py): one service row per host over one consumer
connection, batched heartbeats, builds landing on the chosen host's manager."""
import pytest

from iaas import rpc, states
from iaas.compute import api as compute_api
from iaas.compute import multihost
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import services as db_services
from tests.conftest import RABBIT
from tests.functional.compute.conftest import wait_for
from tests.inprocess import control_plane, running

HOSTS = multihost.host_names('mh', 4)


@pytest.fixture(params=['memory', 'rabbit'])
def multihost_cloud(request, conf, db_url, monkeypatch):
    conf.set_override('transport_url', {'memory': 'memory://', 'rabbit': RABBIT}[request.param])
    conf.set_override('spawn_delay', 0, group='fake_driver')
    conf.set_override('report_interval', 1, group='service')
    conf.set_override('resource_report_interval', 1, group='compute')
    made = []
    real = rpc.Transport.connection

    def counting(self):
        conn = real(self)
        made.append(conn)
        return conn
    monkeypatch.setattr(rpc.Transport, 'connection', counting)

    def lone_heartbeat(service_id):
        raise AssertionError('a multi-host process heartbeats in batches only')
    monkeypatch.setattr(db_services, 'service_heartbeat', lone_heartbeat)
    svc = multihost.MultiHostService(HOSTS)
    with running(control_plane() + [svc]):
        yield svc, made


def test_hosts_register_heartbeat_and_build(multihost_cloud, ctx, image, flavor):
    svc, made = multihost_cloud
    rows = {r['host']: r for r in db_services.service_list(binary='iaas-compute')}
    assert sorted(rows) == HOSTS
    assert set(svc.service_ids.values()) == {r['id'] for r in rows.values()}
    # one consumer (the server) for all hosts: their queues and the topic's
    assert len(svc.rpcserver.queues()) == len(HOSTS) + 1

    def all_beat():
        now = {r['host']: r['report_count']
               for r in db_services.service_list(binary='iaas-compute')}
        return all(now[h] > rows[h]['report_count'] for h in HOSTS)
    wait_for(all_beat, timeout=15, what='a batched heartbeat of every host')
    assert {n['host'] for n in db_nodes.list_()} == set(HOSTS)

    before = len(made)
    api = compute_api.API()
    created, _ = api.create(ctx, 'mh', image, flavor, min_count=8, max_count=8)
    uuids = [c['uuid'] for c in created]

    def active():
        insts = [db.get(u) for u in uuids]
        return insts if all(i['vm_state'] == states.ACTIVE for i in insts) else None
    insts = wait_for(active, timeout=30, what='8 servers ACTIVE')
    placed = {i['host'] for i in insts}
    assert placed <= set(HOSTS) and len(placed) > 1, placed
    by_host = {m.host: m for m in svc.managers}
    for inst in insts:
        # the guest is in the chosen host's driver, and only there
        holders = [h for h, m in by_host.items() if inst['uuid'] in m.driver.list_instances()]
        assert holders == [inst['host']]
    # builds on several hosts opened no connection of their own
    assert len(made) == before
