"""Host failure and maintenance end to end: evacuate (image- and
volume-backed), automatic recovery of HA servers, a returning host
destroying its stale guests, cold migration with confirm and revert,
``iaas-manage host drain`` and the os-migrations listings, on the shelve
tests' cloud (compute REST API, conductor, scheduler, two fake compute
hosts, a network host, a file-backend volume host)."""
import pytest

from iaas import states
from iaas.compute import manage as host_manage
from iaas.compute import moves
from iaas.compute.manager import ComputeManager
from iaas.context import get_admin_context
from iaas.db import instances as db
from iaas.db import networks as db_net
from iaas.db import routers as db_routers
from iaas.db import server_migrations as migrations
from iaas.db import services as db_services
from iaas.db import volumes as db_volumes
from iaas.service import Service
from tests.functional.compute.conftest import wait_for
from tests.functional.compute.test_shelve import HOSTS, guests, shelve_cloud

V = '2.96'


@pytest.fixture
def cloud(conf, db_url, tmp_path):
    with shelve_cloud(conf, tmp_path) as c:
        yield c


def _other(host):
    return next(h for h in HOSTS if h != host)


def _service(cloud, host):
    return next(s for s in cloud.started.services
                if s.host == host and s.binary == 'iaas-compute')


def _kill(cloud, host):
    """The compute service of ``host`` stops (as SIGKILL: no goodbye)."""
    svc = _service(cloud, host)
    svc.stop()
    return svc


def _fence(cloud, host):
    """``openstack compute service set --down HOST iaas-compute`` (2.53)."""
    rows = cloud.c('GET', f'/os-services?host={host}&binary=iaas-compute',
                   token=cloud.admin, headers={'OpenStack-API-Version': 'compute 2.53'})
    sid = rows.json['services'][0]['id']
    r = cloud.c('PUT', f'/os-services/{sid}', {'forced_down': True}, cloud.admin,
                headers={'OpenStack-API-Version': 'compute 2.53'})
    assert r.status_int == 200 and r.json['service']['state'] == 'down', r.body


def _restart(cloud, dead):
    """The host comes back: a new compute service over the same hypervisor
    (the fake driver keeps its guests), replacing the dead one."""
    svc = Service('iaas-compute', 'compute', ComputeManager(dead.host, driver=dead.manager.driver),
                  host=dead.host)
    svc.start()
    assert svc.wait_ready(10)
    services = cloud.started.services
    services[services.index(dead)] = svc
    return svc


def _network(cloud, name, cidr):
    """A project network routed to an external one, and a floating IP pool."""
    net = db_net.network_create(name, cloud.a_project)
    sn = db_net.subnet_create(net['id'], cidr, project_id=cloud.a_project)
    ext = db_net.network_create(f'{name}-ext', None, external=True)
    db_net.subnet_create(ext['id'], '172.24.9.0/28', gateway_ip='172.24.9.1')
    r = db_routers.router_create(cloud.a_project,
                                 external_gateway_info={'network_id': ext['id']})
    db_routers.add_interface(r['id'], cloud.a_project, subnet_id=sn['id'])
    return net, ext


def _boot_on(cloud, host, name, **extra):
    """A server of alice's placed on ``host`` (the other host disabled meanwhile)."""
    other = _other(host)
    db_services.service_update(other, 'iaas-compute', disabled=True)
    try:
        sid = cloud.boot(name, **extra)
    finally:
        db_services.service_update(other, 'iaas-compute', disabled=False)
    assert db.get(sid)['host'] == host
    return sid


def _evacuate(cloud, sid, body=None, token=None, v=V):
    return cloud.act(sid, {'evacuate': body or {}}, token=token or cloud.admin, v=v)


def _ports(sid):
    return [(p['id'], p['fixed_ips'][0]['ip_address'], p['binding:host_id'])
            for p in db_net.port_list(device_id=sid)]


