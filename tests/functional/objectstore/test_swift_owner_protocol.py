"""Swift details its functional tests check: owner-only headers, write-only
containers, a Swift request outside /v1/, NULs in listing markers, suffix
ranges, non-ASCII content types in listings."""
import json

import pytest
import requests


@pytest.fixture
def swift(store):
    tok, url = store.token()
    h = {'X-Auth-Token': tok}
    assert requests.put(url + '/c', headers=h).status_code == 201
    rtok, _ = store.token('test:reader', 'rpass')      # test's user without .admin
    return store, url, h, {'X-Auth-Token': rtok}


def _grant(store, url, h, level):
    acl = json.dumps({level: ['test:reader']})
    assert requests.post(url, headers=dict(
        h, **{'X-Account-Access-Control': acl})).status_code == 204
    store.proxy._aacl.clear()


def test_owner_headers_are_the_owners_only(swift):
    store, url, h, rh = swift
    owner_only = {'X-Container-Read': 'jdoe', 'X-Container-Write': 'jdoe',
                  'X-Container-Sync-Key': 'secret',
                  'X-Container-Meta-Temp-Url-Key': 'k'}
    r = requests.post(url + '/c', headers=dict(h, **owner_only, **{
        'X-Container-Meta-Test': 'v'}))
    assert r.status_code == 204
    r = requests.head(url + '/c', headers=h)
    assert {k: r.headers.get(k) for k in owner_only} == owner_only
    for level in ('read-only', 'read-write'):
        _grant(store, url, h, level)
        r = requests.head(url + '/c', headers=rh)
        assert r.status_code == 204 and r.headers['X-Container-Meta-Test'] == 'v'
        assert not set(owner_only) & set(r.headers), level
    # read-write: the POST is applied, the owner headers in it are dropped
    r = requests.post(url + '/c', headers=dict(rh, **{
        'X-Container-Read': '.r:*', 'X-Remove-Container-Write': 'x',
        'X-Container-Sync-Key': 'mine', 'X-Container-Meta-Test': 'w'}))
    assert r.status_code == 204
    r = requests.head(url + '/c', headers=h)
    assert r.headers['X-Container-Meta-Test'] == 'w'
    assert {k: r.headers.get(k) for k in owner_only} == owner_only
    assert requests.get(url + '/c/nothing', headers={}).status_code == 401
    # an account-ACL admin is an owner: sees and sets them
    _grant(store, url, h, 'admin')
    r = requests.head(url + '/c', headers=rh)
    assert {k: r.headers.get(k) for k in owner_only} == owner_only
    assert requests.post(url + '/c', headers=dict(rh, **{
        'X-Container-Sync-Key': 'new', 'X-Remove-Container-Write': 'x'})).status_code == 204
    r = requests.head(url + '/c', headers=h)
    assert r.headers['X-Container-Sync-Key'] == 'new'
    assert 'X-Container-Write' not in r.headers
    # the account's access control and temp-url keys: the owner's too
    _grant(store, url, h, 'read-write')
    requests.post(url, headers=dict(h, **{'X-Account-Meta-Temp-Url-Key': 'ak'}))
    assert requests.head(url, headers=h).headers['X-Account-Meta-Temp-Url-Key'] == 'ak'
    r = requests.head(url, headers=rh)
    assert r.status_code == 204
    assert 'X-Account-Meta-Temp-Url-Key' not in r.headers
    assert 'X-Account-Access-Control' not in r.headers


