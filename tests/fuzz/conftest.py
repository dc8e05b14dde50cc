"""The real all-in-one cloud the fuzz tests attack.

One ``iaas-all`` per test session (fake compute driver, SQLite, the
filesystem bus, everything on free loopback ports under a temporary
state_path), with two users in two projects made by the admin through the
identity API, each owning a network, a keypair, a server, an image and a
Swift container with an object — so fuzzed requests that name real ids
reach real handlers, and the tests can check those resources are
unchanged afterwards.
"""
import os
import subprocess
import sys
import time
import uuid
import warnings

import pytest
import requests

from tests.probe.compute.helpers import deadline_poll
from tests.probe.fixtures import free_ports, port_options, write_config

BIN = os.path.dirname(sys.executable)
ADMIN_PASSWORD = 'fuzz-admin-secret-1'
USER_PASSWORD = 'fuzz-user-secret-1'
START_TIMEOUT = 120.0
# The seed of every randomized choice of the fuzz run (printed; replays a run).
SEED = int(os.environ.get('IAAS_FUZZ_SEED', '1203'))
# Error words a response body must never carry (a leaked Python traceback).
TRACEBACK_MARKERS = ('Traceback (most recent call last)', 'File "/')


class AllInOne:
    """``iaas-all`` in a subprocess; ``urls`` of every API."""

    def __init__(self, tmp, sections=None):
        """``sections``: more options ({'group': {'option': value}}), merged in."""
        self.tmp = tmp
        self.state = tmp / 'state'
        names = port_options()
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        merged = {
            'identity': {'bcrypt_rounds': 4, 'admin_password': ADMIN_PASSWORD},
            # The fuzzer writes fast: the per-user write limit would
            # answer most of its requests 429 before any handler ran.
            'api': {'user_write_rate': 100000, 'user_write_burst': 1000000},
            'compute': {'compute_driver': 'fake'},
            'objectstore': {'fsync': False, 'default_replicas': 1, 'default_devices': 1}}
        for group, opts in (sections or {}).items():
            merged.setdefault(group, {}).update(opts)
        self.config = write_config(tmp / 'iaas.conf', self.state, ports=self.ports,
                                   host='fuzz', sections=merged)
        self.log_path = tmp / 'iaas-all.out'
        self._out = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(
            [os.path.join(BIN, 'iaas-all'), '--config-file', str(self.config),
             '--state-path', str(self.state)], stdout=self._out, stderr=subprocess.STDOUT)
        p = self.ports
        self.urls = {
            'identity': f'http://127.0.0.1:{p["identity_port"]}',
            'compute': f'http://127.0.0.1:{p["compute_port"]}',
            'network': f'http://127.0.0.1:{p["network_port"]}',
            'image': f'http://127.0.0.1:{p["image"]}',
            'objectstore': f'http://127.0.0.1:{p["objectstore"]}',
            'volume': f'http://127.0.0.1:{p["volume_port"]}',
            'rating': f'http://127.0.0.1:{p["rating_port"]}',
            'ec2': f'http://127.0.0.1:{p["ec2_port"]}',
        }

    def wait_ready(self):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f'iaas-all exited with {self.proc.returncode}:\n'
                                     f'{self.output()[-4000:]}')
            return (self.state / 'admin-openrc').exists()
        deadline_poll(ready, START_TIMEOUT, 0.1, what='iaas-all ready')

    def output(self):
        return self.log_path.read_text(errors='replace')

    def log(self):
        path = self.state / 'logs' / 'iaas-all.log'
        return path.read_text(errors='replace') if path.exists() else ''

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._out.close()


class Tenant:
    """A user with the member role on its own project, and what it owns."""

    def __init__(self, name, user_id, project_id, token):
        self.name, self.user_id, self.project_id, self.token = \
            name, user_id, project_id, token
        self.resources = {}

    @property
    def headers(self):
        return {'X-Auth-Token': self.token}


