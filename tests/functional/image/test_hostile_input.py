"""Hostile input to the image API (finding 12 applied to images): every
write body is type-checked by JSON schema, strings are valid Unicode
without NUL, numbers and sizes are bounded, lists are paged with a capped
limit; bad input is a 4xx in Glance's error format, never a 500, and
changes nothing."""
import json

import pytest

PATCH = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}


def _error(r, code):
    assert r.status_code == code, (r.status_code, r.text)
    assert r.json()['error']['message']


BAD_CREATE = [
    {'name': ['x']}, {'name': {'a': 'b'}}, {'name': 5}, {'name': 'x' * 256},
    {'name': 'a\x00b'}, {'visibility': None}, {'visibility': 'bogus'},
    {'visibility': ['public']}, {'protected': 'true'}, {'protected': None},
    {'os_hidden': 1}, {'min_disk': 2 ** 64}, {'min_disk': -1}, {'min_disk': '1'},
    {'min_disk': 1.5}, {'min_ram': 2 ** 63}, {'min_ram': None}, {'min_ram': True},
    {'disk_format': 5}, {'disk_format': 'ploop2'}, {'container_format': ['bare']},
    {'tags': 'x'}, {'tags': [None]}, {'tags': [['x']]}, {'tags': ['x' * 256]},
    {'tags': ['a\x00']}, {'tags': [str(i) for i in range(129)]}, {'id': 'not-a-uuid'},
    {'id': 5}, {'id': None}, {'owner': ['p']}, {'owner': 'o' * 65},
    {'kernel_id': 'nope'}, {'kernel_id': 7}, {'os_distro': None},
    {'custom': None}, {'custom': 1}, {'custom': ['x']}, {'custom': {'a': 'b'}},
    {'custom': 'x' * 65536}, {'custom': 'a\x00'}, {'k' * 256: 'v'}, {'a\x00b': 'v'},
]


MALFORMED = [
    b'[]', b'null', b'"x"', b'5', b'{"name": "\\ud800"}', b'{"\\udfff": "x"}',
    b'{"name": "x", "custom": "\\ud800x"}', b'{' * 5000, b'[' * 100000,
    b'{"name": 1e999}', b'{"min_disk": NaN}', b'not json', b'\xff\xfe']


def test_create_refuses_bad_types_sizes_and_bodies(client):
    for body in BAD_CREATE:
        body = {'name': 'n', **body} if 'name' not in body else body
        r = client.post('/v2/images', json=body)
        assert r.status_code == 400 and r.json()['error']['message'], (body, r.text)
    for raw in MALFORMED:
        r = client.post('/v2/images', data=raw, headers={'Content-Type': 'application/json'})
        assert r.status_code in (400, 413), (raw[:40], r.status_code, r.text)
    assert client.get('/v2/images').json()['images'] == []
    # the bounds themselves are fine
    img = client.create(name='x' * 255, min_disk=2 ** 31 - 1, min_ram=1.0, tags=['t' * 255],
                        owner='proj-a', custom='c' * 65535, **{'k' * 255: 'v'})
    assert (img['min_ram'], img['min_disk'], img['custom']) == (1, 2 ** 31 - 1, 'c' * 65535)


def test_too_many_properties(client):
    body = {'name': 'many', **{f'p{i}': 'v' for i in range(129)}}
    r = client.post('/v2/images', json=body)
    assert r.status_code == 413, r.text
    img = client.create(name='ok', **{f'p{i}': 'v' for i in range(128)})
    r = client.patch(f'/v2/images/{img["id"]}', headers=PATCH, data=json.dumps(
        [{'op': 'add', 'path': '/one-more', 'value': 'v'}]))
    assert r.status_code == 413, r.text


