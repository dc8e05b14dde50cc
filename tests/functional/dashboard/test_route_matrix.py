"""The dashboard's routes, enumerated from its router (as
tests/functional/security/test_route_matrix.py does for the APIs), each
called by an anonymous client, by a logged-in user without a CSRF token or
from a foreign origin, and by another user naming the victim's resources;
then hostile form values (as tests/fuzz). A new route is covered without
being listed here; one this file cannot fill in fails
``test_every_route_is_classified``."""
import collections
import re

import pytest
from cryptography.fernet import Fernet

from iaas import wsgi
from iaas.dashboard import app as dashboard_app
from tests.functional.dashboard import test_pages_network as network
from tests.functional.dashboard import test_pages_volumes_usage as volumes
from tests.functional.dashboard.test_sessions import loc
from tests.fuzz.conftest import TRACEBACK_MARKERS
from tests.probe.compute.helpers import deadline_poll

PARAM = re.compile(r'\{(\w+)\}')
# path parameter -> the victim's resource it names
PARAMS = {'server_id': 'server_id', 'image_id': 'image_id', 'name': 'keypair',
          'path': None}
# the admin pages' parameters: a member gets 404 for any of them
PARAMS.update({'service_id': 'server_id', 'flavor_id': 'server_id',
               'project_id': 'project_id'})
PARAMS.update(volume_id='volume_id', snapshot_id='snapshot_id', access='ec2_access',
              period='period')
PARAMS['container'] = 'container'
PARAMS.update(network_id='network_id', floatingip_id='floatingip_id',
              security_group_id='security_group_id', rule_id='rule_id')
SAFE = ('GET', 'HEAD')


def _routes():
    router = dashboard_app.build_app(key=Fernet.generate_key())
    out = []
    for route in router.routes:
        for method in sorted(route.methods - {'HEAD'}):
            public = getattr(route.policy, 'scope', None) == wsgi.PUBLIC
            out.append((method, route.template, public))
    return out


ROUTES = _routes()


def _fill(template, victim):
    def sub(m):
        key = PARAMS[m.group(1)]
        return {'name': 'dashboard.css'}.get(m.group(1)) if key is None else victim[key]
    return PARAM.sub(sub, template)


def test_every_route_is_classified():
    for _method, template, _public in ROUTES:
        for p in PARAM.findall(template):
            assert p in PARAMS, f'{template}: add {p!r} to PARAMS'
    public = {(m, t) for m, t, pub in ROUTES if pub}
    assert public == {('GET', '/login'), ('POST', '/login'), ('GET', '/signup'),
                      ('POST', '/signup'), ('GET', '/static/{name}'),
                      ('GET', '/static/vendor/{name}')}, public


@pytest.fixture(scope='module')
def victim(dash_cloud):
    """A user with a server, an image and a key pair."""
    v = dash_cloud.add_user('victim-' + dash_cloud.base[-5:])
    api = dash_cloud.api
    v.resources['keypair'] = 'victim-key'
    api.call('compute', 'POST', '/v2.1/os-keypairs', v.token, 200,
             json={'keypair': {'name': 'victim-key'}})
    flavor = api.call('compute', 'GET', '/v2.1/flavors', v.token).json()['flavors'][0]['id']
    server = api.call('compute', 'POST', '/v2.1/servers', v.token, 202, json={'server': {
        'name': 'victim-vm', 'imageRef': v.resources['image_id'], 'flavorRef': flavor,
        'networks': [{'uuid': v.resources['network_id']}]}}).json()['server']
    v.resources['server_id'] = server['id']
    v.resources['project_id'] = v.project_id
    v.resources['container'] = 'victim-box'
    api.call('objectstore', 'PUT', f'/v1/AUTH_{v.project_id}/victim-box', v.token, 201)
    deadline_poll(lambda: api.call('compute', 'GET', f'/v2.1/servers/{server["id"]}',
                                   v.token).json()['server']['status'] == 'ACTIVE', 60,
                  what='victim server ACTIVE')
    volumes.add_victim_volume(dash_cloud, v)
    network.add_victim_network(dash_cloud, v)
    return v


def _snapshot(dash_cloud, v):
    api = dash_cloud.api
    s = api.call('compute', 'GET', f'/v2.1/servers/{v.resources["server_id"]}',
                 v.token).json()['server']
    return (s['status'], s['name'],
            api.call('image', 'GET', f'/v2/images/{v.resources["image_id"]}',
                     v.token).status_code,
            sorted(k['keypair']['name'] for k in api.call(
                'compute', 'GET', '/v2.1/os-keypairs', v.token).json()['keypairs']),
            api.call('objectstore', 'GET', f'/v1/AUTH_{v.project_id}?format=json',
                     v.token).text)


