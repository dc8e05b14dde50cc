"""The identity and network APIs in this process (webob, no sockets), with
two projects (``a`` and ``b``, a member each), a reader of ``a``, an
unscoped token and the admin: the principals of the network API's
isolation and input tests."""
import json

import webob

ADMIN_PW = 'admin-pass-1'
PW = 'pw-' + 'x' * 10


class Response:
    def __init__(self, resp):
        self.status = resp.status_int
        self.headers = resp.headers
        self.body = resp.body
        try:
            self.json = json.loads(resp.body) if resp.body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f'<{self.status} {self.body[:300]!r}>'


class Cloud:
    def __init__(self):
        from iaas.api.network import app as network_app
        from iaas.identity import api as identity_api
        self.apps = {'identity': identity_api.build_app(), 'network': network_app.build_app()}

    def call(self, method, path, token=None, body=None, raw=None, api='network'):
        req = webob.Request.blank(path, method=method)
        if raw is not None:
            req.body = raw
            req.content_type = 'application/json'
        elif body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        if token:
            req.headers['X-Auth-Token'] = token
        return Response(req.get_response(self.apps[api]))

    def ok(self, method, path, token, body=None, api='network'):
        r = self.call(method, path, token, body, api=api)
        assert r.status < 300, f'{method} {path}: {r!r}'
        return r.json

    def token(self, user, project=None, password=PW):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': user, 'password': password, 'domain': {'name': 'Default'}}}}}}
        if project:
            body['auth']['scope'] = {'project': {'name': project,
                                                 'domain': {'name': 'Default'}}}
        r = self.call('POST', '/v3/auth/tokens', body=body, api='identity')
        assert r.status == 201, r
        return r.headers['X-Subject-Token']

    def project(self, name):
        return self.ok('POST', '/v3/projects', self.admin, {'project': {'name': name}},
                       api='identity')['project']['id']

    def user(self, name, project_id, role='member'):
        uid = self.ok('POST', '/v3/users', self.admin,
                      {'user': {'name': name, 'password': PW}}, api='identity')['user']['id']
        rid = self.ok('GET', f'/v3/roles?name={role}', self.admin,
                      api='identity')['roles'][0]['id']
        self.ok('PUT', f'/v3/projects/{project_id}/users/{uid}/roles/{rid}', self.admin,
                api='identity')
        return uid

    # network helpers
    def network(self, token, name='net', cidr='10.1.0.0/24'):
        net = self.ok('POST', '/v2.0/networks', token, {'network': {'name': name}})['network']
        sub = self.ok('POST', '/v2.0/subnets', token, {'subnet': {
            'network_id': net['id'], 'cidr': cidr, 'ip_version': 4}})['subnet']
        return net, sub


def build(conf):
    from iaas.identity import bootstrap
    conf.set_override('transport_url', 'memory://')
    conf.set_override('bcrypt_rounds', 4, group='identity')
    bootstrap.first_start(ADMIN_PW)
    c = Cloud()
    c.admin = c.token('admin', 'admin', password=ADMIN_PW)
    c.pa, c.pb = c.project('a'), c.project('b')
    c.user('ua', c.pa)
    c.user('ub', c.pb)
    c.user('ra', c.pa, role='reader')
    c.user('lonely', c.pb)
    c.a, c.b = c.token('ua', 'a'), c.token('ub', 'b')
    c.reader = c.token('ra', 'a')
    c.unscoped = c.token('lonely')
    return c