BAD_PATCH = [
    '{}', '"x"', 'null', '[1]', '[null]', '[{"op": "add"}]',
    '[{"op": "move", "from": "/name", "path": "/x"}]',
    '[{"op": "test", "path": "/name", "value": "x"}]',
    '[{"op": "replace", "path": 5, "value": "x"}]',
    '[{"op": "replace", "path": ["name", 1], "value": "x"}]',
    '[{"op": "replace", "path": [["name"]], "value": "x"}]',
    '[{"op": "replace", "path": {"a": 1}, "value": "x"}]',
    '[{"op": "replace", "path": "/name"}]',
    '[{"op": "replace", "path": "/name", "value": ["x"]}]',
    '[{"op": "replace", "path": "/name", "value": {"a": "b"}}]',
    '[{"op": "replace", "path": "/name", "value": "\\ud800"}]',
    '[{"op": "replace", "path": "/name", "value": "a\\u0000"}]',
    '[{"op": "replace", "path": "/\\ud800", "value": "x"}]',
    '[{"op": "replace", "path": "/min_disk", "value": 18446744073709551616}]',
    '[{"op": "replace", "path": "/min_ram", "value": -1}]',
    '[{"op": "replace", "path": "/protected", "value": null}]',
    '[{"op": "replace", "path": "/visibility", "value": null}]',
    '[{"op": "replace", "path": "/tags", "value": "x"}]',
    '[{"op": "replace", "path": "/tags", "value": [1]}]',
    '[{"op": "add", "path": "/custom", "value": null}]',
    '[{"op": "add", "path": "/custom", "value": 5}]',
    '[{"op": "add", "path": "/custom", "value": "a\\u0000"}]',
    '[{"op": "add", "path": "/' + 'k' * 256 + '", "value": "x"}]',
    '[{"op": "add", "path": "/a/b", "value": "x"}]',
    '[{"op": "add", "path": "/", "value": "x"}]',
    '[{"op": "add", "path": "", "value": "x"}]',
    '[' * 100000,
    'not json',
]


def test_patch_refuses_bad_operations(client):
    img = client.create(name='keep', tags=['t'], custom='c')
    for raw in BAD_PATCH:
        r = client.patch(f'/v2/images/{img["id"]}', headers=PATCH, data=raw.encode())
        assert 400 <= r.status_code < 500 and r.status_code != 404, \
            (raw[:80], r.status_code, r.text)
        assert r.json()['error']['message']
    after = client.get(f'/v2/images/{img["id"]}').json()
    assert (after['name'], after['tags'], after['custom'], after['min_disk']) == \
        ('keep', ['t'], 'c', 0)


BAD_QUERIES = [
    'limit=-1', 'limit=x', 'limit=1e3', 'limit=%ff', 'marker=nope', 'marker=%ED%A0%80',
    'marker=%00', 'marker=' + 'a' * 5000, 'sort_key=bogus', 'sort_key=name&sort_dir=up',
    'sort=name:sideways', 'sort=', 'sort=name&sort_key=id', 'sort_key=%ff',
    'sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc',
    'size_min=x', 'size_min=18446744073709551616', 'size_max=-1',
    'size_max=99999999999999999999999', 'visibility=bogus', 'member_status=maybe',
    'protected=maybe', 'os_hidden=%00', 'name=%00', 'name=%ff', 'custom=%00',
    'id=in:%00', 'owner=%ED%A0%80', 'tag=%00',
]


def test_list_refuses_bad_parameters(client):
    client.create(name='one')
    for query in BAD_QUERIES:
        r = client.get('/v2/images?' + query)
        assert r.status_code == 400 and r.json()['error']['message'], (query, r.text)


def test_list_limit_is_capped_with_markers(client, image_conf):
    image_conf.set_override('api_limit_max', 3, group='image')
    try:
        ids = {client.create(name=f'i{i}')['id'] for i in range(5)}
        page = client.get('/v2/images?limit=1000000000000').json()
        assert len(page['images']) == 3 and 'marker=' in page['next']
        seen, url = [], '/v2/images?limit=99999999999999999999'
        while url:
            page = client.get(url).json()
            seen += [i['id'] for i in page['images']]
            url = page.get('next')
        assert sorted(seen) == sorted(ids)
    finally:
        image_conf.clear_override('api_limit_max', group='image')


def test_images_collection_with_trailing_slash(client):
    img = client.create(name='one')
    for method in ('get', 'post'):
        _error(getattr(client, method)('/v2/images/', json={'name': 'x'}), 404)
    for method in ('delete', 'put', 'patch'):     # an image with an empty id: 404
        _error(getattr(client, method)('/v2/images/'), 404)
        r = getattr(client, method)('/v2/images')  # the collection has no such method
        assert r.status_code == 405, (method, r.status_code)
        assert r.headers['Allow'] == 'GET, HEAD, POST'
    assert [i['id'] for i in client.get('/v2/images').json()['images']] == [img['id']]


def test_bad_image_ids_are_404_or_400(client):
    for path in ['/v2/images/%00', '/v2/images/' + 'a' * 3000, '/v2/images/%ED%A0%80',
                 '/v2/images/%ff/file', '/v2/images/..%2F..%2Fetc', '/v2/images/%00/file',
                 '/v2/images/%00/members', '/v2/images/%00/members/x',
                 '/v2/images/%00/tags/x', '/v2/images/%00/actions/deactivate']:
        for method in ('get', 'delete', 'put', 'post', 'patch'):
            r = getattr(client, method)(path)
            assert r.status_code in (400, 404, 405, 415), (method, path, r.status_code, r.text)


