"""The identity and network APIs in this process (webob, no sockets), with
two projects (``a`` and ``b``, a member each), a reader of ``a``, an
unscoped token and the admin: the principals of the network API's
isolation and input tests (identity made with tests/functional/identity's
helpers)."""
import json

import webob

from tests.functional.identity import helpers


class Response:
    def __init__(self, resp):
        self.status = resp.status_int
        self.body = resp.body
        self.json = json.loads(resp.body) if resp.body else None

    def __repr__(self):
        return f'<{self.status} {self.body[:300]!r}>'


class Cloud:
    def __init__(self, identity):
        from iaas.api.network import app as network_app
        self.app = network_app.build_app()
        self.admin = identity.admin
        a = helpers.new_member(identity, 'ua', project='a')
        b = helpers.new_member(identity, 'ub', project='b')
        self.pa, self.pb = a['project_id'], b['project_id']
        self.a, self.b, self.unscoped = a['token'], b['token'], b['unscoped']
        self.reader = helpers.new_member(identity, 'ra', role='reader', project='a')['token']

    def call(self, method, path, token=None, body=None, raw=None):
        req = webob.Request.blank(path, method=method)
        if raw is not None or body is not None:
            req.body = raw if raw is not None else json.dumps(body).encode()
            req.content_type = 'application/json'
        if token:
            req.headers['X-Auth-Token'] = token
        return Response(req.get_response(self.app))

    def ok(self, method, path, token, body=None):
        r = self.call(method, path, token, body)
        assert r.status < 300, f'{method} {path}: {r!r}'
        return r.json

    def network(self, token, name='net', cidr='10.1.0.0/24'):
        net = self.ok('POST', '/v2.0/networks', token, {'network': {'name': name}})['network']
        sub = self.ok('POST', '/v2.0/subnets', token, {'subnet': {
            'network_id': net['id'], 'cidr': cidr, 'ip_version': 4}})['subnet']
        return net, sub


def build(conf):
    conf.set_override('transport_url', 'memory://')
    conf.set_override('bcrypt_rounds', 4, group='identity')
    return Cloud(helpers.admin_client())
