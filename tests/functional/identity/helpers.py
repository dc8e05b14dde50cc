"""In-process client for the identity WSGI app."""
import json

import webob


class Client:
    def __init__(self, app):
        self.app = app

    def call(self, method, path, body=None, token=None, headers=None, remote_addr=None):
        req = webob.Request.blank(path, method=method)
        if remote_addr:
            req.environ['REMOTE_ADDR'] = remote_addr
        if body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        if token:
            req.headers['X-Auth-Token'] = token
        for k, v in (headers or {}).items():
            req.headers[k] = v
        resp = req.get_response(self.app)
        resp.json_body_or_none = json.loads(resp.body) if resp.body else None
        return resp

    def token(self, name, password, project=None, domain='Default', remote_addr=None):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': name, 'password': password, 'domain': {'name': domain}}}}}}
        if project:
            body['auth']['scope'] = {'project': {'name': project, 'domain': {'name': domain}}}
        return self.call('POST', '/v3/auth/tokens', body, remote_addr=remote_addr)


def password_body(name, password, project=None):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': name, 'password': password, 'domain': {'name': 'Default'}}}}}}
    if project:
        body['auth']['scope'] = {'project': {'name': project, 'domain': {'name': 'Default'}}}
    return body


ADMIN_PW = 'admin-pass-1'
MEMBER_PW = 'pw-12345678'


def admin_client(admin_password=ADMIN_PW):
    """Bootstrap the identity service on the configured database; a Client
    of its app with ``.admin``, a project-scoped admin token."""
    from iaas.api.identity import app as identity_api
    from iaas.identity import bootstrap
    bootstrap.first_start(admin_password)
    c = Client(identity_api.build_app())
    r = c.token('admin', admin_password, 'admin')
    assert r.status_int == 201, r.body
    c.admin = r.headers['X-Subject-Token']
    return c


def new_member(api, name, role='member', project=None, password=MEMBER_PW):
    """A user with ``role`` on ``project`` (made if new; 'p-<name>' by
    default): {'id', 'project_id', 'role_id', 'token', 'unscoped'}."""
    a = api.admin
    project = project or 'p-' + name
    r = api.call('POST', '/v3/projects', {'project': {'name': project}}, a)
    pid = r.json['project']['id'] if r.status_int == 201 else \
        api.call('GET', f'/v3/projects?name={project}', token=a).json['projects'][0]['id']
    u = api.call('POST', '/v3/users', {'user': {'name': name, 'password': password}}, a)
    assert u.status_int == 201, u.body
    uid = u.json['user']['id']
    rid = api.call('GET', f'/v3/roles?name={role}', token=a).json['roles'][0]['id']
    assert api.call('PUT', f'/v3/projects/{pid}/users/{uid}/roles/{rid}',
                    token=a).status_int == 204
    return {'id': uid, 'project_id': pid, 'role_id': rid,
            'token': api.token(name, password, project).headers['X-Subject-Token'],
            'unscoped': api.token(name, password).headers['X-Subject-Token']}


def ec2_context(access):
    """The RequestContext an EC2/S3 access key acts with now, or None."""
    from iaas.api import ec2_auth
    try:
        return ec2_auth.context_for(access)
    except ec2_auth.CredentialError:
        return None
