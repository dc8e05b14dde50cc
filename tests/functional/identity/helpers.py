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
