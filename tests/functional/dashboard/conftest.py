"""One all-in-one cloud (``iaas-all``: the APIs, a fake compute host and the
dashboard, on free loopback ports; tests/fuzz's AllInOne) for the dashboard
tests, with two users in two projects, each owning a network and an image
made through the public APIs (the dashboard has no pages for those yet)."""
import re
import uuid

import pytest
import requests

from tests.fuzz.conftest import USER_PASSWORD, AllInOne, FuzzCloud
from tests.probe.compute.helpers import deadline_poll

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class DashboardUser:
    """A user of the cloud and a browser-like client of the dashboard."""

    def __init__(self, base, name, project_id, token):
        self.base, self.name, self.project_id, self.token = base, name, project_id, token
        self.http = requests.Session()
        self.resources = {}

    def get(self, path, **kw):
        return self.http.get(self.base + path, allow_redirects=kw.pop('follow', True),
                             timeout=30, **kw)

    def csrf(self, path='/login'):
        """The CSRF token of a form on ``path`` (a GET sets the cookie)."""
        m = CSRF_RE.search(self.get(path).text)
        assert m, f'no CSRF token on {path}'
        return m.group(1)

    def post(self, path, data=None, csrf=True, origin=True, token=None, follow=False,
             form_page='/', **kw):
        data = dict(data or {})
        if csrf:
            data['csrf_token'] = token or self.csrf(form_page)
        headers = dict(kw.pop('headers', None) or {})
        if csrf:   # streamed uploads read it there (the others from the form)
            headers.setdefault('X-CSRF-Token', data['csrf_token'])
        if origin is True:
            headers['Origin'] = self.base
        elif origin:
            headers['Origin'] = origin
        return self.http.post(self.base + path, data=data, headers=headers,
                              allow_redirects=follow, timeout=30, **kw)

    def login(self, password=USER_PASSWORD):
        r = self.post('/login', {'username': self.name, 'password': password},
                      form_page='/login')
        assert r.status_code == 303, (r.status_code, r.text[:500])
        return r


class DashCloud:
    def __init__(self, aio):
        self.aio = aio
        self.api = FuzzCloud(aio)
        self.base = f'http://127.0.0.1:{aio.ports["dashboard"]}'

    def add_user(self, name):
        """A project and a member user (as tests/fuzz does), with a network,
        a subnet and an active image of its own."""
        api = self.api
        project = api.admin('identity', 'POST', '/v3/projects', expect=201, json={
            'project': {'name': name, 'domain_id': 'default'}}).json()['project']
        user = api.admin('identity', 'POST', '/v3/users', expect=201, json={
            'user': {'name': name, 'domain_id': 'default', 'password': USER_PASSWORD,
                     'default_project_id': project['id']}}).json()['user']
        role_id = api.admin('identity', 'GET', '/v3/roles?name=member',
                            expect=200).json()['roles'][0]['id']
        api.admin('identity', 'PUT', f'/v3/projects/{project["id"]}/users/{user["id"]}'
                  f'/roles/{role_id}', expect=204)
        token, project_id = api.login(name, USER_PASSWORD, name)
        u = DashboardUser(self.base, name, project_id, token)
        net = api.call('network', 'POST', '/v2.0/networks', token, 201,
                       json={'network': {'name': f'{name}-net'}}).json()['network']
        api.call('network', 'POST', '/v2.0/subnets', token, 201, json={'subnet': {
            'network_id': net['id'], 'cidr': '10.7.0.0/24', 'ip_version': 4}})
        img = api.call('image', 'POST', '/v2/images', token, 201, json={
            'name': f'{name}-image', 'disk_format': 'raw',
            'container_format': 'bare'}).json()
        api.call('image', 'PUT', f'/v2/images/{img["id"]}/file', token, 204,
                 data=b'\0' * 4096, headers={'Content-Type': 'application/octet-stream'})
        deadline_poll(lambda: api.call('image', 'GET', f'/v2/images/{img["id"]}', token)
                      .json().get('status') == 'active', 30, what='image active')
        u.resources.update(network_id=net['id'], image_id=img['id'])
        return u


@pytest.fixture(scope='session')
def dash_cloud(tmp_path_factory):
    # Every test logs in from 127.0.0.1: a burst that the whole module fits in
    # (tests/unit/dashboard checks the limit itself).
    aio = AllInOne(tmp_path_factory.mktemp('dashboard-cloud'),
                   sections={'dashboard': {'login_burst': 1000, 'poll_interval': 1,
                                            'page_size': 5},
                             'serial_console': {'enabled': True,
                                                'serialproxy_host': '127.0.0.1'}})
    try:
        aio.wait_ready()
        yield DashCloud(aio)
    finally:
        aio.stop()


@pytest.fixture
def user(dash_cloud):
    return dash_cloud.add_user(f'dash-{uuid.uuid4().hex[:8]}')


@pytest.fixture
def other_user(dash_cloud):
    return dash_cloud.add_user(f'other-{uuid.uuid4().hex[:8]}')