def test_bad_tags_and_members(client):
    img = client.create(name='t')
    iid = img['id']
    for tag in ('%00', 'x' * 256, '%ED%A0%80', '%ff'):
        r = client.put(f'/v2/images/{iid}/tags/{tag}')
        assert r.status_code == 400, (tag, r.status_code, r.text)
        r = client.delete(f'/v2/images/{iid}/tags/{tag}')
        assert r.status_code in (400, 404), (tag, r.status_code, r.text)
    for body in ({'member': None}, {'member': ['p']}, {'member': 'a\x00'},
                 {'member': 'x' * 256}, {'member': ''}, {}, {'member': 'p', 'x': 1}):
        _error(client.post(f'/v2/images/{iid}/members', json=body), 400)
    for member in ('%00', 'x' * 300):
        r = client.get(f'/v2/images/{iid}/members/{member}')
        assert r.status_code in (400, 404), (member, r.status_code)
    r = client.post(f'/v2/images/{iid}/members', json={'member': 'proj-b'})
    assert r.status_code == 200
    for body in ({'status': None}, {'status': 5}, {'status': 'maybe'}, {},
                 {'status': 'accepted', 'member': 5}):
        _error(client.put(f'/v2/images/{iid}/members/proj-b', json=body), 400)
    assert client.get(f'/v2/images/{iid}').json()['tags'] == []


def test_upload_size_headers(client):
    img = client.create(name='u')
    for size in ('-5', 'x', '1e3', '99999999999999999999999999'):
        r = client.upload(img['id'], b'x' * 10, **{'X-OpenStack-Image-Size': size})
        assert r.status_code in (400, 413), (size, r.status_code, r.text)
    assert client.get(f'/v2/images/{img["id"]}').json()['status'] == 'queued'
    assert client.upload(img['id'], b'x' * 10).status_code == 204
    for rng in ('bytes=99999999999999999999999-', 'bytes=-99999999999999999999',
                'bytes=5-1', 'bytes=a-b'):
        r = client.get(f'/v2/images/{img["id"]}/file', headers={'Range': rng})
        assert r.status_code in (200, 206, 416), (rng, r.status_code)


@pytest.fixture
def any_db_client(conf, db_url, tmp_path):
    """A client of an image app on each database (SQLite, PostgreSQL,
    MariaDB): what one database stores happily another refuses."""
    from iaas.api.image.app import build_app
    from iaas.image import stores
    from iaas.service import WSGIService
    from tests.functional.image.conftest import Client, header_auth
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'), group='image')
    stores.reset()
    svc = WSGIService('image-test', build_app(header_auth), '127.0.0.1', 0, threads=4)
    svc.start()
    yield Client(f'http://127.0.0.1:{svc.port}', 'proj-a')
    svc.stop()
    stores.reset()
    conf.clear_override('filesystem_store_datadir', group='image')


def test_database_limits_are_4xx_on_every_database(any_db_client):
    client = any_db_client
    admin = type(client)(client.base, 'proj-admin', roles='admin,member')
    assert admin.create(name='long owner', owner='o' * 64)['owner'] == 'o' * 64
    img = client.create(name='emoji \U0001F600 ok', min_disk=2 ** 31 - 1,
                        tags=['\U0001F600' * 255], custom='\U0001F600' * 1000,
                        **{'\U0001F600' * 255: 'v'})
    iid = img['id']
    got = client.get(f'/v2/images/{iid}').json()
    assert got['name'] == 'emoji \U0001F600 ok' and got['tags'] == ['\U0001F600' * 255]
    for body in ({'name': 'a\x00'}, {'owner': 'o' * 65}, {'custom': 'a\x00'},
                 {'tags': ['a\x00']}, {'min_ram': 2 ** 31}):
        _error(client.post('/v2/images', json={'name': 'n', **body}), 400)
    for query in ('name=%00', 'size_min=9223372036854775808', 'tag=%00', 'x=%00',
                  'marker=00000000-0000-0000-0000-000000000000', 'marker=%00'):
        _error(client.get('/v2/images?' + query), 400)
    r = client.get('/v2/images?size_max=9223372036854775807&sort=size:asc,min_disk:desc')
    assert r.status_code == 200
    for path in ('/v2/images/%00', f'/v2/images/{iid}/members/%00',
                 f'/v2/images/{iid.upper()}x'):
        assert client.get(path).status_code in (403, 404), path
    assert client.put(f'/v2/images/{iid}/tags/a%00b').status_code == 400
    assert client.delete(f'/v2/images/{iid}/tags/a%00b').status_code == 404
    r = client.patch(f'/v2/images/{iid}', headers=PATCH, data=json.dumps(
        [{'op': 'add', 'path': '/k', 'value': 'a\x00'}]))
    _error(r, 400)
