"""Shelve, shelveOffload and unshelve (Nova's os-shelve) end to end: the
compute REST API in this process over the ``db_url`` database, the identity
and image APIs on ports (the shelved snapshot is made, uploaded by the
compute host with the service account and deleted over HTTP, as in a
deployment), conductor, scheduler, two fake compute hosts, a network host
(IPAM only) and a file-backend volume host on ``memory://``, and a consumer
of the usage notifications."""
import contextlib
import dataclasses
import json
import os

import pytest
import requests

from iaas import states
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import networks as db_net
from tests.functional.compute.conftest import wait_for
from tests.functional.compute.http import ADMIN_PW, Client
from tests.functional.notifications.conftest import Events
from tests.functional.volume.conftest import BACKEND, VolumeCloud
from tests.inprocess import control_plane, running

HOSTS = ('sh-c1', 'sh-c2')
MV = {'OpenStack-API-Version': 'compute 2.91'}


@dataclasses.dataclass
class Started:
    services: list

    def manager(self, host):
        return next(s.manager for s in self.services if s.host == host)


class ShelveCloud(VolumeCloud):
    def act(self, sid, body, token=None, v='2.91'):
        return self.c('POST', f'/servers/{sid}/action', body, token or self.alice,
                      headers={'OpenStack-API-Version': f'compute {v}'})

    def show(self, sid, token=None):
        return self.c('GET', f'/servers/{sid}', token=token or self.alice,
                      headers=MV).json['server']

    def boot(self, name='vm', token=None, **extra):
        body = {'server': {'name': name, 'imageRef': self.image, 'flavorRef': self.flavor,
                           'networks': 'none', **extra}}
        r = self.c('POST', '/servers', body, token or self.alice, headers=MV)
        assert r.status_int == 202, r.body
        sid = r.json['server']['id']
        self.settled(sid, 'ACTIVE')
        return sid

    def settled(self, sid, status):
        """The server once it shows ``status`` with no task running."""
        def check():
            s = self.show(sid, token=self.admin)
            return s if s['status'] == status and s['OS-EXT-STS:task_state'] is None else None
        return wait_for(check, timeout=30, what=f'{sid} {status}')

    def image_status(self, image_id):
        r = requests.get(f'{self.image_url}/v2/images/{image_id}', timeout=10,
                         headers={'X-Auth-Token': self.alice})
        return r.json()['status'] if r.status_code == 200 else r.status_code


def guests(conf, host):
    with open(os.path.join(conf.state_path, 'fake-driver', f'{host}.json')) as f:
        return json.load(f)['guests']


@pytest.fixture
def cloud(conf, db_url, tmp_path):
    with shelve_cloud(conf, tmp_path) as c:
        yield c


