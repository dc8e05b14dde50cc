"""New-style object versioning: X-Versions-Enabled, ?versions, version-id, delete markers."""
import pytest
import requests

from iaas.api.objectstore.middleware import object_versioning as ov
from tests.functional.objectstore.conftest import Store

MARKER = 'application/x-deleted;swift_versions_deleted=1'


@pytest.fixture
def sw(tmp_path):
    s = Store(tmp_path, servers=1, replicas=1, in_process=True)
    token, url = s.token()
    h = {'X-Auth-Token': token}
    yield url, h
    s.stop()


def _versions(url, h, c='vc', **q):
    q.setdefault('format', 'json')
    r = requests.get(url + f'/{c}?versions', params=q, headers=h)
    return [] if r.status_code == 204 else r.json()


def test_version_names_sort_newest_first():
    a, b = '1700000000.00001', '1700000000.00002'
    assert ov.vname('o', b) < ov.vname('o', a)
    assert ov.split_vname(ov.vname('o/x', a)) == ('o/x', a)


def test_versions_kept_and_listed(sw):
    url, h = sw
    assert requests.put(url + '/vc', headers=dict(h, **{'X-Versions-Enabled': 'true'})) \
        .status_code == 201
    r = requests.head(url + '/vc', headers=h)
    assert r.headers['X-Versions-Enabled'] == 'True'
    assert 'X-Versions-Location' not in r.headers
    v1 = requests.put(url + '/vc/o', data=b'one', headers=h).headers['X-Object-Version-Id']
    v2 = requests.put(url + '/vc/o', data=b'two', headers=h).headers['X-Object-Version-Id']
    assert v1 < v2
    r = requests.get(url + '/vc/o', headers=h)
    assert r.content == b'two' and r.headers['X-Object-Version-Id'] == v2
    assert r.headers['Content-Location'] == f'/v1/AUTH_test/vc/o?version-id={v2}'
    assert not any(k.lower().endswith('iaas-version-id') for k in r.headers)
    r = requests.get(url + '/vc/o', params={'version-id': v1}, headers=h)
    assert r.content == b'one' and r.headers['X-Object-Version-Id'] == v1
    rows = _versions(url, h)
    assert [(e['version_id'], e['is_latest']) for e in rows] == [(v2, True), (v1, False)]
    # the versions container is hidden from the account
    names = [c['name'] for c in requests.get(url + '?format=json', headers=h).json()]
    assert names == ['vc']
    # the container listing shows the current version only
    assert [r['name'] for r in requests.get(url + '/vc?format=json', headers=h).json()] == ['o']
    # delete: a marker, the object is gone, the versions stay
    r = requests.delete(url + '/vc/o', headers=h)
    assert r.status_code == 204
    marker = r.headers['X-Object-Version-Id']
    assert requests.get(url + '/vc/o', headers=h).status_code == 404
    rows = _versions(url, h)
    assert [(e['version_id'], e['is_latest'], e['content_type'] == MARKER) for e in rows] == [
        (marker, True, True), (v2, False, False), (v1, False, False)]
    # deleting by version id removes that version only: nothing comes back (Swift)
    r = requests.delete(url + '/vc/o', params={'version-id': marker}, headers=h)
    assert r.status_code == 204 and r.headers['X-Object-Version-Id'] == marker
    assert requests.get(url + '/vc/o', headers=h).status_code == 404
    # PUT ?version-id makes an old version current again
    assert requests.put(url + '/vc/o', params={'version-id': v2}, headers=h).status_code == 201
    assert requests.get(url + '/vc/o', headers=h).content == b'two'
    requests.delete(url + '/vc/o', params={'version-id': v2}, headers=h)
    assert requests.get(url + '/vc/o', headers=h).status_code == 404
    assert [e['version_id'] for e in _versions(url, h)] == [v1]
    # a container with versions is not empty
    assert requests.delete(url + '/vc/o', params={'version-id': v1}, headers=h) \
        .status_code == 204
    assert _versions(url, h) == []
    assert requests.delete(url + '/vc', headers=h).status_code == 204


