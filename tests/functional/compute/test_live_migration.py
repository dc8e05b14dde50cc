"""Live migration (Nova's os-migrateLive) end to end in this process: the
compute REST API over the ``db_url`` database, conductor, scheduler, two fake
compute hosts and a network host (IPAM) on ``memory://``. The fake driver
moves the guest between the two hosts' memory."""
import json
import os

import pytest

from iaas import states
from iaas.compute.virt import driver as virt_driver
from iaas.compute.virt import fake
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import networks as db_net
from iaas.db import server_migrations as migrations
from tests.functional.compute.conftest import wait_for
from tests.functional.compute.http import create_server
from tests.inprocess import control_plane, running

HOSTS = ('lm-c1', 'lm-c2')
V = {'OpenStack-API-Version': 'compute 2.79'}


def guests(conf, host):
    with open(os.path.join(conf.state_path, 'fake-driver', f'{host}.json')) as f:
        return json.load(f)['guests']


@pytest.fixture
def cloud(api, conf):
    conf.set_override('report_interval', 1, group='service')
    conf.set_override('spawn_delay', 0, group='fake_driver')
    with running(control_plane('lm-', compute=list(HOSTS), network=['lm-n1'])):
        wait_for(lambda: {n['host'] for n in db_nodes.list_()} >= set(HOSTS),
                 what='both compute nodes reported')
        yield api


def migrate(cloud, sid, token=None, v='2.79', **arg):
    body = {'os-migrateLive': {'host': None, 'block_migration': 'auto', **arg}}
    return cloud.c('POST', f'/servers/{sid}/action', body, token or cloud.admin,
                   headers={'OpenStack-API-Version': f'compute {v}'})


def settled(cloud, sid, status='ACTIVE'):
    def check():
        s = cloud.c('GET', f'/servers/{sid}', token=cloud.admin, headers=V).json['server']
        return s if s['status'] == status and s['OS-EXT-STS:task_state'] is None else None
    return wait_for(check, timeout=30, what=f'{sid} {status}')


def boot(cloud, name='vm', **extra):
    sid = create_server(cloud, cloud.alice, name, **extra)
    wait_for(lambda: db.get(sid)['vm_state'] == states.ACTIVE and
             db.get(sid)['task_state'] is None, what=f'{sid} active')
    return sid


def _usage():
    return {n['host']: n['running_vms'] for n in db_nodes.list_()}


def test_live_migration_moves_the_running_guest_and_its_ports(cloud, conf):
    net = db_net.network_create('lmnet', cloud.a_project)
    db_net.subnet_create(net['id'], '10.78.0.0/24', project_id=cloud.a_project)
    sid = boot(cloud, 'mover', networks=[{'uuid': net['id']}])
    src = db.get(sid)['host']
    dst = next(h for h in HOSTS if h != src)
    assert [p['binding:host_id'] for p in db_net.port_list(device_id=sid)] == [src]
    r = migrate(cloud, sid)
    assert r.status_int == 202, r.body
    s = settled(cloud, sid)
    assert s['OS-EXT-SRV-ATTR:host'] == dst
    assert s['OS-EXT-STS:power_state'] == states.RUNNING
    assert sid in guests(conf, dst) and sid not in guests(conf, src)
    console = fake.HOSTS[dst].get_console_output(None, {'uuid': sid})
    assert 'booting' in console and f'live-migrated from {src} to {dst}' in console
    assert [p['binding:host_id'] for p in db_net.port_list(device_id=sid)] == [dst]
    inst = db.get(sid)
    assert 'live_migration' not in inst['system_metadata']
    wait_for(lambda: _usage() == {src: 0, dst: 1}, what='usage moved')
    action = db.actions_list(sid)[0]
    assert action['action'] == 'live-migration'
    assert [(e['event'], e['result']) for e in db.action_get(
        sid, action['request_id'])['events']] == [('compute_live_migration', 'Success')]
    # and back, to a named host, with the pre-2.25 body
    r = migrate(cloud, sid, v='2.1', host=src, block_migration=True, disk_over_commit=False)
    assert r.status_int == 202, r.body
    assert settled(cloud, sid)['OS-EXT-SRV-ATTR:host'] == src
    assert sid in guests(conf, src)
    # both moves are migration records, newest first (the record is
    # completed just after the server settles: wait for it)
    want = [('live-migration', 'completed', dst, src), ('live-migration', 'completed', src, dst)]

    def moves():
        got = [(m['migration_type'], m['status'], m['source_compute'], m['dest_compute'])
               for m in migrations.list_(instance_uuid=sid)]
        return got if got == want else None
    wait_for(moves, what='both migration records completed')


def test_refusals(cloud):
    sid = boot(cloud, 'stay')
    host = db.get(sid)['host']
    other = next(h for h in HOSTS if h != host)
    # a member may not (403); another project's member does not see it (404)
    assert migrate(cloud, sid, token=cloud.alice).status_int == 403
    assert migrate(cloud, sid, token=cloud.bob).status_int == 404
    assert migrate(cloud, 'no-such-server').status_int == 404
    # target host: unknown, the server's own, disabled → 400
    assert migrate(cloud, sid, host='nowhere').status_int == 400
    assert migrate(cloud, sid, host=host).status_int == 400
    from iaas.db import services as db_services
    db_services.service_update(other, 'iaas-compute', disabled=True)
    try:
        assert migrate(cloud, sid, host=other).status_int == 400
    finally:
        db_services.service_update(other, 'iaas-compute', disabled=False)
    # bad bodies → 400
    assert migrate(cloud, sid, block_migration='maybe').status_int == 400
    assert migrate(cloud, sid, v='2.1', host=None, block_migration='auto',
                   disk_over_commit=False).status_int == 400
    assert migrate(cloud, sid, v='2.68', force=True).status_int == 400
    assert migrate(cloud, sid, v='2.30', force=False).status_int == 202
    settled(cloud, sid)
    # a stopped server: 409
    stop = cloud.c('POST', f'/servers/{sid}/action', {'os-stop': None}, cloud.alice)
    assert stop.status_int == 202
    settled(cloud, sid, 'SHUTOFF')
    r = migrate(cloud, sid)
    assert r.status_int == 409, r.body
    assert db.get(sid)['task_state'] is None


def test_failed_move_leaves_the_guest_running_on_its_source(cloud, conf, monkeypatch):
    sid = boot(cloud, 'stuck')
    src = db.get(sid)['host']
    dst = next(h for h in HOSTS if h != src)

    def fail(self, context, instance, dest, migrate_data):
        raise virt_driver.DriverError('injected: migration aborted after 1s')
    monkeypatch.setattr(fake.FakeDriver, 'live_migration', fail)
    assert migrate(cloud, sid).status_int == 202
    s = settled(cloud, sid)
    assert s['OS-EXT-SRV-ATTR:host'] == src
    assert sid in guests(conf, src) and sid not in guests(conf, dst)
    inst = db.get(sid)
    assert 'live_migration' not in inst['system_metadata']
    wait_for(lambda: _usage() == {src: 1, dst: 0}, what='claim released')
    action = db.actions_list(sid)[0]
    assert action['action'] == 'live-migration'
    events = db.action_get(sid, action['request_id'])['events']
    assert [(e['event'], e['result']) for e in events] == [('compute_live_migration',
                                                            'Error')]
    assert 'injected' in events[0]['traceback']
    assert [(m['migration_type'], m['status'], m['dest_compute'])
            for m in migrations.list_(instance_uuid=sid)] == [('live-migration', 'failed', dst)]