@contextlib.contextmanager
def shelve_cloud(conf, tmp_path):
    """The cloud of these tests (also the host-moves tests')."""
    from iaas import identity, notifications
    from iaas.api import ratelimit
    from iaas.api.compute import app as compute_app
    from iaas.api.identity import app as identity_api
    from iaas.api.image import app as image_app
    from iaas.api.volume import app as volume_app
    from iaas.common import service_auth
    from iaas.db import flavors as db_flavors
    from iaas.db import images as db_images
    from iaas.identity import bootstrap
    from iaas.image import stores
    from iaas.service import WSGIService
    for name, value, group in (
            ('bcrypt_rounds', 4, 'identity'), ('user_write_rate', 0, 'api'),
            ('transport_url', 'memory://', None), ('report_interval', 1, 'service'),
            ('enabled_backends', [BACKEND], 'volume'), ('spawn_delay', 0, 'fake_driver'),
            ('shutdown_timeout', 0, 'compute'), ('public_host', '127.0.0.1', 'api'),
            ('password', ADMIN_PW, 'service_user'),
            ('filesystem_store_datadir', str(tmp_path / 'images'), 'image')):
        conf.set_override(name, value, group=group)
    notifications.reset()
    stores.reset()
    identity.reset_state()
    ratelimit.reset()
    service_auth._client = None
    web = [WSGIService('identity', identity_api.build_app(), '127.0.0.1', 0, threads=4),
           WSGIService('image', image_app.build_app(), '127.0.0.1', 0, threads=4),
           WSGIService('compute', compute_app.build_app(), '127.0.0.1', 0, threads=4)]
    for svc in web:
        svc.start()
    conf.set_override('identity_port', web[0].port, group='api')
    conf.set_override('port', web[1].port, group='image')
    conf.set_override('compute_port', web[2].port, group='api')
    bootstrap.first_start(ADMIN_PW)     # the catalog names the ports above
    events = Events()
    try:
        with running(control_plane('sh-', compute=list(HOSTS), network=['sh-n1'],
                                   volume=['sh-v1'])) as started:
            c = ShelveCloud(Client(identity_api.build_app()),
                            Client(compute_app.build_app()))
            c.volume = Client(volume_app.build_app())
            c.image_url = f'http://127.0.0.1:{web[1].port}'
            c.auth_url = f'http://127.0.0.1:{web[0].port}/v3'
            c.image = db_images.image_create({
                'name': 'img', 'status': 'active', 'visibility': 'public',
                'disk_format': 'raw', 'container_format': 'bare', 'size': 4096,
                'owner': 'someone'})['id']
            c.flavor = db_flavors.create('sh.small', 128, 1, 1, flavorid='sh-1')['flavorid']
            c.admin, c.admin_project = c.token('admin', ADMIN_PW, 'admin')
            c.alice, c.a_project = c.member('alice', 'proj-a')
            c.bob, c.b_project = c.member('bob', 'proj-b')
            c.events, c.started = events, Started(started)
            yield c
            notifications.flush(15)
    finally:
        events.close()
        for svc in web:
            svc.stop()
        service_auth._client = None
        notifications.reset()
        stores.reset()
        identity.reset_state()
        ratelimit.reset()


def _types(cloud, sid):
    cloud.events.settled()
    return [m['event_type'] for m in cloud.events.seen
            if m['payload'].get('resource_id') == sid]


def _node_usage(host):
    return {n['host']: (n['vcpus_used'], n['memory_mb_used'], n['running_vms'])
            for n in db_nodes.list_()}[host]


# -- shelve → SHELVED → unshelve (the guest stays on its host) ------------------------

def test_shelve_keeps_the_guest_then_unshelve_powers_it_on(cloud, conf):
    conf.set_override('shelved_offload_time', -1)
    sid = cloud.boot('keeper')
    host = db.get(sid)['host']
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    s = cloud.settled(sid, 'SHELVED')
    assert s['OS-EXT-STS:vm_state'] == 'shelved'
    assert s['OS-EXT-STS:power_state'] == states.SHUTDOWN
    inst = db.get(sid)
    assert inst['host'] == host                       # not offloaded
    image_id = inst['system_metadata']['shelved_image_id']
    assert cloud.image_status(image_id) == 'active'
    r = requests.get(f'{cloud.image_url}/v2/images/{image_id}', timeout=10,
                     headers={'X-Auth-Token': cloud.alice}).json()
    assert r['name'] == 'keeper-shelved' and r['instance_uuid'] == sid
    assert guests(conf, host)[sid]['power_state'] == states.SHUTDOWN
    assert _node_usage(host)[2] == 1                  # still counted on its host

    assert cloud.act(sid, {'unshelve': None}).status_int == 202
    s = cloud.settled(sid, 'ACTIVE')
    assert s['OS-EXT-STS:power_state'] == states.RUNNING
    assert guests(conf, host)[sid]['power_state'] == states.RUNNING
    wait_for(lambda: cloud.image_status(image_id) == 404, what='shelved image deleted')
    types = _types(cloud, sid)
    assert types.count('compute.instance.shelve.end') == 1
    assert types.count('compute.instance.unshelve.end') == 1
    assert 'compute.instance.shelve_offload.end' not in types
    shelved = next(m for m in cloud.events.seen if m['payload'].get('resource_id') == sid
                   and m['event_type'] == 'compute.instance.shelve.end')
    assert shelved['payload']['state'] == 'shelved'
    actions = [a['action'] for a in db.actions_list(sid)]
    assert actions[:2] == ['unshelve', 'shelve']


