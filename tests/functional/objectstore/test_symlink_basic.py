"""Symlinks: X-Symlink-Target, ?symlink=get, static links, loops, listings, POST."""
import hashlib

import pytest
import requests

from iaas.api.objectstore.middleware import symlink
from tests.functional.objectstore.conftest import Store

MD5_EMPTY = hashlib.md5(b'').hexdigest()


@pytest.fixture
def sw(tmp_path):
    s = Store(tmp_path, servers=1, replicas=1, in_process=True)
    token, url = s.token()
    h = {'X-Auth-Token': token}
    requests.put(url + '/c', headers=h)
    requests.put(url + '/c/tgt', data=b'target body', headers=dict(
        h, **{'Content-Type': 'application/target'}))
    yield url, h
    s.stop()


def test_type_parameters_round_trip():
    ctype = symlink.join_type('text/plain; charset=x', {
        'symlink_target': 'c/a;b=c', 'symlink_target_account': 'AUTH_x'})
    assert symlink.split_type(ctype) == ('text/plain; charset=x', {
        'symlink_target': 'c/a;b=c', 'symlink_target_account': 'AUTH_x'})
    assert symlink.split_type('text/plain') == ('text/plain', {})


def test_dynamic_link(sw):
    url, h = sw
    r = requests.put(url + '/c/link', headers=dict(h, **{'X-Symlink-Target': 'c/tgt'}))
    assert r.status_code == 201
    r = requests.get(url + '/c/link', headers=h)
    assert r.content == b'target body'
    assert r.headers['Content-Location'] == '/v1/AUTH_test/c/tgt'
    assert r.headers['Content-Type'] == 'application/target'
    r = requests.get(url + '/c/link?symlink=get', headers=h)
    assert r.content == b'' and r.headers['Content-Type'] == 'application/symlink'
    assert r.headers['X-Symlink-Target'] == 'c/tgt'
    rows = requests.get(url + '/c?format=json', headers=h).json()
    link = next(r for r in rows if r['name'] == 'link')
    assert link['symlink_path'] == '/v1/AUTH_test/c/tgt'
    assert link['content_type'] == 'application/symlink'
    xml = requests.get(url + '/c?format=xml', headers=h).text
    assert 'symlink_target' not in xml
    # POST updates the link and redirects
    r = requests.post(url + '/c/link', headers=dict(h, **{'X-Object-Meta-A': 'b'}),
                      allow_redirects=False)
    assert r.status_code == 307 and r.headers['Location'] == '/v1/AUTH_test/c/tgt'
    r = requests.head(url + '/c/link?symlink=get', headers=h)
    assert r.headers['X-Object-Meta-A'] == 'b'
    assert r.headers['X-Symlink-Target'] == 'c/tgt'
    # copies copy the target, or the link with ?symlink=get
    r = requests.put(url + '/c/copy', headers=dict(h, **{'X-Copy-From': 'c/link'}))
    assert r.status_code == 201
    r = requests.get(url + '/c/copy?symlink=get', headers=h)
    assert r.content == b'target body' and 'X-Symlink-Target' not in r.headers
    r = requests.put(url + '/c/copy2?symlink=get', headers=dict(h, **{'X-Copy-From': 'c/link'}))
    assert requests.get(url + '/c/copy2?symlink=get', headers=h).headers[
        'X-Symlink-Target'] == 'c/tgt'


def test_errors(sw):
    url, h = sw
    r = requests.put(url + '/c/link', data=b'x', headers=dict(h, **{'X-Symlink-Target': 'c/t'}))
    assert r.status_code == 400 and r.text == 'Symlink requests require a zero byte body'
    r = requests.put(url + '/c/link', headers=dict(h, **{'X-Symlink-Target': 'nocontainer'}))
    assert r.status_code == 412
    r = requests.put(url + '/c/link', headers=dict(h, **{'X-Symlink-Target': 'c/link'}))
    assert r.status_code == 400
    r = requests.post(url + '/c/tgt', headers=dict(h, **{'X-Symlink-Target': 'c/x'}))
    assert r.status_code == 400
    # a loop
    requests.put(url + '/c/l1', headers=dict(h, **{'X-Symlink-Target': 'c/l2'}))
    requests.put(url + '/c/l2', headers=dict(h, **{'X-Symlink-Target': 'c/l1'}))
    assert requests.get(url + '/c/l1', headers=h).status_code == 409
    # a dangling link
    requests.put(url + '/c/dangle', headers=dict(h, **{'X-Symlink-Target': 'c/nothing'}))
    r = requests.get(url + '/c/dangle', headers=h)
    assert r.status_code == 404 and r.headers['Content-Location'] == '/v1/AUTH_test/c/nothing'
    # forged parameters in a client's content type are dropped
    requests.put(url + '/c/forged', data=b'data', headers=dict(
        h, **{'Content-Type': 'text/plain;symlink_target=c/tgt'}))
    r = requests.get(url + '/c/forged', headers=h)
    assert r.content == b'data' and r.headers['Content-Type'] == 'text/plain'


