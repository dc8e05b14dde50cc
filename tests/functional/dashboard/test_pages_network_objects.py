"""Streamed uploads and downloads through the dashboard (images, objects),
the object storage page (containers, public read) against the session's
all-in-one cloud."""
import hashlib
import os
import re
from urllib.parse import quote

from tests.functional.dashboard.test_sessions import loc
from tests.probe.compute.helpers import deadline_poll


def stream_post(user, path, data, params=None, token=None, origin=True):
    """What dashboard.js sends: the raw body, the CSRF token in a header."""
    headers = {'Content-Type': 'application/octet-stream',
               'X-CSRF-Token': token if token is not None else user.csrf('/images')}
    if origin:
        headers['Origin'] = user.base
    return user.http.post(user.base + path, params=params, data=data, headers=headers,
                          allow_redirects=False, timeout=60)


def _chunks(data, size=256 * 1024):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_image_streamed_upload(dash_cloud, user, other_user):
    user.login()
    page = user.get('/images').text
    assert 'data-stream-action="/images/upload"' in page
    assert 'for="image-file"' in page
    data = os.urandom(3 * 1024 * 1024 + 17)     # well over the 64 KiB form limit
    r = stream_post(user, '/images/upload', data, {
        'name': 'streamed-img', 'disk_format': 'raw', 'container_format': 'bare',
        'visibility': 'shared'})
    assert r.status_code == 201, r.text[:500]
    assert r.json()['location'] == '/images'
    iid = r.json()['id']
    api = dash_cloud.api

    def image():
        return api.call('image', 'GET', f'/v2/images/{iid}', user.token).json()
    deadline_poll(lambda: image()['status'] == 'active', 30, what='image active')
    img = image()
    assert img['size'] == len(data)
    assert img['checksum'] == hashlib.md5(data).hexdigest()
    listing = user.get('/images').text
    assert 'Image streamed-img uploaded.' in listing and 'streamed-img' in listing

    # the same upload as a form is refused (64 KiB), and without the header token
    r = user.post('/images', {'name': 'big'}, files={'file': ('f', data[:200000])},
                  form_page='/images')
    assert r.status_code == 413
    assert stream_post(user, '/images/upload', b'x', {'name': 'x'}, token='').status_code \
        == 403
    assert stream_post(user, '/images/upload', b'x', {'name': 'x'},
                       origin=False).status_code == 403
    r = stream_post(user, '/images/upload', b'x', {'name': 'x', 'disk_format': 'nope'})
    assert r.status_code == 400 and 'format' in r.json()['error']

    # a small file without JavaScript (multipart form)
    r = user.post('/images', {'name': 'small-img', 'disk_format': 'raw',
                              'container_format': 'bare', 'visibility': 'private'},
                  files={'file': ('small.raw', b'\1' * 1000)}, form_page='/images')
    assert r.status_code == 303, r.text[:500]

    # share with the other project, which then sees it as a member
    r = user.post(f'/images/{iid}/members', {'project': other_user.project_id},
                  form_page='/images')
    assert r.status_code == 303
    assert 'shared with project' in user.get('/images').text
    members = api.call('image', 'GET', f'/v2/images/{iid}/members', user.token).json()
    assert [m['member_id'] for m in members['members']] == [other_user.project_id]
    other_user.login()
    assert other_user.post(f'/images/{iid}/members', {'project': other_user.project_id},
                           form_page='/images').status_code == 404


def _make_container(user, name):
    r = user.post('/objects', {'name': name}, form_page='/objects')
    assert r.status_code == 303, r.text[:500]