# -- shelve with offload time 0 → SHELVED_OFFLOADED → unshelve on another host -------

def test_offloaded_at_once_then_unshelved_on_another_host_with_its_ports(cloud, conf):
    net = db_net.network_create('shnet', cloud.a_project)
    db_net.subnet_create(net['id'], '10.77.0.0/24', project_id=cloud.a_project)
    sid = cloud.boot('mover', networks=[{'uuid': net['id']}])
    first = db.get(sid)['host']
    ports = [(p['id'], p['fixed_ips'][0]['ip_address']) for p in
             db_net.port_list(device_id=sid)]
    assert len(ports) == 1
    usage_before = _node_usage(first)
    assert usage_before[2] == 1
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    s = cloud.settled(sid, 'SHELVED_OFFLOADED')
    assert s['OS-EXT-STS:vm_state'] == 'shelved_offloaded'
    inst = db.get(sid)
    assert inst['host'] is None and inst['node'] is None
    assert sid not in guests(conf, first)             # destroyed on its host
    assert _node_usage(first) == (0, 0, 0)            # the claim released
    assert [(p['id'], p['fixed_ips'][0]['ip_address'])
            for p in db_net.port_list(device_id=sid)] == ports      # ports stay
    image_id = inst['system_metadata']['shelved_image_id']
    assert cloud.image_status(image_id) == 'active'
    # quotas: the instance still counts (Nova keeps cores/ram counted too)
    limits = cloud.c('GET', '/limits', token=cloud.alice).json['limits']['absolute']
    assert limits['totalInstancesUsed'] == 1

    other = next(h for h in HOSTS if h != first)
    assert cloud.act(sid, {'unshelve': {'host': other}}, token=cloud.admin).status_int == 202
    s = cloud.settled(sid, 'ACTIVE')
    assert db.get(sid)['host'] == other
    assert guests(conf, other)[sid]['image_id'] == image_id   # spawned from the snapshot
    assert _node_usage(other)[2] == 1
    got = db_net.port_list(device_id=sid)
    assert [(p['id'], p['fixed_ips'][0]['ip_address']) for p in got] == ports
    assert got[0]['binding:host_id'] == other
    wait_for(lambda: cloud.image_status(image_id) == 404, what='shelved image deleted')
    types = _types(cloud, sid)
    for t in ('compute.instance.shelve.end', 'compute.instance.shelve_offload.end',
              'compute.instance.unshelve.end'):
        assert types.count(t) == 1, types
    assert types.index('compute.instance.shelve_offload.end') < \
        types.index('compute.instance.unshelve.end')


# -- explicit shelveOffload, and the periodic offload -----------------------------------

def test_explicit_and_periodic_offload(cloud, conf):
    from iaas.context import get_admin_context
    conf.set_override('shelved_offload_time', -1)
    sid, sid2 = cloud.boot('explicit'), cloud.boot('periodic')
    for s in (sid, sid2):
        assert cloud.act(s, {'shelve': None}).status_int == 202
        cloud.settled(s, 'SHELVED')
    # admin-only, as Nova
    r = cloud.act(sid, {'shelveOffload': None})
    assert r.status_int == 403, r.body
    assert cloud.act(sid, {'shelveOffload': None}, token=cloud.admin).status_int == 202
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    assert db.get(sid)['host'] is None
    # from SHELVED_OFFLOADED there is nothing to offload
    r = cloud.act(sid, {'shelveOffload': None}, token=cloud.admin)
    assert r.status_int == 409 and 'conflictingRequest' in r.json_or_none, r.body

    # the periodic task: nothing before shelved_offload_time, then the offload
    host = db.get(sid2)['host']
    mgr = cloud.started.manager(host)
    conf.set_override('shelved_offload_time', 3600)
    mgr.offload_shelved(get_admin_context())
    assert db.get(sid2)['vm_state'] == states.SHELVED
    long_ago = db.get(sid2)['updated_at'].replace(year=2000)
    db.update(sid2, expected_task_state=None, updated_at=long_ago)
    mgr.offload_shelved(get_admin_context())
    cloud.settled(sid2, 'SHELVED_OFFLOADED')
    assert sid2 not in guests(conf, host)