def test_null_version_and_markers(sw):
    url, h = sw
    requests.put(url + '/vc', headers=h)
    requests.put(url + '/vc/o', data=b'plain', headers=h)
    requests.post(url + '/vc', headers=dict(h, **{'X-Versions-Enabled': 'true'}))
    rows = _versions(url, h)
    assert [(e['version_id'], e['is_latest']) for e in rows] == [('null', True)]
    r = requests.get(url + '/vc/o', params={'version-id': 'null'}, headers=h)
    assert r.content == b'plain'
    v = requests.put(url + '/vc/o', data=b'new', headers=h).headers['X-Object-Version-Id']
    rows = _versions(url, h)
    assert rows[0]['version_id'] == v and rows[0]['is_latest']
    assert len(rows) == 2
    assert requests.get(url + '/vc/o', params={'version-id': 'bogus'}, headers=h) \
        .status_code == 400
    r = requests.delete(url + '/vc', headers=h)
    assert r.status_code == 409
    # legacy and new-style versioning exclude each other
    r = requests.post(url + '/vc', headers=dict(h, **{'X-Versions-Location': 'other'}))
    assert r.status_code == 400


def test_quota_counts_versions(sw):
    url, h = sw
    requests.put(url + '/vc', headers=dict(h, **{'X-Versions-Enabled': 'true'}))
    requests.put(url + '/vc/o', data=b'aaaaa', headers=h)
    requests.put(url + '/vc/o', data=b'bbbbb', headers=h)
    requests.post(url + '/vc', headers=dict(h, **{'X-Container-Meta-Quota-Bytes': '10'}))
    assert requests.put(url + '/vc/o', data=b'ccccc', headers=h).status_code == 413


def _enable(url, h, c='vc'):
    assert requests.put(url + '/' + c, headers=dict(h, **{'X-Versions-Enabled': 'true'})) \
        .status_code == 201


def test_versions_listing_is_json_only(sw):
    url, h = sw
    _enable(url, h)
    requests.put(url + '/vc/o', data=b'one', headers=h)
    for q in ({'format': 'xml'}, {'format': 'plain'}):
        assert requests.get(url + '/vc?versions', params=q, headers=h).status_code == 406
    for accept in ('text/plain', 'text/xml'):
        r = requests.get(url + '/vc?versions', headers=dict(h, Accept=accept))
        assert r.status_code == 406
    r = requests.get(url + '/vc?versions', headers=h)       # default: JSON
    assert r.status_code == 200 and r.json()[0]['name'] == 'o'


def test_versions_are_the_owners_only(sw, tmp_path):
    url, h = sw
    _enable(url, h)
    vid = requests.put(url + '/vc/o', data=b'one', headers=h).headers['X-Object-Version-Id']
    r = requests.get(url.rsplit('/v1/', 1)[0] + '/auth/v1.0', headers={
        'X-Auth-User': 'test:reader', 'X-Auth-Key': 'rpass'})
    h3 = {'X-Auth-Token': r.headers['X-Auth-Token']}
    requests.post(url + '/vc', headers=dict(h, **{'X-Container-Read': 'test:reader'}))
    assert requests.get(url + '/vc/o', headers=h3).content == b'one'
    assert requests.get(url + '/vc/o', params={'version-id': vid}, headers=h3) \
        .status_code == 403
    assert requests.get(url + '/vc?versions', headers=h3).status_code == 403


def test_copy_of_an_old_version_is_a_new_version(sw):
    url, h = sw
    _enable(url, h)
    v1 = requests.put(url + '/vc/o', data=b'one', headers=h).headers['X-Object-Version-Id']
    requests.put(url + '/vc/o', data=b'two', headers=h)
    r = requests.request('COPY', url + '/vc/o', params={'version-id': v1},
                         headers=dict(h, Destination='vc/o'))
    assert r.status_code == 201
    v3 = r.headers['X-Object-Version-Id']
    assert v3 > v1
    assert requests.get(url + '/vc/o', headers=h).content == b'one'
    assert len(_versions(url, h)) == 3
    # a plain COPY into a versioned container makes a version too
    requests.put(url + '/plain', headers=h)
    requests.put(url + '/plain/src', data=b'src', headers=h)
    r = requests.request('COPY', url + '/plain/src', headers=dict(h, Destination='vc/o'))
    assert r.status_code == 201 and r.headers.get('X-Object-Version-Id')
    assert len(_versions(url, h)) == 4
    r = requests.request('COPY', url + '/vc/o', params={'version-id': '1.00000'},
                         headers=dict(h, Destination='vc/o'))
    assert r.status_code == 404


