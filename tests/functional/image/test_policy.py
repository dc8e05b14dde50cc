"""Image authorization: oslo.policy rules (iaas.image.policies) checked by
the router on each route and by the handlers on each image; visibility
stays code (another project's hidden image is a 404)."""
import json

import pytest

from iaas import wsgi
from iaas.api import auth
from iaas.api.image import data, images, members
from iaas.context import RequestContext
from iaas.identity import policy
from iaas.image import policies
from tests.functional.image.conftest import Client


def test_every_image_handler_declares_its_rule():
    names = {r.name for r in policies.list_rules()}
    handlers = [images.index, images.create, images.show, images.update, images.delete,
                images.deactivate, images.reactivate, images.add_tag, images.delete_tag,
                data.upload, data.download, members.index, members.create, members.show,
                members.update, members.delete]
    for h in handlers:
        pol = h.route_policy
        assert pol.scope == wsgi.PROJECT and pol.rule in names, h


def test_reader_reads_but_never_writes(client, image_server):
    img = client.create(name='mine', tags=['t'])
    iid = img['id']
    assert client.upload(iid, b'x' * 100).status_code == 204
    shared = client.create(name='shared')
    reader = Client(image_server, 'proj-a', roles='reader')
    assert reader.get(f'/v2/images/{iid}').status_code == 200
    assert reader.get(f'/v2/images/{iid}/file').content == b'x' * 100
    assert {i['id'] for i in reader.get('/v2/images').json()['images']} >= {iid}
    assert reader.get(f'/v2/images/{shared["id"]}/members').status_code == 200
    patch = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
    writes = [
        ('post', '/v2/images', {'json': {'name': 'x'}}),
        ('patch', f'/v2/images/{iid}', {'data': json.dumps(
            [{'op': 'replace', 'path': '/name', 'value': 'r'}]), 'headers': patch}),
        ('delete', f'/v2/images/{iid}', {}),
        ('put', f'/v2/images/{iid}/tags/new', {}),
        ('delete', f'/v2/images/{iid}/tags/t', {}),
        ('post', f'/v2/images/{iid}/actions/deactivate', {}),
        ('post', f'/v2/images/{shared["id"]}/members', {'json': {'member': 'proj-b'}}),
    ]
    for method, path, kw in writes:
        r = getattr(reader, method)(path, **kw)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
    q = client.create(name='queued')
    r = reader.upload(q['id'], b'y' * 10)
    assert r.status_code == 403
    after = client.get(f'/v2/images/{iid}').json()
    assert (after['name'], after['tags'], after['status']) == ('mine', ['t'], 'active')
    assert client.get(f'/v2/images/{q["id"]}').json()['status'] == 'queued'
    assert client.get(f'/v2/images/{shared["id"]}/members').json()['members'] == []


def test_other_projects_private_image_is_404_for_every_route(client, client_b):
    img = client.create(name='private', visibility='private')
    iid = img['id']
    for method, path in [('get', f'/v2/images/{iid}'), ('get', f'/v2/images/{iid}/file'),
                         ('delete', f'/v2/images/{iid}'),
                         ('put', f'/v2/images/{iid}/tags/x'),
                         ('post', f'/v2/images/{iid}/actions/deactivate'),
                         ('get', f'/v2/images/{iid}/members')]:
        assert getattr(client_b, method)(path).status_code == 404, (method, path)
    r = client_b.upload(iid, b'x')
    assert r.status_code == 404
    assert client.get(f'/v2/images/{iid}').json()['tags'] == []


@pytest.fixture
def policy_file(image_conf, tmp_path):
    path = tmp_path / 'policy.yaml'

    def write(rules):
        path.write_text(json.dumps(rules))
        image_conf.set_override('policy_file', str(path), group='identity')
        policy.reset()
    yield write
    image_conf.clear_override('policy_file', group='identity')
    policy.reset()


def test_rules_are_overridable_from_the_policy_file(client, client_b, policy_file):
    r = client.post('/v2/images', json={'name': 'p', 'visibility': 'public'})
    assert r.status_code == 403           # publicize_image: admin, as Glance
    policy_file({'image:publicize_image': 'rule:project_member',
                 'image:communitize_image': 'rule:admin_required'})
    r = client.post('/v2/images', json={'name': 'p', 'visibility': 'public'})
    assert r.status_code == 201, r.text
    r = client.post('/v2/images', json={'name': 'c', 'visibility': 'community'})
    assert r.status_code == 403
    # a rule taken away from the owner: it can no longer delete its image
    policy_file({'image:delete_image': 'rule:admin_required'})
    img = client.create(name='kept')
    assert client.delete(f'/v2/images/{img["id"]}').status_code == 403
    assert client.get(f'/v2/images/{img["id"]}').status_code == 200


@pytest.fixture
def router_client(image_conf, monkeypatch):
    """The production app (the router authorizes by declared policies),
    with the token's context taken from test headers: X-Test-Project ''
    is an unscoped token, no header no token."""
    from iaas.api.image.app import build_app
    from iaas.service import WSGIService

    def authenticate(req):
        if 'X-Test-Project' not in req.headers:
            raise wsgi.Unauthorized('The request you have made requires authentication.')
        project = req.headers['X-Test-Project'] or None
        roles = req.headers.get('X-Test-Roles', 'member').split(',') if project else []
        ctx = RequestContext(user_id=f'user-{project}', project_id=project, roles=roles,
                             is_admin='admin' in roles)
        req.environ['iaas.context'] = ctx
        return ctx
    monkeypatch.setattr(auth, '_authenticate', authenticate)
    svc = WSGIService('image-test', build_app(), '127.0.0.1', 0, threads=4)
    svc.start()
    yield f'http://127.0.0.1:{svc.port}'
    svc.stop()


def test_router_refuses_unscoped_tokens_and_readers(router_client):
    owner = Client(router_client, 'proj-a')
    img = owner.create(name='mine', visibility='community')
    iid = img['id']
    unscoped = Client(router_client, '')
    for method, path in [('get', '/v2/images'), ('get', f'/v2/images/{iid}'),
                         ('get', f'/v2/images/{iid}/file'), ('delete', f'/v2/images/{iid}'),
                         ('post', '/v2/images'), ('get', f'/v2/images/{iid}/members')]:
        r = getattr(unscoped, method)(path)
        assert r.status_code == 403, (method, path, r.status_code)
        assert 'project-scoped' in r.json()['error']['message']
    import requests
    assert requests.get(router_client + '/v2/images', timeout=10).status_code == 401
    reader = Client(router_client, 'proj-a', roles='reader')
    assert reader.get(f'/v2/images/{iid}').status_code == 200
    assert reader.delete(f'/v2/images/{iid}').status_code == 403
    assert owner.get(f'/v2/images/{iid}').status_code == 200