# -- refused states, microversions, other projects -----------------------------------

def test_refused_states_and_arguments(cloud, conf):
    conf.set_override('shelved_offload_time', -1)
    sid = cloud.boot('refused')
    for body in ({'unshelve': None}, {'shelveOffload': None}):
        r = cloud.act(sid, body, token=cloud.admin)
        assert r.status_int == 409, (body, r.body)
        assert 'conflictingRequest' in r.json_or_none
    # from SHUTOFF, PAUSED, SUSPENDED too (ACTIVE is the other tests')
    assert cloud.act(sid, {'pause': None}).status_int == 202
    cloud.settled(sid, 'PAUSED')
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    cloud.settled(sid, 'SHELVED')
    r = cloud.act(sid, {'shelve': None})
    assert r.status_int == 409 and "Cannot 'shelve' instance" in r.body.decode()
    for body in ({'os-start': None}, {'reboot': {'type': 'HARD'}}, {'pause': None},
                 {'createImage': {'name': 'x'}}):
        assert cloud.act(sid, body).status_int == 409, body
    # availability_zone / host only for an offloaded server (409), and by version
    assert cloud.act(sid, {'unshelve': {'availability_zone': 'nova'}}).status_int == 409
    assert cloud.act(sid, {'unshelve': {}}, v='2.77').status_int == 400
    assert cloud.act(sid, {'unshelve': {'host': 'sh-c1'}}, v='2.90').status_int == 400
    assert cloud.act(sid, {'unshelve': {'bogus': 1}}, v='2.91').status_int == 400
    assert cloud.act(sid, {'unshelve': {'host': 'sh-c1'}}).status_int == 409
    assert cloud.act(sid, {'shelveOffload': None}, token=cloud.admin).status_int == 202
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    assert cloud.act(sid, {'unshelve': {'host': 'sh-c1'}}).status_int == 403   # admin only
    r = cloud.act(sid, {'unshelve': {'host': 'no-such-host'}}, token=cloud.admin)
    assert r.status_int == 400, r.body
    r = cloud.act(sid, {'unshelve': {'availability_zone': 'elsewhere'}}, v='2.77')
    assert r.status_int == 400, r.body
    r = cloud.act(sid, {'unshelve': {'availability_zone': 'elsewhere', 'host': 'sh-c1'}},
                  token=cloud.admin)
    assert r.status_int == 409, r.body
    assert cloud.show(sid)['status'] == 'SHELVED_OFFLOADED'
    # another project's server: 404 for each action (admin-only shelveOffload too)
    for body in ({'shelve': None}, {'unshelve': None}, {'shelveOffload': None}):
        r = cloud.act(sid, body, token=cloud.bob)
        assert r.status_int == 404 and 'itemNotFound' in r.json_or_none, (body, r.body)
    # an unshelve in its zone (2.77) with 2.76 ignoring the argument
    assert cloud.act(sid, {'unshelve': {'availability_zone': 'x'}}, v='2.76').status_int == 202
    cloud.settled(sid, 'ACTIVE')
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    cloud.settled(sid, 'SHELVED')
    cloud.act(sid, {'shelveOffload': None}, token=cloud.admin)
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    assert cloud.act(sid, {'unshelve': {'availability_zone': 'nova'}},
                     v='2.77').status_int == 202
    cloud.settled(sid, 'ACTIVE')


def test_delete_of_an_offloaded_server_drops_its_image_and_ports(cloud, conf):
    net = db_net.network_create('delnet', cloud.a_project)
    db_net.subnet_create(net['id'], '10.78.0.0/24', project_id=cloud.a_project)
    sid = cloud.boot('gone', networks=[{'uuid': net['id']}])
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    image_id = db.get(sid)['system_metadata']['shelved_image_id']
    assert cloud.c('DELETE', f'/servers/{sid}', token=cloud.alice).status_int == 204
    assert cloud.c('GET', f'/servers/{sid}', token=cloud.alice).status_int == 404
    assert cloud.image_status(image_id) == 404
    wait_for(lambda: db_net.port_list(device_id=sid) == [], what='ports released')
    assert 'compute.instance.delete.end' in _types(cloud, sid)