@pytest.mark.parametrize('method,template,public', ROUTES)
def test_anonymous(dash_cloud, victim, method, template, public):
    from tests.functional.dashboard.conftest import DashboardUser
    anon = DashboardUser(dash_cloud.base, 'anon', None, None)
    path = _fill(template, victim.resources)
    if method in SAFE:
        r = anon.get(path, follow=False)
        if public:
            assert r.status_code in (200, 404), (path, r.status_code)
        else:
            assert r.status_code == 303 and loc(r).startswith('/login'), path
    else:
        r = anon.post(path, {}, form_page='/login')   # a valid token of an anonymous session
        if public:
            assert r.status_code in (400, 401, 403), (path, r.status_code)
        else:
            assert r.status_code == 303 and loc(r).startswith('/login'), path
        assert anon.post(path, {}, csrf=False).status_code == 403, path


def test_attacker(dash_cloud, victim, user):
    """Logged in as another user: every route naming a victim's resource is
    a 404 (or, for a key pair name, the attacker's own namespace); POSTs
    without the CSRF token or from another origin are 403; nothing of the
    victim's changes."""
    before = _snapshot(dash_cloud, victim)
    user.login()
    for method, template, public in ROUTES:
        if public or not PARAM.search(template) or '/static/' in template:
            continue
        path = _fill(template, victim.resources)
        if method in SAFE:
            r = user.get(path, follow=False)
            assert r.status_code == 404, (method, path, r.status_code)
            assert 'victim' not in r.text
            continue
        for data in ({'action': 'delete'}, {'action': 'stop'}):
            assert user.post(path, data, csrf=False).status_code == 403, path
            assert user.post(path, data, origin='http://evil.example',
                             form_page='/instances').status_code == 403, path
            r = user.post(path, data, form_page='/instances')
            assert r.status_code == 404, (method, path, r.status_code)
    for page in ('/', '/instances', '/images', '/keypairs', '/instances/new',
                 '/instances/rows', '/objects', '/network'):
        text = user.get(page).text
        assert 'victim-vm' not in text and 'victim-key' not in text, page
        assert 'victim-sg' not in text, page
        assert 'victim-box' not in text, page
        assert victim.resources['server_id'] not in text, page
    assert _snapshot(dash_cloud, victim) == before


HOSTILE = ['', 'x' * 70000, '../../etc/passwd', '%00', 'a\x00b', '\u202e\ufeff',
           '<script>alert(1)</script>', '{{7*7}}', "' OR 1=1 --", 'é' * 300]


def test_hostile_form_values(dash_cloud, victim, user):
    """Every POST route with each hostile value in each field it reads: never
    a 500, never a traceback, and what is echoed is escaped."""
    user.login()
    fields = ['name', 'image', 'flavor', 'network', 'key_name', 'security_groups',
              'user_data', 'action', 'back', 'public_key', 'project_id', 'username',
              'password', 'password2', 'domain', 'project', 'email', 'next']
    fields += ['size', 'volume_type', 'description', 'server_id']
    fields += ['snapshot_name', 'boot_volume', 'volume_size']
    fields += ['cidr', 'gateway_ip', 'enable_dhcp', 'floating_network_id', 'direction',
               'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix']
    posts = [t for m, t, _pub in ROUTES if m == 'POST' and t not in ('/logout',)]
    for template in posts:
        path = _fill(template, collections.defaultdict(lambda: 'nope'))
        for value in HOSTILE:
            data = {f: value for f in fields}
            r = user.post(path, data, form_page='/keypairs')
            assert r.status_code < 500, (path, value[:20], r.status_code)
            for marker in TRACEBACK_MARKERS:
                assert marker not in r.text
            assert '<script>alert(1)' not in r.text
            if r.status_code == 303 and template == '/login':
                user.login()       # a hostile login ended the session
    # bodies that are not forms, or not UTF-8 (a lone surrogate's bytes)
    token = user.csrf('/keypairs').encode()
    for raw in (b'\xff\xfe\x00', b'a=' + b'%ff' * 100, b'=' * 10000,
                b'csrf_token=' + token + b'&name=%ED%A0%80',
                b'csrf_token=' + token + b'&name=' + b'x' * 200000):
        r = user.http.post(user.base + '/keypairs', data=raw, timeout=30, headers={
            'Origin': user.base, 'Content-Type': 'application/x-www-form-urlencoded'})
        assert r.status_code in (400, 403, 413), (raw[-40:], r.status_code, r.text[-1500:])
