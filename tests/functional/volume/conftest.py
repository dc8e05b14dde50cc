"""An in-process block-storage cloud: the identity and volume APIs over the
``db_url`` database (SQLite, PostgreSQL, MariaDB) with real tokens, and
iaas-conductor, iaas-scheduler, one iaas-compute ('fv-c1', fake hypervisor)
and one iaas-volume host ('fv1', the file backend) on the ``memory://`` bus."""
import contextlib

import pytest

from tests.functional.compute.conftest import wait_for  # noqa: F401 (tests import it here)
from tests.functional.compute.http import ADMIN_PW, Client, Cloud
from tests.inprocess import control_plane, running

V3 = 'OpenStack-API-Version'
BACKEND = 'file'


class VolumeCloud(Cloud):
    def v(self, method, path, body=None, token=None, project=None, version='3.60', **kw):
        """A block-storage call (path below /v3/{project})."""
        headers = {V3: f'volume {version}', **kw.pop('headers', {})}
        return self.volume.call(method, f'/v3/{project or self.a_project}{path}', body,
                                token or self.alice, headers=headers, **kw)

    def server(self, token=None, name='vm'):
        body = {'server': {'name': name, 'imageRef': self.image, 'flavorRef': self.flavor,
                           'networks': 'none'}}
        r = self.c('POST', '/servers', body, token or self.alice,
                   headers={'OpenStack-API-Version': 'compute 2.79'})
        assert r.status_int == 202, r.body
        sid = r.json['server']['id']
        wait_for(lambda: self.c('GET', f'/servers/{sid}', token=token or self.alice).json[
            'server']['status'] == 'ACTIVE', what=f'server {sid} ACTIVE')
        return sid

    def create(self, token=None, project=None, **volume):
        volume.setdefault('size', 1)
        r = self.v('POST', '/volumes', {'volume': volume}, token, project)
        assert r.status_int == 202, r.body
        return r.json['volume']

    def wait_status(self, vid, status, token=None, project=None, kind='volumes'):
        single = kind[:-1]

        def check():
            r = self.v('GET', f'/{kind}/{vid}', token=token, project=project)
            if r.status_int == 404 and status == 'deleted':
                return True
            got = r.json[single]['status'] if r.status_int == 200 else r.status_int
            return got == status and r.json[single]
        return wait_for(check, what=f'{single} {vid} {status}')


@contextlib.contextmanager
def volume_cloud(conf, volume_hosts=('fv1',), backends=(BACKEND,)):
    """The cloud with ``volume_hosts`` (names, or VolumeManagers) serving
    ``[volume] enabled_backends`` = ``backends``."""
    from iaas import identity
    from iaas.api import ratelimit
    from iaas.api.identity import app as identity_api
    from iaas.api.volume import app as volume_app
    from iaas.identity import bootstrap
    conf.set_override('bcrypt_rounds', 4, group='identity')
    conf.set_override('user_write_rate', 0, group='api')
    conf.set_override('transport_url', 'memory://')
    conf.set_override('report_interval', 1, group='service')
    conf.set_override('enabled_backends', list(backends), group='volume')
    conf.set_override('spawn_delay', 0, group='fake_driver')
    identity.reset_state()
    ratelimit.reset()
    bootstrap.first_start(ADMIN_PW)
    from iaas.api.compute import app as compute_app
    from iaas.db import flavors as db_flavors
    from iaas.db import images as db_images
    with running(control_plane('fv-', compute=['fv-c1'], volume=list(volume_hosts))):
        c = VolumeCloud(Client(identity_api.build_app()), Client(compute_app.build_app()))
        c.image = db_images.image_create({
            'name': 'img', 'status': 'active', 'visibility': 'public', 'disk_format': 'raw',
            'container_format': 'bare', 'size': 4096, 'owner': 'someone'})['id']
        c.flavor = db_flavors.create('vol.small', 128, 1, 1, flavorid='vol-1')['flavorid']
        c.volume = Client(volume_app.build_app())
        c.admin, c.admin_project = c.token('admin', ADMIN_PW, 'admin')
        c.alice, c.a_project = c.member('alice', 'proj-a')
        c.bob, c.b_project = c.member('bob', 'proj-b')
        c.reader, _ = c.member('rita', 'proj-a', role='reader')
        yield c
    identity.reset_state()
    ratelimit.reset()


@pytest.fixture
def cloud(conf, db_url):
    with volume_cloud(conf) as c:
        yield c