def test_static_link(sw):
    url, h = sw
    etag = hashlib.md5(b'target body').hexdigest()
    r = requests.put(url + '/c/static', headers=dict(
        h, **{'X-Symlink-Target': 'c/tgt', 'X-Symlink-Target-Etag': 'bad'}))
    assert r.status_code == 409
    r = requests.put(url + '/c/static', headers=dict(
        h, **{'X-Symlink-Target': 'c/none', 'X-Symlink-Target-Etag': etag}))
    assert r.status_code == 409 and r.text == 'X-Symlink-Target does not exist'
    r = requests.put(url + '/c/static', headers=dict(
        h, **{'X-Symlink-Target': 'c/tgt', 'X-Symlink-Target-Etag': etag}))
    assert r.status_code == 201
    r = requests.get(url + '/c/static?symlink=get', headers=h)
    assert r.headers['Content-Type'] == 'application/target'
    assert r.headers['X-Symlink-Target-Etag'] == etag
    assert r.headers['X-Symlink-Target-Bytes'] == '11'
    rows = requests.get(url + '/c?format=json', headers=h).json()
    row = next(r for r in rows if r['name'] == 'static')
    assert row['symlink_etag'] == etag and row['symlink_bytes'] == 11
    assert requests.get(url + '/c/static', headers=h).content == b'target body'
    requests.put(url + '/c/tgt', data=b'changed', headers=h)
    assert requests.get(url + '/c/static', headers=h).status_code == 409


def test_utf8_target_raw_and_quoted(sw):
    """X-Symlink-Target / X-Copy-From may carry raw UTF-8 (as Swift's test
    client sends) or URL-quoted UTF-8: both name the same object."""
    url, h = sw
    name = 'tgt-\u2603\u00e9'
    requests.put(url + '/c/' + name, data=b'snow', headers=h)
    r = requests.put(url + '/c/raw', headers=dict(h, **{
        'X-Symlink-Target': ('c/' + name).encode('utf-8')}))
    assert r.status_code == 201
    assert requests.get(url + '/c/raw', headers=h).content == b'snow'
    r = requests.put(url + '/c/quoted', headers=dict(h, **{
        'X-Symlink-Target': 'c/tgt-%E2%98%83%C3%A9'}))
    assert r.status_code == 201
    assert requests.get(url + '/c/quoted', headers=h).content == b'snow'
    r = requests.put(url + '/c/copy', headers=dict(h, **{
        'X-Copy-From': ('c/raw').encode('utf-8')}))
    assert r.status_code == 201
    assert requests.get(url + '/c/copy', headers=h).content == b'snow'


def test_copy_of_link_with_target_account(sw):
    """PUT ?symlink=get + X-Copy-From + X-Symlink-Target-Account: the copied
    link points into that account (Swift)."""
    url, h = sw
    requests.put(url + '/c/link', headers=dict(h, **{'X-Symlink-Target': 'c/tgt'}))
    r = requests.put(url + '/c/copy?symlink=get', headers=dict(h, **{
        'X-Copy-From': 'c/link', 'X-Symlink-Target-Account': 'AUTH_other'}))
    assert r.status_code == 201
    r = requests.head(url + '/c/copy?symlink=get', headers=h)
    assert r.headers['X-Symlink-Target-Account'] == 'AUTH_other'
    assert r.headers['X-Symlink-Target'] == 'c/tgt'
    assert r.headers['Content-Type'] == 'application/symlink'