class FuzzCloud:
    def __init__(self, aio):
        self.aio = aio
        self.urls = aio.urls
        self.session = requests.Session()
        self.admin_token, self.admin_project_id = self.login('admin', ADMIN_PASSWORD, 'admin')
        self.tenants = []

    # --- plumbing ---------------------------------------------------------------------
    def call(self, api, method, path, token=None, expect=None, **kw):
        headers = dict(kw.pop('headers', None) or {})
        if token:
            headers['X-Auth-Token'] = token
        r = self.session.request(method, self.urls[api] + path, headers=headers,
                                 timeout=30, **kw)
        if expect is not None and r.status_code != expect:
            raise AssertionError(f'{method} {api}{path}: {r.status_code} {r.text[:500]}')
        return r

    def admin(self, api, method, path, expect=None, **kw):
        return self.call(api, method, path, token=self.admin_token, expect=expect, **kw)

    def login(self, user, password, project):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': 'default'}, 'password': password}}},
            'scope': {'project': {'name': project, 'domain': {'id': 'default'}}}}}
        r = self.call('identity', 'POST', '/v3/auth/tokens?nocatalog', json=body,
                      expect=201)
        return r.headers['X-Subject-Token'], r.json()['token']['project']['id']

    # --- provisioning -------------------------------------------------------------------
    def add_tenant(self, name):
        project = self.admin('identity', 'POST', '/v3/projects', expect=201, json={
            'project': {'name': name, 'domain_id': 'default'}}).json()['project']
        user = self.admin('identity', 'POST', '/v3/users', expect=201, json={
            'user': {'name': name, 'domain_id': 'default', 'password': USER_PASSWORD,
                     'default_project_id': project['id']}}).json()['user']
        roles = self.admin('identity', 'GET', '/v3/roles?name=member', expect=200).json()
        role_id = roles['roles'][0]['id']
        self.admin('identity', 'PUT', f'/v3/projects/{project["id"]}/users/{user["id"]}'
                   f'/roles/{role_id}', expect=204)
        token, project_id = self.login(name, USER_PASSWORD, name)
        tenant = Tenant(name, user['id'], project_id, token)
        self.tenants.append(tenant)
        self._give_resources(tenant)
        return tenant

    def _give_resources(self, t):
        res = t.resources
        tok = t.token
        net = self.call('network', 'POST', '/v2.0/networks', tok, 201,
                        json={'network': {'name': f'{t.name}-net'}}).json()['network']
        res['network_id'] = net['id']
        sub = self.call('network', 'POST', '/v2.0/subnets', tok, 201, json={'subnet': {
            'network_id': net['id'], 'cidr': '10.9.0.0/24', 'ip_version': 4,
            'name': f'{t.name}-subnet'}}).json()['subnet']
        res['subnet_id'] = sub['id']
        sg = self.call('network', 'POST', '/v2.0/security-groups', tok, 201, json={
            'security_group': {'name': f'{t.name}-sg'}}).json()['security_group']
        res['security_group_id'] = sg['id']
        res['keypair'] = f'{t.name}-key'
        self.call('compute', 'POST', '/v2.1/os-keypairs', tok, 200,
                  json={'keypair': {'name': res['keypair']}})
        img = self.call('image', 'POST', '/v2/images', tok, 201, json={
            'name': f'{t.name}-image', 'disk_format': 'raw',
            'container_format': 'bare'}).json()
        res['image_id'] = img['id']
        self.call('image', 'PUT', f'/v2/images/{img["id"]}/file', tok, 204,
                  data=b'\0' * 4096, headers={'Content-Type': 'application/octet-stream'})
        deadline_poll(lambda: self.call(
            'image', 'GET', f'/v2/images/{img["id"]}', tok).json().get('status') == 'active',
            30, what='image active')
        flavors = self.call('compute', 'GET', '/v2.1/flavors', tok, 200).json()['flavors']
        res['flavor_id'] = flavors[0]['id']
        server = self.call('compute', 'POST', '/v2.1/servers', tok, 202, json={'server': {
            'name': f'{t.name}-server', 'imageRef': img['id'],
            'flavorRef': flavors[0]['id'], 'networks': [{'uuid': net['id']}],
            'key_name': res['keypair'], 'metadata': {'owner': t.name}}}).json()['server']
        res['server_id'] = server['id']
        deadline_poll(lambda: self.call(
            'compute', 'GET', f'/v2.1/servers/{server["id"]}', tok).json()
            .get('server', {}).get('status') in ('ACTIVE', 'ERROR'), 60, what='server ACTIVE')
        vol = self.call('volume', 'POST', f'/v3/{t.project_id}/volumes', tok, 202, json={
            'volume': {'size': 1, 'name': f'{t.name}-volume',
                       'metadata': {'owner': t.name}}}).json()['volume']
        res['volume_id'] = vol['id']
        vpath = f'/v3/{t.project_id}/volumes/{vol["id"]}'
        deadline_poll(lambda: self.call('volume', 'GET', vpath, tok).json()['volume'][
            'status'] == 'available', 60, what='volume available')
        snap = self.call('volume', 'POST', f'/v3/{t.project_id}/snapshots', tok, 202, json={
            'snapshot': {'volume_id': vol['id'], 'name': f'{t.name}-snap'}}).json()['snapshot']
        res['snapshot_id'] = snap['id']
        deadline_poll(lambda: self.call(
            'volume', 'GET', f'/v3/{t.project_id}/snapshots/{snap["id"]}', tok).json()[
            'snapshot']['status'] == 'available', 60, what='snapshot available')
        res['account'] = f'AUTH_{t.project_id}'
        res['container'] = f'{t.name}-box'
        res['object'] = 'hello.txt'
        base = f'/v1/{res["account"]}/{res["container"]}'
        self.call('objectstore', 'PUT', base, tok, 201)
        self.call('objectstore', 'PUT', f'{base}/{res["object"]}', tok, 201,
                  data=f'hello from {t.name}'.encode())

    # --- what a tenant has (to compare before/after) -------------------------------------
    # States a resource leaves by itself: a "before" taken while an earlier
    # test's server still builds would differ from any later view. Per kind:
    # an image stays 'queued' until someone uploads its data (the fuzzed
    # image creates leave such images), so it is a resting state there.
    TRANSITIONAL = {
        'servers': {'BUILD', 'REBUILD', 'RESIZE', 'REBOOT', 'HARD_REBOOT', 'MIGRATING'},
        'volumes': {'creating', 'deleting', 'extending', 'attaching', 'detaching',
                    'downloading', 'uploading', 'backing-up', 'restoring-backup',
                    'retyping'},
        'snapshots': {'creating', 'deleting', 'backing-up', 'restoring'},
        'images': {'saving', 'importing', 'uploading', 'deleting'},
    }

    def snapshot(self, t, settle=True):
        """Everything tenant ``t`` sees of its own resources, normalized;
        with ``settle``, once none of them is in a transitional state (or
        after 60 s)."""
        if not settle:
            return self._snapshot(t)
        seen = []

        def settled():
            seen[:] = [self._snapshot(t)]
            return not any(row[2] in states for key, states in self.TRANSITIONAL.items()
                           for row in seen[0][key])
        try:
            deadline_poll(settled, 60, what='resources settled')
        except AssertionError:
            stuck = [(key, row[0], row[2]) for key, states in self.TRANSITIONAL.items()
                     for row in seen[0][key] if row[2] in states]
            warnings.warn(f'{t.name}: still transitional after 60 s: {stuck}', stacklevel=2)
        return seen[0]

    def _snapshot(self, t):
        tok = t.token
        res = t.resources

        def get(api, path):
            r = self.call(api, 'GET', path, tok)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            return r
        servers = get('compute', '/v2.1/servers/detail').json()['servers']
        snap = {
            'servers': sorted((s['id'], s['name'], s['status'], tuple(sorted(
                s.get('metadata', {}).items()))) for s in servers),
            'networks': sorted((n['id'], n['name'], n.get('admin_state_up'))
                               for n in get('network', '/v2.0/networks').json()['networks']
                               if n.get('project_id') == t.project_id),
            'subnets': sorted((s['id'], s['cidr'], s['name'])
                              for s in get('network', '/v2.0/subnets').json()['subnets']
                              if s.get('project_id') == t.project_id),
            'ports': sorted((p['id'], p['network_id'], p.get('device_id'))
                            for p in get('network', '/v2.0/ports').json()['ports']
                            if p.get('project_id') == t.project_id),
            'security_groups': sorted(
                (g['id'], g['name'], len(g.get('security_group_rules', [])))
                for g in get('network', '/v2.0/security-groups').json()['security_groups']
                if g.get('project_id') == t.project_id),
            'keypairs': sorted(k['keypair']['name'] for k in get(
                'compute', '/v2.1/os-keypairs').json()['keypairs']),
            'images': sorted((i['id'], i['name'], i['status'], i.get('size'),
                              tuple(sorted(i.get('tags', []))))
                             for i in get('image', '/v2/images').json()['images']
                             if i.get('owner') == t.project_id),
            'volumes': sorted((v['id'], v['name'], v['status'], v['size'],
                               tuple(sorted(v['metadata'].items())))
                              for v in get('volume', f'/v3/{t.project_id}/volumes/detail')
                              .json()['volumes']),
            'snapshots': sorted((x['id'], x['name'], x['status'])
                                for x in get('volume', f'/v3/{t.project_id}/snapshots')
                                .json()['snapshots']),
            'containers': get('objectstore', f'/v1/{res["account"]}?format=json').json(),
            'object': get('objectstore', f'/v1/{res["account"]}/{res["container"]}/'
                          f'{res["object"]}').content,
        }
        for c in snap['containers']:
            c.pop('last_modified', None)
        return snap

    def unchanged(self, t, before, timeout=5.0):
        """'' when tenant ``t``'s snapshot equals ``before`` (waiting up to
        ``timeout`` for asynchronous updates such as Swift's container
        stats to settle), else what differs."""
        seen = []

        def same():
            seen[:] = [self.snapshot(t, settle=False)]
            return seen[0] == before
        try:
            deadline_poll(same, timeout, what='data unchanged')
            return ''
        except AssertionError:
            after = seen[0]
            return '; '.join(f'{k}: {before[k]!r:.300} -> {after.get(k)!r:.300}'
                             for k in before if before[k] != after.get(k))


@pytest.fixture(scope='session')
def aio(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('fuzz-cloud')
    started = time.monotonic()
    cloud = AllInOne(tmp)
    try:
        cloud.wait_ready()
        yield cloud
    finally:
        cloud.stop()
        print(f'\nfuzz: iaas-all ran {time.monotonic() - started:.1f}s')
        log = cloud.log()
        # A traceback in the daemon's log is fine (a 500 is logged with it),
        # but it is what to read when a fuzz test failed.
        if 'Traceback' in log:
            (tmp / 'tracebacks.txt').write_text(log)


@pytest.fixture(scope='session')
def fuzz_cloud(aio):
    started = time.monotonic()
    fc = FuzzCloud(aio)
    suffix = uuid.uuid4().hex[:6]
    fc.alice = fc.add_tenant(f'alice-{suffix}')
    fc.bob = fc.add_tenant(f'bob-{suffix}')
    print(f'\nfuzz: two tenants provisioned in {time.monotonic() - started:.1f}s')
    return fc
