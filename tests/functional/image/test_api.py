"""The Glance v2 API over HTTP (file store, SQLite, header test auth)."""
import hashlib

import pytest


def test_versions_and_schemas(client):
    r = client.get('/')
    assert r.status_code == 300
    v = r.json()['versions']
    assert v[0]['id'] == 'v2.17' and v[0]['status'] == 'CURRENT'
    assert v[0]['links'][0]['href'].endswith('/v2/')
    s = client.get('/v2/schemas/image').json()
    assert s['name'] == 'image' and 'disk_format' in s['properties']
    assert client.get('/v2/schemas/images').json()['name'] == 'images'
    assert client.get('/v2/schemas/members').json()['name'] == 'members'


def test_auth_required(image_server):
    import requests
    r = requests.get(image_server + '/v2/images', timeout=10)
    assert r.status_code == 401
    assert r.json()['error']['code'] == 401 and r.json()['error']['message']


def test_create_upload_show_download(client):
    img = client.create(name='cirros', visibility='private', min_ram=64,
                        **{'owner_specified.openstack.object': 'images/cirros', 'os_distro': 'x'})
    assert img['status'] == 'queued' and img['size'] is None and img['checksum'] is None
    assert img['owner_specified.openstack.object'] == 'images/cirros'
    assert img['self'] == f'/v2/images/{img["id"]}'
    assert img['file'] == f'/v2/images/{img["id"]}/file'
    assert img['schema'] == '/v2/schemas/image'
    data = bytes(range(256)) * 5000
    r = client.upload(img['id'], data, **{'X-OpenStack-Image-Size': str(len(data))})
    assert r.status_code == 204, r.text
    got = client.get(f'/v2/images/{img["id"]}').json()
    assert got['status'] == 'active'
    assert got['size'] == len(data)
    assert got['checksum'] == hashlib.md5(data).hexdigest()
    assert got['os_hash_algo'] == 'sha512'
    assert got['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert got['virtual_size'] == len(data)
    r = client.get(f'/v2/images/{img["id"]}/file')
    assert r.status_code == 200 and r.content == data
    assert r.headers['Content-MD5'] == got['checksum']
    r = client.get(f'/v2/images/{img["id"]}/file', headers={'Range': 'bytes=10-19'})
    assert r.status_code == 206 and r.content == data[10:20]
    assert r.headers['Content-Range'] == f'bytes 10-19/{len(data)}'
    r = client.get(f'/v2/images/{img["id"]}/file', headers={'Range': 'bytes=-5'})
    assert r.status_code == 206 and r.content == data[-5:]
    r = client.get(f'/v2/images/{img["id"]}/file',
                   headers={'Range': f'bytes={len(data)}-'})
    assert r.status_code == 416
    # upload to an active image
    r = client.upload(img['id'], b'x')
    assert r.status_code == 409


def test_download_of_queued_image_is_204(client):
    img = client.create(name='empty')
    assert client.get(f'/v2/images/{img["id"]}/file').status_code == 204


def test_bad_formats_and_read_only(client):
    r = client.post('/v2/images', json={'name': 'x', 'disk_format': 'floppy'})
    assert r.status_code == 400 and 'disk_format' in r.json()['error']['message']
    r = client.post('/v2/images', json={'name': 'x', 'container_format': 'tarball'})
    assert r.status_code == 400
    r = client.post('/v2/images', json={'name': 'x', 'status': 'active'})
    assert r.status_code == 403
    r = client.post('/v2/images', json={'name': 'x', 'foo': 1})
    assert r.status_code == 400
    r = client.post('/v2/images', data=b'{nope', headers={'Content-Type': 'application/json'})
    assert r.status_code == 400


def test_public_needs_admin(client, admin):
    r = client.post('/v2/images', json={'name': 'p', 'visibility': 'public'})
    assert r.status_code == 403
    assert admin.create(name='p', visibility='public')['visibility'] == 'public'


def test_patch(client):
    img = client.create(name='a', tags=['t1'])
    iid = img['id']
    r = client.patch_image(iid, [
        {'op': 'replace', 'path': '/name', 'value': 'b'},
        {'op': 'add', 'path': '/hw_disk_bus', 'value': 'virtio'},
        {'op': 'add', 'path': '/tags', 'value': ['t2', 't3']},
        {'op': 'replace', 'path': '/min_disk', 'value': 3}])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['name'] == 'b' and body['hw_disk_bus'] == 'virtio'
    assert body['tags'] == ['t2', 't3'] and body['min_disk'] == 3
    r = client.patch_image(iid, [{'op': 'replace', 'path': '/hw_disk_bus', 'value': 'scsi'}])
    assert r.json()['hw_disk_bus'] == 'scsi'
    r = client.patch_image(iid, [{'op': 'remove', 'path': '/hw_disk_bus'}])
    assert 'hw_disk_bus' not in r.json()
    assert client.patch_image(iid, [{'op': 'remove', 'path': '/nothere'}]).status_code == 409
    assert client.patch_image(iid, [{'op': 'replace', 'path': '/status',
                                     'value': 'active'}]).status_code == 403
    assert client.patch_image(iid, [{'op': 'replace', 'path': '/min_ram',
                                     'value': 'lots'}]).status_code == 400
    r = client.patch(f'/v2/images/{iid}', json=[], headers={'Content-Type': 'application/json'})
    assert r.status_code == 415


def test_delete_protected_and_delete(client):
    img = client.create(name='keep', protected=True)
    r = client.delete(f'/v2/images/{img["id"]}')
    assert r.status_code == 403
    client.patch_image(img['id'], [{'op': 'replace', 'path': '/protected', 'value': False}])
    assert client.delete(f'/v2/images/{img["id"]}').status_code == 204
    assert client.get(f'/v2/images/{img["id"]}').status_code == 404


def test_delete_removes_data(client, image_conf):
    import os
    img = client.create(name='d')
    assert client.upload(img['id'], b'abc' * 1000).status_code == 204
    path = os.path.join(image_conf.image.filesystem_store_datadir, img['id'])
    assert os.path.exists(path)
    assert client.delete(f'/v2/images/{img["id"]}').status_code == 204
    assert not os.path.exists(path)


def test_tags(client):
    img = client.create(name='t')
    assert client.put(f'/v2/images/{img["id"]}/tags/blue').status_code == 204
    assert client.get(f'/v2/images/{img["id"]}').json()['tags'] == ['blue']
    assert client.delete(f'/v2/images/{img["id"]}/tags/blue').status_code == 204
    assert client.delete(f'/v2/images/{img["id"]}/tags/blue').status_code == 404
    assert client.put(f'/v2/images/{img["id"]}/tags/a%2520b%20c').status_code == 204
    assert client.get(f'/v2/images/{img["id"]}').json()['tags'] == ['a%20b c']


def test_deactivate_reactivate(client, client_b, admin):
    img = client.create(name='d', visibility='community')
    iid = img['id']
    r = client.post(f'/v2/images/{iid}/actions/deactivate')
    assert r.status_code == 403   # queued cannot be deactivated
    client.upload(iid, b'x' * 100)
    assert client.post(f'/v2/images/{iid}/actions/deactivate').status_code == 204
    assert client.get(f'/v2/images/{iid}').json()['status'] == 'deactivated'
    assert client_b.get(f'/v2/images/{iid}/file').status_code == 403
    assert admin.get(f'/v2/images/{iid}/file').status_code == 200
    assert client_b.post(f'/v2/images/{iid}/actions/reactivate').status_code == 403
    assert client.post(f'/v2/images/{iid}/actions/reactivate').status_code == 204
    assert client_b.get(f'/v2/images/{iid}/file').content == b'x' * 100


def test_list_filters_sort_and_pages(client):
    ids = []
    for i in range(7):
        img = client.create(name=f'img{i}', tags=['even'] if i % 2 == 0 else ['odd'],
                            disk_format='qcow2' if i == 3 else 'raw')
        ids.append(img['id'])
    client.upload(ids[1], b'x' * 10)
    client.upload(ids[2], b'x' * 1000)
    names = [i['name'] for i in client.get('/v2/images?sort=name:asc').json()['images']]
    assert names == [f'img{i}' for i in range(7)]
    r = client.get('/v2/images?sort_key=name&sort_dir=desc&limit=3').json()
    assert [i['name'] for i in r['images']] == ['img6', 'img5', 'img4']
    assert 'marker=' in r['next']
    seen = []
    url = '/v2/images?sort=name:asc&limit=2'
    while url:
        page = client.get(url).json()
        seen += [i['name'] for i in page['images']]
        url = page.get('next')
    assert seen == [f'img{i}' for i in range(7)]
    assert [i['name'] for i in client.get('/v2/images?name=img4').json()['images']] == ['img4']
    r = client.get(f'/v2/images?id=in:{ids[0]},{ids[1]}').json()
    assert {i['id'] for i in r['images']} == {ids[0], ids[1]}
    r = client.get('/v2/images?tag=odd').json()
    assert sorted(i['name'] for i in r['images']) == ['img1', 'img3', 'img5']
    r = client.get('/v2/images?status=active&size_min=100').json()
    assert [i['name'] for i in r['images']] == ['img2']
    r = client.get('/v2/images?disk_format=qcow2').json()
    assert [i['name'] for i in r['images']] == ['img3']
    assert client.get('/v2/images?sort_key=bogus').status_code == 400
    assert client.get('/v2/images?limit=x').status_code == 400
    assert client.get('/v2/images?marker=nope').status_code == 400


def test_two_projects_visibility(client, client_b, admin):
    private = client.create(name='private', visibility='private')
    shared = client.create(name='shared')   # default visibility is shared
    assert shared['visibility'] == 'shared'
    community = client.create(name='community', visibility='community')
    public = admin.create(name='public', visibility='public')
    # B sees neither private nor (un-accepted) shared
    assert client_b.get(f'/v2/images/{private["id"]}').status_code == 404
    assert client_b.get(f'/v2/images/{shared["id"]}').status_code == 404
    assert client_b.get(f'/v2/images/{community["id"]}').status_code == 200
    listed = {i['name'] for i in client_b.get('/v2/images').json()['images']}
    assert listed == {'public'}
    listed = {i['name'] for i in client_b.get('/v2/images?visibility=community').json()['images']}
    assert listed == {'community'}
    # B cannot modify A's community image
    r = client_b.patch_image(community['id'], [{'op': 'replace', 'path': '/name', 'value': 'x'}])
    assert r.status_code == 403
    assert client_b.delete(f'/v2/images/{community["id"]}').status_code == 403
    assert client_b.delete(f'/v2/images/{private["id"]}').status_code == 404
    # share with B: pending → visible by id, listed once accepted
    r = client.post(f'/v2/images/{shared["id"]}/members', json={'member': 'proj-b'})
    assert r.status_code == 200 and r.json()['status'] == 'pending'
    assert client.post(f'/v2/images/{shared["id"]}/members',
                       json={'member': 'proj-b'}).status_code == 409
    assert client.post(f'/v2/images/{private["id"]}/members',
                       json={'member': 'proj-b'}).status_code == 403
    assert client_b.get(f'/v2/images/{shared["id"]}').status_code == 200
    assert 'shared' not in {i['name'] for i in client_b.get('/v2/images').json()['images']}
    r = client_b.get('/v2/images?member_status=pending&visibility=shared').json()
    assert [i['name'] for i in r['images']] == ['shared']
    assert client.put(f'/v2/images/{shared["id"]}/members/proj-b',
                      json={'status': 'accepted'}).status_code == 403
    r = client_b.put(f'/v2/images/{shared["id"]}/members/proj-b', json={'status': 'accepted'})
    assert r.status_code == 200 and r.json()['status'] == 'accepted'
    assert client_b.put(f'/v2/images/{shared["id"]}/members/proj-b',
                        json={'status': 'maybe'}).status_code == 400
    listed = {i['name'] for i in client_b.get('/v2/images').json()['images']}
    assert listed == {'public', 'shared'}
    assert [m['member_id'] for m in client.get(
        f'/v2/images/{shared["id"]}/members').json()['members']] == ['proj-b']
    r = client_b.put(f'/v2/images/{shared["id"]}/members/proj-b', json={'status': 'rejected'})
    assert r.json()['status'] == 'rejected'
    assert 'shared' not in {i['name'] for i in client_b.get('/v2/images').json()['images']}
    r = client_b.get('/v2/images?member_status=rejected&visibility=shared').json()
    assert [i['name'] for i in r['images']] == ['shared']
    assert client.delete(f'/v2/images/{shared["id"]}/members/proj-b').status_code == 204
    assert client_b.get(f'/v2/images/{shared["id"]}').status_code == 404
    # owner filter
    r = admin.get('/v2/images?owner=proj-a&sort=name:asc').json()
    assert [i['name'] for i in r['images']] == ['community', 'private', 'shared']
    # admin sees everything
    listed = {i['name'] for i in admin.get('/v2/images').json()['images']}
    assert {'private', 'shared', 'community', 'public'} <= listed
    assert public['owner'] == 'proj-admin'


def test_reader_cannot_write(image_server):
    from tests.functional.image.conftest import Client
    reader = Client(image_server, 'proj-a', roles='reader')
    r = reader.post('/v2/images', json={'name': 'x'})
    assert r.status_code == 403


@pytest.mark.parametrize('bad', ['/v2/images/nope', '/v2/images/nope/file'])
def test_unknown_image_404(client, bad):
    r = client.get(bad)
    assert r.status_code == 404 and r.json()['error']['message']


def test_head_requests(client):
    img = client.create(name='h')
    client.upload(img['id'], b'z' * 5000)
    r = client.head(f'/v2/images/{img["id"]}/file')
    assert r.status_code == 200 and r.headers['Content-Length'] == '5000'
    assert r.content == b''
    assert client.head(f'/v2/images/{img["id"]}').status_code == 200
    # the connection is still usable afterwards
    assert client.get(f'/v2/images/{img["id"]}/file').content == b'z' * 5000


def test_missing_data_is_503_not_500(client, image_conf):
    import os
    img = client.create(name='lost')
    client.upload(img['id'], b'q' * 100)
    os.unlink(os.path.join(image_conf.image.filesystem_store_datadir, img['id']))
    r = client.get(f'/v2/images/{img["id"]}/file')
    assert r.status_code == 503 and 'missing' in r.json()['error']['message']
    # deleting such an image still works
    assert client.delete(f'/v2/images/{img["id"]}').status_code == 204