def test_expired_current_copy_leaves_its_versions(sw):
    import time
    url, h = sw
    _enable(url, h)
    requests.put(url + '/vc/o', data=b'one', headers=dict(h, **{'X-Delete-After': '1'}))
    assert len(_versions(url, h)) == 1
    time.sleep(1.5)
    assert requests.head(url + '/vc/o', headers=h).status_code == 404
    rows = _versions(url, h)
    assert len(rows) == 1 and rows[0]['version_id'] != 'null'


def test_version_errors_answered_like_the_proxy(sw):
    """A version's error raised inside (SLO part-number 416) keeps Swift's
    Content-Type and headers (X-Parts-Count, Content-Range)."""
    import json
    url, h = sw
    _enable(url, h)
    requests.put(url + '/segs', headers=h)
    requests.put(url + '/segs/a', data=b'a' * 10, headers=h)
    manifest = json.dumps([{'path': '/segs/a'}])
    r = requests.put(url + '/vc/slo?multipart-manifest=put', data=manifest, headers=h)
    assert r.status_code == 201
    vid = r.headers['X-Object-Version-Id']
    r = requests.head(url + '/vc/slo', params={'version-id': vid, 'part-number': '2'},
                      headers=h)
    assert r.status_code == 416
    assert r.headers['Content-Type'].startswith('text/')
    assert r.headers['X-Object-Version-Id'] == vid
    assert r.headers['Content-Range'] == 'bytes */10'


def test_container_with_versions_cannot_be_deleted(sw):
    url, h = sw
    _enable(url, h)
    name = '<function Utils.create_name at 0x7f0>'
    requests.put(url + '/vc/' + name, data=b'foo', headers=h)
    requests.delete(url + '/vc/' + name, headers=h)
    assert len(_versions(url, h)) == 2
    assert requests.delete(url + '/vc', headers=h).status_code == 409
    requests.post(url + '/vc', headers=dict(h, **{'X-Versions-Enabled': 'false'}))
    assert requests.delete(url + '/vc', headers=h).status_code == 409


def test_current_versions_listed_and_counted_as_swift_symlinks(sw):
    """A current version is listed as Swift's version symlink (its bytes and
    hash, ``version_symlink``, ``symlink_path``) and counts no bytes of its
    own: the container's bytes are its null versions' plus all versions'."""
    import hashlib
    url, h = sw
    requests.put(url + '/vc', headers=h)
    requests.put(url + '/vc/null', data=b'not-versioned', headers=h)    # 13 bytes
    requests.post(url + '/vc', headers=dict(h, **{'X-Versions-Enabled': 'true'}))
    requests.put(url + '/vc/o', data=b'version1', headers=h)
    vid = requests.put(url + '/vc/o', data=b'version22', headers=dict(
        h, **{'Content-Type': 'text/jibberish'})).headers['X-Object-Version-Id']
    r = requests.head(url + '/vc', headers=h)
    assert r.headers['X-Container-Bytes-Used'] == str(13 + 8 + 9)
    assert r.headers['X-Container-Object-Count'] == '2'
    rows = {e['name']: e for e in requests.get(url + '/vc?format=json', headers=h).json()}
    assert 'version_symlink' not in rows['null'] and rows['null']['bytes'] == 13
    o = rows['o']
    o.pop('last_modified')
    assert o == {'name': 'o', 'bytes': 9, 'content_type': 'text/jibberish',
                 'hash': hashlib.md5(b'version22').hexdigest(), 'version_symlink': True,
                 'symlink_path': f'/v1/AUTH_test/vc/o?version-id={vid}'}
    xml = requests.get(url + '/vc?format=xml', headers=h).text
    assert '<bytes>9</bytes>' in xml and 'version_id=' not in xml
    # a POST keeps the row a version's, with the new type
    requests.post(url + '/vc/o', headers=dict(h, **{'Content-Type': 'text/other'}))
    o = {e['name']: e for e in requests.get(url + '/vc?format=json', headers=h).json()}['o']
    assert (o['bytes'], o['content_type'], o['version_symlink']) == (9, 'text/other', True)
    # restoring an old version: its bytes
    v1 = _versions(url, h)[-1]['version_id']
    requests.put(url + '/vc/o', params={'version-id': v1}, headers=h)
    o = {e['name']: e for e in requests.get(url + '/vc?format=json', headers=h).json()}['o']
    assert (o['bytes'], o['symlink_path']) == (8, f'/v1/AUTH_test/vc/o?version-id={v1}')
    # a byte quota counts the versions once (13 + 8 + 9 used)
    requests.post(url + '/vc', headers=dict(h, **{'X-Container-Meta-Quota-Bytes': '35'}))
    assert requests.put(url + '/vc/p', data=b'x' * 9, headers=h).status_code == 413
    assert requests.put(url + '/vc/p', data=b'x' * 5, headers=h).status_code == 201