def test_evacuate_keeps_the_server_and_the_returning_host_drops_its_guest(cloud, conf):
    net, ext = _network(cloud, 'evnet', '10.81.0.0/24')
    first = HOSTS[0]
    sid = _boot_on(cloud, first, 'ha', networks=[{'uuid': net['id']}],
                   metadata={'HA_Enabled': 'True', 'role': 'db'})
    before = _ports(sid)
    fip = db_net.floatingip_create(ext['id'], cloud.a_project, port_id=before[0][0])
    # refused while the host is up (Nova's 400), for non-admins, other projects
    r = _evacuate(cloud, sid)
    assert r.status_int == 400 and f'Compute service of {first} is still in use' in \
        r.body.decode(), r.body
    assert _evacuate(cloud, sid, token=cloud.alice).status_int == 403
    assert _evacuate(cloud, sid, token=cloud.bob).status_int == 404

    dead = _kill(cloud, first)
    _fence(cloud, first)
    r = _evacuate(cloud, sid, {'host': first})
    assert r.status_int == 400 and "can't be the same" in r.body.decode(), r.body
    assert _evacuate(cloud, sid, {'host': 'no-such-host'}).status_int == 404
    assert _evacuate(cloud, sid, {'onSharedStorage': False}).status_int == 400   # < 2.14
    r = _evacuate(cloud, sid, {'host': _other(first)}, v='2.13')
    assert r.status_int == 200 and r.json['adminPass'], r.body
    s = cloud.settled(sid, 'ACTIVE')
    inst = db.get(sid)
    assert inst['host'] == _other(first) and s['id'] == sid
    assert s['metadata'] == {'HA_Enabled': 'True', 'role': 'db'}
    assert _ports(sid) == [(p, ip, _other(first)) for p, ip, _ in before]
    assert db_net.floatingip_list(port_id=before[0][0])[0]['floating_ip_address'] == \
        fip['floating_ip_address']
    guest = guests(conf, _other(first))[sid]
    assert guest['image_id'] == cloud.image and guest['power_state'] == states.RUNNING
    # the dead host still has its guest; a second evacuate is refused (409)
    assert sid in dead.manager.driver.list_instances()
    assert _evacuate(cloud, sid).status_int == 400      # now on an up host
    mig = wait_for(lambda: (lambda m: m if m['status'] == 'done' else None)(
        migrations.latest(sid)), what='evacuation done')
    assert (mig['migration_type'], mig['status'], mig['source_compute'],
            mig['dest_compute']) == ('evacuation', 'done', first, _other(first))
    listed = cloud.c('GET', f'/os-migrations?instance_uuid={sid}', token=cloud.admin,
                     headers={'OpenStack-API-Version': f'compute {V}'})
    assert [(m['migration_type'], m['status']) for m in listed.json['migrations']] == [
        ('evacuation', 'done')]
    assert cloud.c('GET', '/os-migrations', token=cloud.alice).status_int == 403
    assert cloud.c('GET', f'/servers/{sid}/migrations', token=cloud.bob).status_int == 403
    assert cloud.c('GET', f'/servers/{sid}/migrations', token=cloud.alice).status_int == 403
    assert len(cloud.c('GET', f'/servers/{sid}/migrations', token=cloud.admin).json[
        'migrations']) == 1
    actions = [a['action'] for a in db.actions_list(sid)]
    assert actions[0] == 'evacuate'

    # the host comes back: the stale guest is destroyed before it serves
    back = _restart(cloud, dead)
    assert sid not in back.manager.driver.list_instances()
    assert sid not in guests(conf, first)
    assert migrations.get(mig['id'])['status'] == 'completed'
    assert sid in guests(conf, _other(first))    # the one guest left anywhere
    assert db.get(sid)['host'] == _other(first)


def test_evacuate_a_volume_backed_server_keeps_its_volume(cloud, conf):
    root = cloud.create(size=1, name='root')
    cloud.wait_status(root['id'], 'available')
    first = HOSTS[1]
    sid = _boot_on(cloud, first, 'bfv', block_device_mapping_v2=[
        {'source_type': 'volume', 'destination_type': 'volume', 'uuid': root['id'],
         'boot_index': 0}])
    cloud.wait_status(root['id'], 'in-use')
    assert cloud.act(sid, {'os-stop': None}).status_int == 202
    cloud.settled(sid, 'SHUTOFF')
    _kill(cloud, first)
    _fence(cloud, first)
    r = _evacuate(cloud, sid)
    assert r.status_int == 200 and r.body == b'', r.body
    s = cloud.settled(sid, 'SHUTOFF')             # a stopped server stays stopped
    assert s['OS-EXT-STS:power_state'] == states.SHUTDOWN
    dest = _other(first)
    assert db.get(sid)['host'] == dest
    guest = guests(conf, dest)[sid]
    assert [(v['serial'], v['device']) for v in guest['volumes']] == [(root['id'],
                                                                        '/dev/vda')]
    vol = cloud.wait_status(root['id'], 'in-use')
    assert vol['attachments'][0]['server_id'] == sid
    assert db_volumes.attachments(instance_uuid=sid)[0]['attached_host'] == dest


