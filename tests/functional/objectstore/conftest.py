"""An in-process object store: N storage servers (each its own devices) and
a proxy, on free ports, with a ring built for them."""
import os

import pytest

from iaas.api.objectstore.auth import Auth
from iaas.api.objectstore.proxy import Proxy
from iaas.objectstore import local
from iaas.objectstore.cluster import Cluster
from iaas.objectstore.ring import Ring, RingBuilder
from iaas.objectstore.storage.server import StorageServer
from iaas.service import WSGIService
from tests.ports import free_port  # noqa: F401 (re-exported)

USERS = ['test:tester:testing:.admin', 'test:alt:altpass:.admin', 'test2:tester2:testing2:.admin', 'test:reader:rpass']


class Store:
    def __init__(self, root, servers=3, devices_per_server=1, replicas=3, part_power=6,
                 max_file_size=5 * 1024 ** 3, in_process=False):
        self.root = str(root)
        self.ring_path = os.path.join(self.root, 'object.ring.json')
        b = RingBuilder(part_power, replicas)
        self.nodes = []
        for s in range(servers):
            port = free_port()
            devroot = os.path.join(self.root, f'node{s}')
            for d in range(devices_per_server):
                os.makedirs(os.path.join(devroot, f'd{s}{d}'))
                b.add_dev('127.0.0.1', port, f'd{s}{d}', 100, zone=s + 1)
            self.nodes.append((devroot, port))
        b.rebalance(seed=7)
        b.save(self.ring_path)
        self.ring = Ring(self.ring_path, reload_interval=0)
        self.services = []
        self.storage = []
        for devroot, port in self.nodes:
            srv = StorageServer(devroot, self.ring, fsync=False, addr=('127.0.0.1', port))
            if in_process:      # as in iaas-all: no socket between proxy and storage
                local.register('127.0.0.1', port, srv)
                svc = None
            else:
                svc = WSGIService(f'storage-{port}', srv, '127.0.0.1', port, threads=16)
                svc.start()
            self.services.append(svc)
            self.storage.append(srv)
        self.auth = Auth(USERS, 'secret', use_identity=False)
        self.cluster = Cluster(self.ring, 0.5, 5.0, 10.0)
        self.proxy = Proxy(self.ring, self.cluster, self.auth, max_file_size=max_file_size)
        port = free_port()
        self.proxy_svc = WSGIService('proxy', self.proxy, '127.0.0.1', port, threads=16)
        self.proxy_svc.start()
        self.url = f'http://127.0.0.1:{port}'

    def token(self, user='test:tester', key='testing'):
        import requests
        r = requests.get(self.url + '/auth/v1.0', headers={'X-Auth-User': user,
                                                           'X-Auth-Key': key})
        r.raise_for_status()
        return r.headers['X-Auth-Token'], r.headers['X-Storage-Url']

    def stop(self):
        self.proxy_svc.stop()
        for svc, (_, port) in zip(self.services, self.nodes, strict=True):
            if svc is not None:
                svc.stop()
            local.unregister('127.0.0.1', port)
        for srv in self.storage:
            srv.updates.stop()


@pytest.fixture(params=['http', 'in-process'])
def store(request, tmp_path):
    s = Store(tmp_path, in_process=request.param == 'in-process')
    yield s
    s.stop()


