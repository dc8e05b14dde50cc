"""An iaas-image app on a free port, with a header-based test auth:
``X-Test-Project`` names the project, ``X-Test-Roles`` the roles."""
import pytest
import requests

from iaas import wsgi
from iaas.context import RequestContext


def header_auth(req):
    if req.path_info in ('/', '/versions'):
        return None
    project = req.headers.get('X-Test-Project')
    if not project:
        raise wsgi.Unauthorized('The request you have made requires authentication.')
    roles = req.headers.get('X-Test-Roles', 'member').split(',')
    req.environ['iaas.context'] = RequestContext(
        user_id=f'user-{project}', project_id=project, roles=roles,
        is_admin='admin' in roles)


class Client:
    def __init__(self, base, project, roles='member'):
        self.base = base
        self.s = requests.Session()
        self.s.headers.update({'X-Test-Project': project, 'X-Test-Roles': roles})
        self.project = project

    def __getattr__(self, method):
        def call(path, **kw):
            return self.s.request(method.upper(), self.base + path, timeout=60, **kw)
        return call

    def create(self, **body):
        body.setdefault('disk_format', 'raw')
        body.setdefault('container_format', 'bare')
        r = self.post('/v2/images', json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def upload(self, image_id, data, **headers):
        headers.setdefault('Content-Type', 'application/octet-stream')
        return self.put(f'/v2/images/{image_id}/file', data=data, headers=headers)

    def patch_image(self, image_id, ops):
        return self.patch(f'/v2/images/{image_id}', json=ops, headers={
            'Content-Type': 'application/openstack-images-v2.1-json-patch'})


@pytest.fixture
def image_conf(conf, sqlite_db, tmp_path):
    from iaas.image import stores
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'), group='image')
    stores.reset()
    yield conf
    stores.reset()
    for opt in ('filesystem_store_datadir', 'default_store', 'user_storage_quota',
                'disk_formats', 'require_image_format_match'):
        conf.clear_override(opt, group='image')


@pytest.fixture
def image_server(image_conf):
    from iaas.api.image.app import build_app
    from iaas.service import WSGIService
    svc = WSGIService('image-test', build_app(header_auth), '127.0.0.1', 0, threads=8)
    svc.start()
    yield f'http://127.0.0.1:{svc.port}'
    svc.stop()


@pytest.fixture
def client(image_server):
    return Client(image_server, 'proj-a')


@pytest.fixture
def client_b(image_server):
    return Client(image_server, 'proj-b')


@pytest.fixture
def admin(image_server):
    return Client(image_server, 'proj-admin', roles='admin,member')