def test_a_server_in_no_state_to_move_and_no_room(cloud, conf):
    first = HOSTS[0]
    paused = _boot_on(cloud, first, 'paused')
    ok = _boot_on(cloud, first, 'ok')
    assert cloud.act(paused, {'pause': None}).status_int == 202
    cloud.settled(paused, 'PAUSED')
    _kill(cloud, first)
    _fence(cloud, first)
    assert _evacuate(cloud, paused).status_int == 409
    r = cloud.act(ok, {'migrate': None}, token=cloud.admin)      # the source is dead
    assert r.status_int == 409 and 'unavailable' in r.body.decode(), r.body
    # no other host with room: the evacuation ends in error, the server stays
    db_services.service_update(_other(first), 'iaas-compute', disabled=True)
    try:
        assert _evacuate(cloud, ok).status_int == 200
        wait_for(lambda: migrations.latest(ok)['status'] == 'error', what='no host')
        inst = wait_for(lambda: (lambda i: i if i['task_state'] is None else None)(
            db.get(ok)), what='task cleared')
        assert inst['host'] == first and inst['vm_state'] == states.ACTIVE
        assert 'Evacuation failed' in db.latest_fault(ok)['message']
    finally:
        db_services.service_update(_other(first), 'iaas-compute', disabled=False)


def test_automatic_recovery_evacuates_ha_servers_once(cloud, conf):
    first = HOSTS[0]
    ha = _boot_on(cloud, first, 'ha', metadata={'HA_Enabled': 'True'})
    plain = _boot_on(cloud, first, 'plain')
    # the live host heartbeats every second: 3 s without one is down here
    for name, value, group in (('enabled', True, 'recovery'), ('grace_period', 4, 'recovery'),
                               ('auto_fence', True, 'recovery'),
                               ('service_down_time', 3, 'service')):
        conf.set_override(name, value, group=group)
    _kill(cloud, first)
    conductor = next(s.manager for s in cloud.started.services
                     if s.binary == 'iaas-conductor')
    ctx = get_admin_context()

    def recovered():
        conductor.recover_hosts(ctx)
        conductor.recover_hosts(ctx)        # a second conductor's pass: a no-op
        return db.get(ha)['host'] == _other(first)
    wait_for(recovered, timeout=30, what='HA server evacuated')
    cloud.settled(ha, 'ACTIVE')
    assert db_services.service_get(first, 'iaas-compute')['forced_down']   # auto-fenced
    assert db.get(plain)['host'] == first          # not marked HA: left alone
    assert len(migrations.list_(instance_uuid=ha)) == 1
    assert migrations.list_(instance_uuid=plain) == []
    # evacuate_all takes the rest
    conf.set_override('evacuate_all', True, group='recovery')
    wait_for(lambda: (conductor.recover_hosts(ctx), db.get(plain)['host'])[1] ==
             _other(first), timeout=30, what='every server evacuated')


def test_ha_marks():
    assert moves.is_ha({'metadata': {'HA_Enabled': 'True'}})
    assert moves.is_ha({'metadata': {}, 'flavor': {'extra_specs': {'ha:enabled': 'true'}}})
    assert not moves.is_ha({'metadata': {'HA_Enabled': 'False'}, 'flavor': {}})
    assert not moves.is_ha({'metadata': None, 'flavor': None})


