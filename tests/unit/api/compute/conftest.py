"""The identity, compute and network apps in this process (webob, no
sockets) over one SQLite database per module, with the scheduler, one
compute host (fake driver) and its network host (IPAM only) on the memory
bus: ``cloud`` has .admin, .alice (member of proj-a), .bob (member of
proj-b), .reader (reader of proj-a), .image, .flavor, .network (the network
API's client) and helpers to boot servers and call at a microversion."""
import pytest

from iaas import states
from iaas.api.compute import app as compute_app
from iaas.api.identity import app as identity_api
from iaas.api.network import app as network_app
from iaas.db import flavors as db_flavors
from iaas.db import images as db_images
from iaas.db import instances as db_instances
from iaas.identity import bootstrap
from tests.functional.compute import http
from tests.functional.compute.conftest import wait_for


class Cloud(http.Cloud):
    def c(self, method, path, body=None, token=None, v=None, **kw):
        """A compute call (path below /v2.1) at microversion ``v``."""
        if v is not None:
            kw['headers'] = {**kw.get('headers', {}), 'OpenStack-API-Version': f'compute {v}'}
        return super().c(method, path, body, token, **kw)

    def ok(self, method, path, body=None, token=None, v=None, status=None):
        r = self.c(method, path, body, token, v)
        assert r.status_int < 300 if status is None else r.status_int == status, \
            f'{method} {path}: {r.status} {r.body[:400]!r}'
        return r.json_or_none

    def boot(self, token=None, name='vm', wait=True, **extra):
        """A server of ``token``'s project (alice's by default), ACTIVE on fc1."""
        token = token or self.alice
        body = {'server': {'name': name, 'imageRef': self.image, 'flavorRef': self.flavor,
                           'networks': 'none', **extra}}
        sid = self.ok('POST', '/servers', body, token, v='2.37')['server']['id']
        if wait:
            self.wait_active(sid)
        return sid

    def instance(self, sid):
        return db_instances.get(sid)

    def wait_active(self, sid):
        def ok():
            inst = self.instance(sid)
            return inst['vm_state'] == states.ACTIVE and inst['task_state'] is None
        wait_for(ok, what=f'{sid} ACTIVE')


@pytest.fixture(scope='module')
def cloud(api_env, hosts):
    bootstrap.first_start(http.ADMIN_PW)
    c = Cloud(http.Client(identity_api.build_app()), http.Client(compute_app.build_app()))
    c.network = http.Client(network_app.build_app())
    c.admin, c.admin_project = c.token('admin', http.ADMIN_PW, 'admin')
    c.alice, c.a_project = c.member('alice', 'proj-a')
    c.bob, c.b_project = c.member('bob', 'proj-b')
    c.reader, _ = c.member('rita', 'proj-a', role='reader')
    c.image = db_images.image_create({
        'name': 'img', 'status': 'active', 'visibility': 'public', 'disk_format': 'raw',
        'container_format': 'bare', 'size': 4096, 'owner': 'someone'})['id']
    c.flavor = db_flavors.create('unit.small', 128, 1, 1, flavorid='unit-1',
                                 description='small one')['flavorid']
    return c
