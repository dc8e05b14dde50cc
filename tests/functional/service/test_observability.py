"""Observability end to end: the identity and compute APIs on real ports
(iaas.service.WSGIService), conductor, scheduler, a compute host (fake
driver) and a network host (IPAM only) in this process on ``memory://``.

One boot's request id, sent back as X-OpenStack-Request-Id, is on the log
records of the API request and of the scheduler's, the compute host's and
the network host's work for it; the boot shows in /metrics; /healthcheck
gives the detail to admins only."""
import json
import logging
import threading

import pytest
import requests

from iaas.common import logs
from tests.inprocess import control_plane, running
from tests.probe.compute.helpers import deadline_poll

ADMIN_PW = 'admin-pass-1'
PW = 'pw-' + 'x' * 10


class Collect(logging.Handler):
    """Keeps every record (with its request id) from every thread."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.addFilter(logs.RequestIdFilter())
        self.records = []
        self._guard = threading.Lock()

    def emit(self, record):
        with self._guard:
            self.records.append(record)

    def of(self, rid):
        with self._guard:
            return [r for r in self.records if r.request_id == rid]


@pytest.fixture
def collected():
    root = logging.getLogger()
    handler, level = Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def cloud(conf, db_url, collected, monkeypatch):
    from iaas import identity
    from iaas.api import auth, ratelimit
    from iaas.api.compute import app as compute_app
    from iaas.api.identity import app as identity_api
    from iaas.common import health
    from iaas.db import flavors as db_flavors
    from iaas.db import images as db_images
    from iaas.identity import bootstrap
    from iaas.service import WSGIService
    conf.set_override('transport_url', 'memory://')
    conf.set_override('spawn_delay', 0, group='fake_driver')
    conf.set_override('bcrypt_rounds', 4, group='identity')
    conf.set_override('user_write_rate', 0, group='api')
    identity.reset_state()
    ratelimit.reset()
    bootstrap.first_start(ADMIN_PW)
    monkeypatch.setattr(health, '_admin_check', [auth.token_is_admin])
    apis = {'identity': WSGIService('identity', identity_api.build_app(), '127.0.0.1', 0),
            'compute': WSGIService('compute', compute_app.build_app(), '127.0.0.1', 0)}
    c = type('Cloud', (), {})()
    c.url = {}
    with running(control_plane(compute=['ob1'], network=['ob1'])):
        for name, svc in apis.items():
            svc.start()
            c.url[name] = f'http://127.0.0.1:{svc.port}'
        try:
            c.image = db_images.image_create({
                'name': 'img', 'status': 'active', 'visibility': 'public',
                'disk_format': 'raw', 'container_format': 'bare', 'size': 4096,
                'owner': 'someone'})['id']
            c.flavor = db_flavors.create('obs.small', 128, 1, 1, flavorid='obs-1')['flavorid']
            c.huge = db_flavors.create('obs.huge', 128, 1, 1 << 20, flavorid='obs-2')['flavorid']
            c.admin, c.project = token(c, 'admin', ADMIN_PW, 'admin')
            yield c
        finally:
            for svc in apis.values():
                svc.stop(2)
    identity.reset_state()
    ratelimit.reset()


def token(c, user, password, project):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'password': password, 'domain': {'name': 'Default'}}}},
        'scope': {'project': {'name': project, 'domain': {'name': 'Default'}}}}}
    r = requests.post(c.url['identity'] + '/v3/auth/tokens', json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.headers['X-Subject-Token'], r.json()['token']['project']['id']


def boot(c, flavor, networks):
    r = requests.post(c.url['compute'] + '/v2.1/servers', timeout=30,
                      headers={'X-Auth-Token': c.admin},
                      json={'server': {'name': 'obs', 'imageRef': c.image, 'flavorRef': flavor,
                                       'networks': networks}})
    assert r.status_code == 202, r.text
    return r.json()['server']['id'], r.headers['X-Openstack-Request-Id']


def status(c, server_id):
    r = requests.get(f"{c.url['compute']}/v2.1/servers/{server_id}", timeout=30,
                     headers={'X-Auth-Token': c.admin})
    return r.json()['server']['status']


def metric_lines(c, port='compute'):
    r = requests.get(c.url[port] + '/metrics', timeout=30)
    assert r.status_code == 200
    return r.text.splitlines()


def value(lines, name, **labels):
    """The sample's value, or 0; labels given must all match."""
    for line in lines:
        if line.startswith(name + '{') and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(' ', 1)[1])
    return 0