# -- volume-backed: no snapshot, offloaded at once, back from its root volume ---------

def test_volume_backed_shelve_and_unshelve(cloud, conf):
    conf.set_override('shelved_offload_time', -1)     # volume-backed: offloaded anyway
    root = cloud.create(size=1, name='root')
    cloud.wait_status(root['id'], 'available')
    body = {'server': {'name': 'bfv', 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
                       'networks': 'none', 'block_device_mapping_v2': [
                           {'source_type': 'volume', 'destination_type': 'volume',
                            'uuid': root['id'], 'boot_index': 0}]}}
    r = cloud.c('POST', '/servers', body, cloud.alice, headers=MV)
    assert r.status_int == 202, r.body
    sid = r.json['server']['id']
    cloud.settled(sid, 'ACTIVE')
    cloud.wait_status(root['id'], 'in-use')
    first = db.get(sid)['host']
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    inst = db.get(sid)
    assert 'shelved_image_id' not in inst['system_metadata']     # no snapshot
    assert inst['host'] is None and sid not in guests(conf, first)
    # the volume stays attached to the server
    vol = cloud.wait_status(root['id'], 'in-use')
    assert vol['attachments'][0]['server_id'] == sid
    assert cloud.act(sid, {'unshelve': None}).status_int == 202
    cloud.settled(sid, 'ACTIVE')
    host = db.get(sid)['host']
    guest = guests(conf, host)[sid]
    assert [(v['serial'], v['device']) for v in guest['volumes']] == [
        (root['id'], '/dev/vda')]
    assert cloud.wait_status(root['id'], 'in-use')['attachments'][0]['server_id'] == sid
    types = _types(cloud, sid)
    assert {'compute.instance.shelve.end', 'compute.instance.shelve_offload.end',
            'compute.instance.unshelve.end'} <= set(types)


# -- volumes attached to and detached from an offloaded server (2.20+) ---------------

def test_attach_and_detach_while_offloaded(cloud, conf):
    sid = cloud.boot('parked')
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    data, spare = cloud.create(size=1, name='data'), cloud.create(size=1, name='spare')
    for v in (data, spare):
        cloud.wait_status(v['id'], 'available')
    path = f'/servers/{sid}/os-volume_attachments'

    def attach(vid, version):
        return cloud.c('POST', path, {'volumeAttachment': {'volumeId': vid}}, cloud.alice,
                       headers={'OpenStack-API-Version': f'compute {version}'})
    r = attach(data['id'], '2.19')             # before 2.20: Nova's 409
    assert r.status_int == 409, r.body
    assert cloud.wait_status(data['id'], 'available')['attachments'] == []
    for v in (data, spare):
        r = attach(v['id'], '2.20')
        assert r.status_int == 200, r.body
        assert r.json['volumeAttachment']['serverId'] == sid
        vol = cloud.wait_status(v['id'], 'in-use')      # at once: no host to plug in
        assert vol['attachments'][0]['server_id'] == sid
    # detached while still offloaded: available again at once
    r = cloud.c('DELETE', f'{path}/{spare["id"]}', token=cloud.alice,
                headers={'OpenStack-API-Version': 'compute 2.20'})
    assert r.status_int == 202, r.body
    assert cloud.wait_status(spare['id'], 'available')['attachments'] == []
    # unshelve: the host it lands on plugs the volume attached meanwhile in
    assert cloud.act(sid, {'unshelve': None}).status_int == 202
    cloud.settled(sid, 'ACTIVE')
    guest = guests(conf, db.get(sid)['host'])[sid]
    assert [v['serial'] for v in guest['volumes']] == [data['id']]
    att = cloud.c('GET', path, token=cloud.alice, headers={
        'OpenStack-API-Version': 'compute 2.20'}).json['volumeAttachments']
    assert [a['volumeId'] for a in att] == [data['id']]