@pytest.mark.parametrize('end', ['confirm', 'revert'])
def test_cold_migrate_then_confirm_or_revert(cloud, conf, end):
    net, _ = _network(cloud, f'mig{end}', '10.82.0.0/24' if end == 'confirm'
                      else '10.83.0.0/24')
    first = HOSTS[0]
    sid = _boot_on(cloud, first, 'mover', networks=[{'uuid': net['id']}])
    before = _ports(sid)
    assert cloud.act(sid, {'migrate': None}).status_int == 403         # admin only
    assert cloud.act(sid, {'migrate': None}, token=cloud.bob).status_int == 404
    r = cloud.act(sid, {'migrate': {'host': _other(first)}}, token=cloud.admin, v='2.55')
    assert r.status_int == 400
    r = cloud.act(sid, {'migrate': {'host': first}}, token=cloud.admin)
    assert r.status_int == 400
    r = cloud.act(sid, {'migrate': {'host': _other(first)}}, token=cloud.admin)
    assert r.status_int == 202, r.body
    s = cloud.settled(sid, 'VERIFY_RESIZE')
    dest = _other(first)
    assert db.get(sid)['host'] == dest and s['OS-EXT-STS:power_state'] == states.RUNNING
    assert _ports(sid) == [(p, ip, dest) for p, ip, _ in before]
    assert guests(conf, first)[sid]['power_state'] == states.SHUTDOWN   # kept until the end
    log = cloud.c('POST', f'/servers/{sid}/action', {'os-getConsoleOutput': {}},
                  cloud.alice).json['output']
    assert f'migrated from {first} to {dest}' in log
    wait_for(lambda: migrations.latest(sid)['status'] == 'finished', what='finished')
    if end == 'confirm':
        assert cloud.act(sid, {'confirmResize': None}).status_int == 204
        cloud.settled(sid, 'ACTIVE')
        wait_for(lambda: sid not in guests(conf, first), what='source guest gone')
        assert db.get(sid)['host'] == dest
        assert migrations.latest(sid)['status'] == 'confirmed'
    else:
        assert cloud.act(sid, {'revertResize': None}).status_int == 202
        s = cloud.settled(sid, 'ACTIVE')
        assert db.get(sid)['host'] == first
        assert s['OS-EXT-STS:power_state'] == states.RUNNING
        wait_for(lambda: sid not in guests(conf, dest), what='destination guest gone')
        assert guests(conf, first)[sid]['power_state'] == states.RUNNING
        assert _ports(sid) == [(p, ip, first) for p, ip, _ in before]
        assert migrations.latest(sid)['status'] == 'reverted'
    listed = cloud.c('GET', '/os-migrations?migration_type=migration', token=cloud.admin,
                     headers={'OpenStack-API-Version': f'compute {V}'}).json['migrations']
    assert sid in {m['instance_uuid'] for m in listed}


def test_drain_moves_everything_off_and_disables_the_host(cloud, conf):
    first = HOSTS[1]
    running = _boot_on(cloud, first, 'one')
    stopped = _boot_on(cloud, first, 'two')
    paused = _boot_on(cloud, first, 'three')
    assert cloud.act(stopped, {'os-stop': None}).status_int == 202
    assert cloud.act(paused, {'pause': None}).status_int == 202
    cloud.settled(stopped, 'SHUTOFF')
    cloud.settled(paused, 'PAUSED')
    result = host_manage.drain(first, timeout=30, reason='disk swap')
    moved = {u: h for u, _, h in result['moved']}
    assert moved == {running: _other(first), stopped: _other(first)}
    assert [u for u, _, _ in result['failed']] == [paused]
    svc = db_services.service_get(first, 'iaas-compute')
    assert svc['disabled'] and svc['disabled_reason'] == 'disk swap'
    assert cloud.settled(running, 'ACTIVE') and cloud.settled(stopped, 'SHUTOFF')
    wait_for(lambda: set(guests(conf, first)) == {paused}, what='source guests gone')


def test_drain_command_prints_what_moved(cloud, conf, capsys):
    import argparse
    first = HOSTS[0]
    sid = _boot_on(cloud, first, 'cmd')
    host_manage.host_drain(argparse.Namespace(drain_host=first, timeout=30, reason=None))
    out = capsys.readouterr().out
    assert sid in out and f'{first}: disabled; 1 moved, 0 not moved' in out
    assert db_services.service_get(first, 'iaas-compute')['disabled_reason'] == \
        'draining for maintenance'