def test_dlo_segments_in_a_versioned_container(sw):
    url, h = sw
    _enable(url, h)
    for i, data in enumerate((b'11', b'22', b'33')):
        requests.put(url + f'/vc/segs/{i}', data=data, headers=h)
    requests.put(url + '/vc/man', data=b'', headers=dict(h, **{'X-Object-Manifest': 'vc/segs/'}))
    assert requests.get(url + '/vc/man', headers=h).content == b'112233'


def test_versions_after_a_marker_are_listed_as_swift_lists_them(sw):
    """Swift's listing that starts within a name (marker + version_marker)
    does not see that name's current version: none of its versions is the
    latest, but a delete marker (as Swift answers; its bug 2147042)."""
    url, h = sw
    _enable(url, h)
    v1 = requests.put(url + '/vc/b', data=b'one', headers=h).headers['X-Object-Version-Id']
    requests.put(url + '/vc/c', data=b'one', headers=h)
    requests.delete(url + '/vc/c', headers=h)
    rows = _versions(url, h)
    assert [(e['name'], e['is_latest']) for e in rows] == [
        ('b', True), ('c', True), ('c', False)]
    rows = _versions(url, h, marker='b', version_marker='null')
    assert [(e['name'], e['version_id'], e['is_latest']) for e in rows] == [
        ('b', v1, False), ('c', rows[1]['version_id'], True), ('c', rows[2]['version_id'], False)]
    requests.put(url + '/vc/c', data=b'two', headers=h)
    rows = _versions(url, h, marker='c', version_marker='null')
    assert [(e['content_type'] == MARKER, e['is_latest']) for e in rows] == [
        (False, False), (True, True), (False, False)]


def test_delete_a_manifest_version_with_its_segments(sw):
    import json
    url, h = sw
    _enable(url, h)
    requests.put(url + '/segs', headers=h)
    requests.put(url + '/segs/a', data=b'a' * 10, headers=h)
    manifest = json.dumps([{'path': '/segs/a'}])
    vid = requests.put(url + '/vc/slo?multipart-manifest=put', data=manifest, headers=h) \
        .headers['X-Object-Version-Id']
    requests.put(url + '/vc/slo', data=b'plain', headers=h)
    r = requests.delete(url + '/vc/slo', params={'version-id': vid,
                                                 'multipart-manifest': 'delete'},
                        headers=dict(h, Accept='application/json'))
    assert r.status_code == 200 and r.headers['X-Object-Version-Id'] == vid
    body = r.json()
    assert (body['Number Deleted'], body['Errors']) == (2, [])
    assert requests.head(url + '/segs/a', headers=h).status_code == 404
    assert [e['version_id'] for e in _versions(url, h)] != [vid]
    assert len(_versions(url, h)) == 1
    assert requests.get(url + '/vc/slo', headers=h).content == b'plain'