class Cloud:
    """The real identity service in-process (the test's SQLite database) and
    an object store that takes its tokens and EC2 credentials.

    Project A (the victim) has alice (member), rita (reader), dave and
    frank (members); project B has bob (member); project C has carol
    (member). ``token(user, project)`` issues a token (project None:
    unscoped); ``ec2(user, project)`` an EC2 credential. ``disable_user``,
    ``disable_project``, ``remove_roles`` and ``revoke`` change identity as
    its API does (database, then this process's caches).
    """

    def __init__(self, tmp_path, conf):
        from iaas import identity
        from iaas.db import identity as db
        from iaas.identity import bootstrap, credentials, passwords, tokens
        conf.set_override('bcrypt_rounds', 4, group='identity')
        identity.reset_state()
        tokens.key_repository().setup()
        boot = bootstrap.bootstrap('adminpw')
        self.db, self.credentials = db, credentials
        self.domain = boot['domain']['id']
        self.roles = {n: r['id'] for n, r in boot['roles'].items()}
        self.admin_project = boot['project']['id']
        self.projects = {n: db.project_create(n, self.domain)['id'] for n in 'ABC'}
        self.users = {}
        for name, project, role in (('alice', 'A', 'member'), ('rita', 'A', 'reader'),
                                    ('dave', 'A', 'member'), ('frank', 'A', 'member'),
                                    ('bob', 'B', 'member'), ('carol', 'C', 'member')):
            uid = db.user_create(name, self.domain, passwords.hash_password(name + 'pw'))['id']
            db.assignment_add(uid, 'project', self.projects[project], self.roles[role])
            self.users[name] = uid
        self.store = Store(tmp_path / 'os')
        self.store.proxy.auth = Auth([], 'secret', use_identity=True)
        self.url = self.store.url

    def token(self, name, project='A'):
        from iaas.identity import core
        if name == 'admin':
            pw, project_id = 'adminpw', self.admin_project
        else:
            pw, project_id = name + 'pw', self.projects.get(project)
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': name, 'password': pw, 'domain': {'id': self.domain}}}},
            'scope': {'project': {'id': project_id}} if project_id else {}}}
        tok, _ = core.authenticate(body)
        return tok

    def account(self, project='A'):
        return f'{self.url}/v1/AUTH_{self.projects[project]}'

    def ec2(self, name, project='A'):
        project_id = self.projects[project] if project else None
        if project_id is None:
            import json
            import secrets
            access, secret = secrets.token_hex(16), secrets.token_hex(16)
            self.credentials.create(self.users[name], 'ec2', json.dumps(
                {'access': access, 'secret': secret}), project_id=None)
            return {'access': access, 'secret': secret}
        return self.credentials.create_ec2(self.users[name], project_id)

    def s3(self, cred):
        import boto3
        from botocore.config import Config
        return boto3.client('s3', endpoint_url=self.url, region_name='us-east-1',
                            aws_access_key_id=cred['access'],
                            aws_secret_access_key=cred['secret'],
                            config=Config(s3={'addressing_style': 'path'},
                                          retries={'max_attempts': 1}))

    def disable_user(self, name):
        from iaas.identity import core
        self.db.user_update(self.users[name], enabled=False)
        core.invalidate(user_id=self.users[name])

    def disable_project(self, project):
        from iaas.identity import core
        self.db.project_update(self.projects[project], enabled=False)
        core.invalidate(project_id=self.projects[project])

    def remove_roles(self, name, project='A'):
        from iaas.identity import core
        for role in self.roles.values():
            try:
                self.db.assignment_remove(self.users[name], 'project', self.projects[project],
                                          role)
            except LookupError:
                pass
        core.invalidate(user_id=self.users[name], project_id=self.projects[project])

    def revoke(self, token):
        from iaas.identity import core, revoke
        revoke.revoke_token(core.validate(token).token)
        core.invalidate()

    def stop(self):
        from iaas import identity
        from iaas.api import ec2_auth
        self.store.stop()
        ec2_auth.forget()
        identity.reset_state()


@pytest.fixture
def cloud(sqlite_db, conf, tmp_path):
    c = Cloud(tmp_path, conf)
    yield c
    c.stop()
    conf.clear_override('bcrypt_rounds', group='identity')


def wait_for(predicate, timeout, interval=0.05):
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed;
    returns the seconds it took (raises AssertionError on timeout)."""
    import time
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f'condition not met within {timeout} s')
        time.sleep(interval)


def s3_client(url, access='test:tester', secret='testing'):
    """boto3 against ``url``: path-style addressing, no retries (a test sees
    each answer as the server gave it)."""
    import boto3
    from botocore.config import Config
    return boto3.client('s3', endpoint_url=url, region_name='us-east-1',
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        config=Config(s3={'addressing_style': 'path'},
                                      retries={'max_attempts': 1}))


@pytest.fixture
def s3(store):
    """An S3 client of test:tester (the account's .admin) on ``store``."""
    return s3_client(store.url)

