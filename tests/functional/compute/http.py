"""The identity and compute WSGI apps in this process over the ``db_url``
database, with real tokens: an admin, members of two projects, a reader,
and a signed-up user's unscoped token (``api`` fixture of the
test_security_*/test_api_* modules)."""
import json
import time

import pytest
import webob

from tests.functional.identity import helpers as identity_helpers

ADMIN_PW = 'admin-pass-1'
PW = 'pw-' + 'x' * 10


class Client(identity_helpers.Client):
    """The identity tests' in-process client with a default token, raw
    bodies and timing; responses carry ``.json_or_none``."""

    def __init__(self, app, default_token=None):
        super().__init__(app)
        self.default_token = default_token

    def call(self, method, path, body=None, token=None, headers=None, raw=None):
        token = token or self.default_token
        if raw is None:
            resp = super().call(method, path, body, token, headers)
        else:
            req = webob.Request.blank(path, method=method, body=raw,
                                      content_type='application/json',
                                      headers={**(headers or {}), 'X-Auth-Token': token})
            resp = req.get_response(self.app)
            resp.json_body_or_none = json.loads(resp.body) if resp.body else None
        resp.json_or_none = resp.json_body_or_none
        return resp

    def timed(self, *args, **kw):
        """(response, seconds) of one call."""
        t = time.perf_counter()
        r = self.call(*args, **kw)
        return r, time.perf_counter() - t


class Cloud:
    def __init__(self, identity, compute):
        self.identity = identity
        self.compute = compute

    def token(self, name, password, project=None):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': name, 'password': password, 'domain': {'name': 'Default'}}}}}}
        if project:
            body['auth']['scope'] = {'project': {'name': project,
                                                 'domain': {'name': 'Default'}}}
        else:
            body['auth']['scope'] = {}      # no project (not the default one)
        r = self.identity.call('POST', '/v3/auth/tokens', body)
        assert r.status_int == 201, r.body
        return r.headers['X-Subject-Token'], (r.json['token'].get('project') or {}).get('id')

    def member(self, name, project, role='member'):
        """A user with ``role`` on ``project`` (made if missing): (token, project id)."""
        a = self.admin
        r = self.identity.call('POST', '/v3/projects', {'project': {'name': project}}, a)
        if r.status_int != 201:
            assert r.status_int == 409, r.body
        pid = self.identity.call('GET', f'/v3/projects?name={project}', token=a).json[
            'projects'][0]['id']
        u = self.identity.call('POST', '/v3/users', {'user': {'name': name, 'password': PW}},
                               a)
        assert u.status_int == 201, u.body
        rid = self.identity.call('GET', f'/v3/roles?name={role}', token=a).json[
            'roles'][0]['id']
        assert self.identity.call('PUT', f"/v3/projects/{pid}/users/{u.json['user']['id']}"
                                  f'/roles/{rid}', token=a).status_int == 204
        return self.token(name, PW, project)[0], pid

    def c(self, method, path, body=None, token=None, **kw):
        """A compute API call (path below /v2.1)."""
        return self.compute.call(method, '/v2.1' + path, body, token, **kw)


@pytest.fixture
def api(conf, db_url):
    """Cloud with .admin, .alice (member of proj-a), .bob (member of proj-b),
    .reader (reader of proj-a), .unscoped (signed-up user, no project),
    .image and .flavor (public) and .a_project / .b_project ids."""
    from iaas import identity
    from iaas.api import ratelimit
    from iaas.api.compute import app as compute_app
    from iaas.api.identity import app as identity_api
    from iaas.db import flavors as db_flavors
    from iaas.db import images as db_images
    from iaas.identity import bootstrap
    conf.set_override('bcrypt_rounds', 4, group='identity')
    conf.set_override('user_write_rate', 0, group='api')
    conf.set_override('transport_url', 'memory://')
    identity.reset_state()
    ratelimit.reset()
    bootstrap.first_start(ADMIN_PW)
    cloud = Cloud(Client(identity_api.build_app()), Client(compute_app.build_app()))
    cloud.admin, _ = cloud.token('admin', ADMIN_PW, 'admin')
    cloud.alice, cloud.a_project = cloud.member('alice', 'proj-a')
    cloud.bob, cloud.b_project = cloud.member('bob', 'proj-b')
    cloud.reader, _ = cloud.member('rita', 'proj-a', role='reader')
    r = cloud.identity.call('POST', '/v3/signup', {'user': {'name': 'quinn', 'password': PW}})
    assert r.status_int == 201, r.body
    cloud.unscoped, none = cloud.token('quinn', PW)
    assert none is None
    cloud.image = db_images.image_create({
        'name': 'img', 'status': 'active', 'visibility': 'public', 'disk_format': 'raw',
        'container_format': 'bare', 'size': 4096, 'owner': 'someone'})['id']
    cloud.flavor = db_flavors.create('sec.small', 128, 1, 1, flavorid='sec-1')['flavorid']
    yield cloud
    identity.reset_state()
    ratelimit.reset()


def create_server(cloud, token, name='vm', **extra):
    body = {'server': {'name': name, 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
                       'networks': 'none', **extra}}
    r = cloud.c('POST', '/servers', body, token,
                headers={'OpenStack-API-Version': 'compute 2.79'})
    assert r.status_int == 202, r.body
    return r.json['server']['id']
