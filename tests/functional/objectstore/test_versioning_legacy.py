"""Legacy versioned writes: X-Versions-Location (stack) and X-History-Location."""
import pytest
import requests

from tests.functional.objectstore.conftest import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path, servers=1, replicas=1, in_process=True)
    yield s
    s.stop()


def _setup(store, header='X-Versions-Location'):
    token, url = store.token()
    h = {'X-Auth-Token': token}
    assert requests.put(url + '/vers', headers=h).status_code == 201
    assert requests.put(url + '/objs', headers=dict(h, **{header: 'vers'})).status_code == 201
    return url, h


def _names(url, h, c='vers'):
    r = requests.get(url + f'/{c}?format=json', headers=h)
    return [] if r.status_code == 204 else r.json()


def test_stack_mode_archives_and_restores(store):
    url, h = _setup(store)
    r = requests.head(url + '/objs', headers=h)
    assert r.headers['X-Versions-Location'] == 'vers'
    assert 'X-History-Location' not in r.headers
    assert requests.put(url + '/objs/o', data=b'one', headers=dict(
        h, **{'Content-Type': 'text/one', 'X-Object-Meta-A': '1'})).status_code == 201
    assert _names(url, h) == []
    assert requests.put(url + '/objs/o', data=b'two', headers=h).status_code == 201
    rows = _names(url, h)
    assert [r['name'][:5] for r in rows] == ['001o/']
    assert rows[0]['content_type'] == 'text/one'
    got = requests.get(url + '/vers/' + rows[0]['name'], headers=h)
    assert got.content == b'one' and got.headers['X-Object-Meta-A'] == '1'
    # POST makes no version
    assert requests.post(url + '/objs/o', headers=dict(h, **{'X-Object-Meta-B': '2'})) \
        .status_code == 202
    assert len(_names(url, h)) == 1
    assert requests.put(url + '/objs/o', data=b'three', headers=h).status_code == 201
    assert len(_names(url, h)) == 2
    # deletes pop the versions back
    assert requests.delete(url + '/objs/o', headers=h).status_code == 204
    assert requests.get(url + '/objs/o', headers=h).content == b'two'
    assert requests.delete(url + '/objs/o', headers=h).status_code == 204
    r = requests.get(url + '/objs/o', headers=h)
    assert r.content == b'one' and r.headers['Content-Type'] == 'text/one'
    assert _names(url, h) == []
    assert requests.delete(url + '/objs/o', headers=h).status_code == 204
    assert requests.get(url + '/objs/o', headers=h).status_code == 404


def test_history_mode_keeps_deleted_objects(store):
    url, h = _setup(store, 'X-History-Location')
    r = requests.head(url + '/objs', headers=h)
    assert r.headers['X-History-Location'] == 'vers'
    assert 'X-Versions-Location' not in r.headers
    requests.put(url + '/objs/o', data=b'one', headers=h)
    requests.put(url + '/objs/o', data=b'two', headers=h)
    assert requests.delete(url + '/objs/o', headers=h).status_code == 204
    assert requests.get(url + '/objs/o', headers=h).status_code == 404
    rows = _names(url, h)
    assert len(rows) == 3
    assert rows[-1]['content_type'] == 'application/x-deleted;swift_versions_deleted=1'


def test_location_headers_validated_and_cleared(store):
    url, h = _setup(store)
    r = requests.post(url + '/objs', headers=dict(
        h, **{'X-Versions-Location': 'a', 'X-History-Location': 'b'}))
    assert r.status_code == 400
    r = requests.post(url + '/objs', headers=dict(h, **{'X-Versions-Location': 'a%2Fb'}))
    assert r.status_code == 412
    assert requests.post(url + '/objs', headers=dict(
        h, **{'X-Remove-Versions-Location': 'x'})).status_code == 204
    r = requests.head(url + '/objs', headers=h)
    assert 'X-Versions-Location' not in r.headers
    requests.put(url + '/objs/o', data=b'one', headers=h)
    requests.put(url + '/objs/o', data=b'two', headers=h)
    assert _names(url, h) == []


def test_missing_versions_container_refuses_overwrite(store):
    token, url = store.token()
    h = {'X-Auth-Token': token}
    requests.put(url + '/objs', headers=dict(h, **{'X-Versions-Location': 'nope'}))
    assert requests.put(url + '/objs/o', data=b'one', headers=h).status_code == 201
    assert requests.put(url + '/objs/o', data=b'two', headers=h).status_code == 412
    assert requests.get(url + '/objs/o', headers=h).content == b'one'


def test_others_cannot_version_or_delete(store):
    url, h = _setup(store)
    requests.put(url + '/objs/o', data=b'one', headers=h)
    requests.put(url + '/objs/o', data=b'two', headers=h)
    other, _ = store.token('test2:tester2', 'testing2')
    r = requests.delete(url + '/objs/o', headers={'X-Auth-Token': other})
    assert r.status_code == 403
    r = requests.put(url + '/objs/o', data=b'x', headers={'X-Auth-Token': other})
    assert r.status_code == 403
    assert len(_names(url, h)) == 1
    assert requests.get(url + '/objs/o', headers=h).content == b'two'


def test_utf8_location_raw_or_quoted(store):
    """X-Versions-Location / X-History-Location in raw UTF-8 (as Swift's
    test client sends it) names the same container as its quoted form."""
    token, url = store.token()
    h = {'X-Auth-Token': token}
    requests.put(url + '/v%C3%A9rs', headers=h)
    requests.put(url + '/objs', headers=h)
    r = requests.post(url + '/objs', headers=dict(h, **{
        'X-History-Location': 'v\u00e9rs'.encode('utf-8')}))
    assert r.status_code == 204
    assert requests.head(url + '/objs', headers=h).headers['X-History-Location'] \
        == 'v%C3%A9rs'
    requests.put(url + '/objs/o', data=b'one', headers=h)
    assert requests.delete(url + '/objs/o', headers=h).status_code == 204
    assert len(_names(url, h, 'v%C3%A9rs')) == 2      # the version and the marker