# -- billing: a shelved server's time is billed as shelved -----------------------------

def test_shelved_time_is_billed_as_shelved(cloud, conf):
    """The envelopes this cloud emits for a server's life (create, shelve,
    offload, unshelve), moved to known times, go through billing's ingest:
    the shelved hours are metered instance.shelved, the rest running."""
    import datetime
    import decimal

    from iaas.billing import api as billing_api
    from iaas.billing import clock, events, ingest
    sid = cloud.boot('billed')
    assert cloud.act(sid, {'shelve': None}).status_int == 202
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    assert cloud.act(sid, {'unshelve': None}).status_int == 202
    cloud.settled(sid, 'ACTIVE')
    cloud.events.settled()
    t0 = datetime.datetime(2025, 3, 1)
    hours = {'compute.instance.create.end': 0, 'compute.instance.shelve.end': 2,
             'compute.instance.shelve_offload.end': 2.5,
             'compute.instance.unshelve.end': 12}
    mine = [dict(m, payload=dict(m['payload'])) for m in cloud.events.seen
            if m['payload'].get('resource_id') == sid and m['event_type'] in hours]
    assert sorted(m['event_type'] for m in mine) == sorted(hours), mine
    for m in mine:
        m['payload']['at'] = events.format_time(
            t0 + datetime.timedelta(hours=hours[m['event_type']]))
    fake = clock.FakeClock(t0 + datetime.timedelta(hours=15))
    old = clock.set_clock(fake)
    try:
        counts = ingest.ingest(mine)
        # shelve_offload.end changes nothing billing sees (shelved either
        # way): the contract may leave it out (ignored) or store it
        assert counts['stored'] >= 3 and counts['stored'] + counts['ignored'] == 4, counts
        rows = billing_api.usage(None, cloud.a_project, t0, t0 + datetime.timedelta(days=1),
                                 resource_type='instance')
    finally:
        clock.set_clock(old)
    got = {r['meter']: r['quantity'] for r in rows if r['resource_id'] == sid}
    assert got['instance.shelved'] == decimal.Decimal(10)
    assert got['instance.running'] == decimal.Decimal(5)


# -- python-openstackclient -----------------------------------------------------------

def test_openstackclient_shelve_offload_unshelve(cloud, conf):
    """Unmodified ``openstack server shelve [--offload] / unshelve`` (what
    it sends: shelve, then shelveOffload once it sees SHELVED; unshelve)."""
    import subprocess
    import sys
    conf.set_override('shelved_offload_time', -1)
    sid = cloud.boot('osc', token=cloud.admin)
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update({'OS_AUTH_URL': cloud.auth_url, 'OS_IDENTITY_API_VERSION': '3',
                'OS_USERNAME': 'admin', 'OS_PASSWORD': ADMIN_PW, 'OS_PROJECT_NAME': 'admin',
                'OS_USER_DOMAIN_NAME': 'Default', 'OS_PROJECT_DOMAIN_NAME': 'Default',
                'OS_REGION_NAME': 'RegionOne', 'OS_INTERFACE': 'public'})
    osc = os.path.join(os.path.dirname(sys.executable), 'openstack')

    def run(*args):
        r = subprocess.run([osc, *args], env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, (args, r.stdout, r.stderr[-2000:])
        return r.stdout
    run('server', 'shelve', '--wait', sid)
    assert cloud.settled(sid, 'SHELVED')['OS-EXT-STS:vm_state'] == 'shelved'
    run('server', 'unshelve', '--wait', sid)
    cloud.settled(sid, 'ACTIVE')
    # --offload (osc skips a server that is shelved already): shelve, wait, offload
    run('server', 'shelve', '--offload', '--wait', sid)
    cloud.settled(sid, 'SHELVED_OFFLOADED')
    run('server', 'unshelve', '--wait', sid)
    cloud.settled(sid, 'ACTIVE')
    out = run('server', 'show', '-f', 'json', sid)
    assert json.loads(out)['status'] == 'ACTIVE'