def test_objects_stream_up_and_down(dash_cloud, user, other_user):
    user.login()
    assert 'No containers yet.' in user.get('/objects').text
    _make_container(user, 'box')
    page = user.get('/objects').text
    assert 'href="/objects/box"' in page
    data = os.urandom(8 * 1024 * 1024)
    name = 'dir/ü file.bin'
    # sent in chunks (no Content-Length from requests for a generator: the
    # dashboard needs one) then with a length, from a generator-fed file
    r = stream_post(user, '/objects/box/upload', _chunks(data), {'name': name})
    assert r.status_code == 411
    r = stream_post(user, '/objects/box/upload', data, {'name': name,
                                                        'type': 'application/x-test'})
    assert r.status_code == 201, r.text[:500]
    assert r.json()['location'] == '/objects/box'
    page = user.get('/objects/box').text
    assert 'dir/ü file.bin' in page and '8.0 MiB' in page
    link = re.search(r'href="(/objects/box/download\?name=[^"]+)"', page).group(1)
    with user.http.get(user.base + link.replace('&amp;', '&'), stream=True,
                       timeout=60) as r:
        assert r.status_code == 200
        assert r.headers['Content-Type'] == 'application/octet-stream'
        assert r.headers['Content-Disposition'].startswith('attachment;')
        assert "filename*=UTF-8''%C3%BC%20file.bin" in r.headers['Content-Disposition']
        assert r.headers['Content-Length'] == str(len(data))
        got = hashlib.sha256()
        for chunk in r.iter_content(1 << 20):
            got.update(chunk)
    assert got.hexdigest() == hashlib.sha256(data).hexdigest()
    # the prefix filter, the other user's view
    assert name in user.get('/objects/box?prefix=dir%2F').text
    assert name not in user.get('/objects/box?prefix=zzz').text
    other_user.login()
    assert other_user.get('/objects/box').status_code == 404
    assert other_user.get('/objects/box/download?name=' + quote(name, safe='')
                          ).status_code == 404
    # delete the object, then the (now empty) container
    r = user.post('/objects/box/remove', {'name': name}, form_page='/objects/box')
    assert r.status_code == 303 and loc(r) == '/objects/box'
    r = user.post('/objects/box/delete', form_page='/objects')
    assert r.status_code == 303 and loc(r) == '/objects'
    assert 'href="/objects/box"' not in user.get('/objects').text


def test_object_names_are_checked(dash_cloud, user):
    user.login()
    _make_container(user, 'names')
    for bad in ('a%2Fb', '%2E%2E', '%2E', 'x' * 300, '%C3%28', '%00'):
        r = user.get('/objects/' + quote(bad, safe='%'))
        assert 400 <= r.status_code < 500, (bad, r.status_code)
    assert stream_post(user, '/objects/names/upload', b'x',
                       'name=%ED%A0%80').status_code == 400    # a lone surrogate
    for bad in ('../x', 'a/./b', 'a\x00b', '\x7f', '\u202e\x1b'):
        r = stream_post(user, '/objects/names/upload', b'x', {'name': bad})
        assert r.status_code == 400, (bad, r.status_code)
        r = user.get('/objects/names/download', params={'name': bad})
        assert r.status_code == 404, (bad, r.status_code)
    # a name with a slash stays in this container of this account
    r = stream_post(user, '/objects/names/upload', b'hi', {
        'name': f'../../AUTH_{user.project_id}x/c/o'})
    assert r.status_code == 400
    r = stream_post(user, '/objects/names/upload', b'hi', {'name': 'a%2F..%2Fb'})
    assert r.status_code == 201
    assert user.get('/objects/names/download', params={'name': 'a%2F..%2Fb'}).content == b'hi'
    for bad in ('a/b', '', '\x01'):
        r = user.post('/objects', {'name': bad}, form_page='/objects')
        assert r.status_code == 400, bad


def test_public_toggle(dash_cloud, user):
    import requests
    user.login()
    _make_container(user, 'pub')
    assert stream_post(user, '/objects/pub/upload', b'public bytes',
                       {'name': 'hello.txt'}).status_code == 201
    page = user.get('/objects/pub').text
    assert 'Private.' in page and 'Make public' in page
    r = user.post('/objects/pub/public', {'public': 'on'}, form_page='/objects/pub')
    assert r.status_code == 303
    page = user.get('/objects/pub').text
    url = re.search(r'class="public-url" href="([^"]+)"', page).group(1)
    assert url.endswith(f'/AUTH_{user.project_id}/pub')
    assert requests.get(url + '/hello.txt', timeout=30).content == b'public bytes'
    r = user.post('/objects/pub/public', {'public': 'off'}, form_page='/objects/pub')
    assert r.status_code == 303
    assert 'Private.' in user.get('/objects/pub').text
    assert requests.get(url + '/hello.txt', timeout=30).status_code in (401, 403)