def test_write_only_container(swift):
    _store, url, h, rh = swift
    r = requests.put(url + '/wo', headers=dict(h, **{'X-Container-Write': 'test:reader'}))
    assert r.status_code == 201
    assert requests.put(url + '/wo/o', data=b'x', headers=rh).status_code == 201
    assert requests.get(url + '/wo/o', headers=rh).status_code == 403
    r = requests.post(url + '/wo/o', headers=dict(rh, **{'X-Object-Meta-Color': 'blue'}))
    assert r.status_code == 202
    assert requests.head(url + '/wo/o', headers=h).headers['X-Object-Meta-Color'] == 'blue'
    # a link is answered as one (307), the metadata lands on the link
    requests.put(url + '/wo/link', data=b'', headers=dict(h, **{'X-Symlink-Target': 'wo/o'}))
    r = requests.post(url + '/wo/link', headers=dict(rh, **{'X-Object-Meta-A': 'b'}),
                      allow_redirects=False)
    assert r.status_code == 307
    assert requests.delete(url + '/wo/o', headers=rh).status_code == 204
    # no POST right, no look at the object either
    assert requests.post(url + '/c/o', headers=rh).status_code == 403


def test_errors_outside_v1_and_container_name_length(swift):
    store, url, h, _rh = swift
    r = requests.get(store.url + '/info%20asdf', headers=h)
    assert r.status_code == 412 and r.text == 'Bad URL' and r.headers['X-Trans-Id']
    r = requests.get(store.url + '/bucket', headers=h)
    assert r.status_code == 412
    # without a Swift token it is an S3 request (anonymous, on no bucket)
    r = requests.get(store.url + '/bucket')
    assert r.status_code == 404 and b'<Code>NoSuchBucket</Code>' in r.content
    r = requests.put(url + '/' + 'X' * 2048, headers=h)
    assert r.status_code == 400
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert r.text == 'Container name length of 2048 longer than 256'


def test_nul_in_listing_markers(swift):
    _store, url, h, _rh = swift
    for name in ('a', 'b1', 'b1x', 'B2', 'c'):
        assert requests.put(url + '/c/' + name, data=b'', headers=h).status_code == 201
        requests.put(url + '/' + name, headers=h)
    q = {'reverse': 'on', 'marker': 'b1\x00', 'end_marker': 'B1'}
    r = requests.get(url + '/c', params=q, headers=h)
    assert r.status_code == 200 and r.text.split() == ['b1', 'a', 'B2']
    r = requests.get(url, params=q, headers=h)
    assert r.status_code == 200 and r.text.split() == ['b1', 'a', 'B2']
    r = requests.get(url + '/c', params={'marker': 'b1\x00'}, headers=h)
    assert r.text.split() == ['b1x', 'c']
    # elsewhere a NUL is still refused
    assert requests.get(url + '/c', params={'prefix': 'b\x00'}, headers=h).status_code == 412
    assert requests.get(url + '/c/a\x00', headers=h).status_code == 412


def test_suffix_range_longer_than_the_object(swift):
    _store, url, h, _rh = swift
    data = bytes(range(256)) * 8
    requests.put(url + '/c/o', data=data, headers=h)
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=-5000'))
    assert r.status_code == 206 and r.content == data
    assert r.headers['Content-Range'] == 'bytes 0-2047/2048'
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=-48'))
    assert r.status_code == 206 and r.content == data[-48:]
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=2048-'))
    assert r.status_code == 416 and r.headers['Content-Range'] == 'bytes */2048'
    assert r.headers['Accept-Ranges'] == 'bytes' and r.headers['ETag']
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=2000-9999'))
    assert r.status_code == 206 and r.content == data[2000:]


def test_non_ascii_content_type_in_listings(swift):
    _store, url, h, _rh = swift
    ctype = 'text/嘆鐋'
    requests.put(url + '/c/o', data=b'x', headers=dict(h, **{
        'Content-Type': ctype.encode().decode('latin-1')}))
    assert requests.get(url + '/c?format=json', headers=h).json()[0]['content_type'] == ctype
    r = requests.get(url + '/c?format=xml', headers=h)
    assert f'<content_type>{ctype}</content_type>' in r.content.decode()
    got = requests.head(url + '/c/o', headers=h).headers['Content-Type']
    assert got.encode('latin-1').decode() == ctype