def test_one_request_id_across_api_scheduler_compute_and_network(cloud, collected):
    from iaas.db import networks as db_networks
    net = db_networks.network_create('obsnet', cloud.project)
    db_networks.subnet_create(net['id'], '10.77.0.0/24', project_id=cloud.project)
    before = metric_lines(cloud)
    server_id, rid = boot(cloud, cloud.flavor, [{'uuid': net['id']}])
    assert rid.startswith('req-')
    deadline_poll(lambda: status(cloud, server_id) == 'ACTIVE', 30, 0.05, what='ACTIVE')
    # the build's last records (its activation) may still be on their way
    threads = deadline_poll(lambda: _sides({r.threadName for r in collected.of(rid)}), 30,
                            0.05, what=f'records of {rid} from every side')
    assert threads
    records = collected.of(rid)
    assert any(r.name == 'iaas.wsgi' for r in records)            # the API's access line
    assert any(r.name.startswith('iaas.compute.manager') for r in records)
    # nothing of another request leaked into this one's threads
    other = [r for r in collected.records if r.request_id not in (rid, logs.NO_REQUEST)
             and r.threadName.startswith('rpc-network')]
    assert all(r.request_id != rid for r in other)

    after = metric_lines(cloud)
    for name, labels in (
            ('iaas_http_requests_total', dict(service='compute', route='/v2.1/servers',
                                              method='POST', status='202')),
            ('iaas_rpc_client_requests_total', dict(topic='scheduler', method='build_instances',
                                                    kind='cast', outcome='ok')),
            ('iaas_rpc_server_requests_total', dict(topic='network',
                                                    method='allocate_for_instance',
                                                    outcome='ok')),
            ('iaas_compute_builds_total', dict(outcome='active')),
            ('iaas_scheduler_decisions_total', dict(outcome='placed'))):
        assert value(after, name, **labels) >= value(before, name, **labels) + 1, name
    assert value(after, 'iaas_compute_build_duration_seconds_count', outcome='active') >= 1
    assert value(after, 'iaas_db_pool_checked_out') >= 0
    assert any(line.startswith('iaas_rpc_queue_messages{queue=') for line in after)


def _sides(threads):
    """The sides that logged (API worker, scheduler, compute, network) when all did."""
    sides = {'api': any(t.startswith('compute-worker') for t in threads),
             'scheduler': any(t.startswith('rpc-scheduler') for t in threads),
             'compute': any(t.startswith(('rpc-compute', 'compute-op')) for t in threads),
             'network': any(t.startswith('rpc-network') for t in threads)}
    return threads if all(sides.values()) else None


def test_no_valid_host_counted(cloud):
    before = value(metric_lines(cloud), 'iaas_scheduler_decisions_total',
                   outcome='no_valid_host')
    server_id, _ = boot(cloud, cloud.huge, 'none')
    deadline_poll(lambda: status(cloud, server_id) == 'ERROR', 30, 0.05, what='ERROR')
    assert value(metric_lines(cloud), 'iaas_scheduler_decisions_total',
                 outcome='no_valid_host') == before + 1


def test_healthcheck_detail_for_admins_only(cloud, conf):
    conf.set_override('allowed_networks', [], group='metrics')   # 127.0.0.1 is a stranger
    url = cloud.url['compute'] + '/healthcheck'
    r = requests.get(url, timeout=30)
    assert (r.status_code, r.text) == (200, 'OK')
    r = requests.get(url + '?detail', headers={'X-Auth-Token': 'not-a-token'}, timeout=30)
    assert (r.status_code, r.text) == (200, 'OK')
    r = requests.get(url, headers={'X-Auth-Token': cloud.admin}, timeout=30)
    assert (r.status_code, r.text) == (200, 'OK')          # a plain probe: the word
    r = requests.get(url + '?detail', headers={'X-Auth-Token': cloud.admin}, timeout=30)
    assert r.status_code == 200
    detail = json.loads(r.text)
    assert detail['status'] == 'OK'
    assert {k: v['ok'] for k, v in detail['checks'].items()} == {
        'database': True, 'bus': True, 'disk': True}
    member, _ = _member(cloud)
    r = requests.get(url + '?detail', headers={'X-Auth-Token': member}, timeout=30)
    assert (r.status_code, r.text) == (200, 'OK')
    # /metrics is not for strangers: 404 as an unknown path, in the API's format
    r = requests.get(cloud.url['compute'] + '/metrics', timeout=30,
                     headers={'X-Auth-Token': cloud.admin})
    assert r.status_code == 404 and 'itemNotFound' in r.text


def _member(c):
    h = {'X-Auth-Token': c.admin}
    base = c.url['identity'] + '/v3'
    uid = requests.post(base + '/users', headers=h, timeout=30, json={
        'user': {'name': 'obs-member', 'password': PW}}).json()['user']['id']
    rid = requests.get(base + '/roles?name=member', headers=h,
                       timeout=30).json()['roles'][0]['id']
    r = requests.put(f'{base}/projects/{c.project}/users/{uid}/roles/{rid}', headers=h,
                     timeout=30)
    assert r.status_code == 204, r.text
    return token(c, 'obs-member', PW, 'admin')
