"""SLOs as Swift shows them: listing rows (manifest MD5 as ``hash``, the
SLO ETag as ``slo_etag``, the total size), copies of the manifest, symlinks
as segments, Referer ACLs on segment containers."""
import hashlib
import json

import pytest
import requests

from iaas.api.objectstore import auth, listing
from tests.functional.objectstore.conftest import Store

SEG = {n: n.encode() * 10 for n in 'ab'}
SLO_ETAG = hashlib.md5(''.join(hashlib.md5(SEG[n]).hexdigest() for n in 'ab').encode()
                       ).hexdigest()
REFERER_ACL = '.r:*.example.com,.rlistings'


@pytest.fixture
def sw(tmp_path):
    s = Store(tmp_path, servers=1, replicas=1, in_process=True)
    token, url = s.token()
    other, _ = s.token('test2:tester2', 'testing2')
    h = {'X-Auth-Token': token}
    for c in ('c', 'm'):
        requests.put(f'{url}/{c}', headers=h)
    for n, body in SEG.items():
        requests.put(f'{url}/c/{n}', data=body, headers=h)
        requests.put(f'{url}/c/l{n}', data=b'', headers=dict(h, **{'X-Symlink-Target': f'c/{n}'}))
    yield url, h, {'X-Auth-Token': other}
    s.stop()


def _put_slo(url, h, paths):
    return requests.put(url + '?multipart-manifest=put', headers=h,
                        data=json.dumps([{'path': p} for p in paths]))


def _row(url, h, container, name):
    rows = requests.get(f'{url}/{container}?format=json', headers=h).json()
    return next(r for r in rows if r['name'] == name)


def test_listing_row_of_a_manifest_and_its_copy(sw):
    url, h, _ = sw
    assert _put_slo(url + '/m/m', h, ['/c/a', '/c/b']).status_code == 201
    manifest_md5 = requests.head(url + '/m/m?multipart-manifest=get', headers=h).headers['ETag']
    row = _row(url, h, 'm', 'm')
    assert (row['hash'], row['bytes'], row['slo_etag']) == (manifest_md5, 20, f'"{SLO_ETAG}"')
    r = requests.request('COPY', url + '/m/m?multipart-manifest=get',
                         headers=dict(h, Destination='m/copy'))
    assert r.status_code == 201
    copy = _row(url, h, 'm', 'copy')
    assert (copy['hash'], copy['bytes'], copy['slo_etag']) == (manifest_md5, 20, f'"{SLO_ETAG}"')
    assert requests.head(url + '/m/copy', headers=h).headers['ETag'] == f'"{SLO_ETAG}"'
    # a POST keeps the row's size and both ETags
    requests.post(url + '/m/m', headers=dict(h, **{'Content-Type': 'image/jpeg'}))
    row = _row(url, h, 'm', 'm')
    assert (row['hash'], row['bytes'], row['slo_etag'], row['content_type']) == (
        manifest_md5, 20, f'"{SLO_ETAG}"', 'image/jpeg')


def test_hash_parameters():
    entry = listing.with_slo_etag({'hash': listing.listing_etag('m', 'slo', 's3-2')})
    assert entry == {'hash': 'm; s3_etag=s3-2', 'slo_etag': '"slo"'}
    assert listing.s3_etag(entry) == 's3-2'
    assert listing.s3_etag({'hash': 'plain'}) == 'plain'


def test_static_link_to_a_slo_lists_its_slo_etag(sw):
    url, h, _ = sw
    _put_slo(url + '/m/m', h, ['/c/a', '/c/b'])
    manifest_md5 = requests.head(url + '/m/m?multipart-manifest=get', headers=h).headers['ETag']
    r = requests.put(url + '/m/link', headers=dict(h, **{
        'X-Symlink-Target': 'm/m', 'X-Symlink-Target-Etag': manifest_md5}))
    assert r.status_code == 201
    row = _row(url, h, 'm', 'link')
    assert (row['slo_etag'], row['symlink_bytes'], row['symlink_etag']) == (
        f'"{SLO_ETAG}"', 20, manifest_md5)
    assert 'slo_etag' not in requests.head(url + '/m/link?symlink=get',
                                           headers=h).headers['Content-Type']


def test_symlinks_as_segments_read_as_their_targets(sw):
    url, h, _ = sw
    assert _put_slo(url + '/m/m', h, ['/c/la', '/c/lb']).status_code == 201
    r = requests.get(url + '/m/m', headers=h)
    assert (r.status_code, r.content, r.headers['ETag']) == (
        200, SEG['a'] + SEG['b'], f'"{SLO_ETAG}"')
    r = requests.get(url + '/m/m', headers=dict(h, Range='bytes=5-14'))
    assert (r.status_code, r.content) == (206, b'a' * 5 + b'b' * 5)
    assert requests.request('COPY', url + '/m/m', headers=dict(
        h, Destination='m/flat')).status_code == 201
    assert requests.get(url + '/m/flat', headers=h).content == SEG['a'] + SEG['b']
    assert _row(url, h, 'm', 'm')['bytes'] == 20


def test_symlink_segment_to_unreadable_target_is_refused(sw):
    url, h, other = sw
    # the other user may write 'w' and read the link, not what it names
    requests.put(url + '/w', headers=dict(h, **{'X-Container-Read': 'test2:tester2',
                                                'X-Container-Write': 'test2:tester2'}))
    requests.put(url + '/w/link', data=b'', headers=dict(other, **{'X-Symlink-Target': 'c/a'}))
    r = _put_slo(url + '/w/m', other, ['/w/link'])
    assert r.status_code == 400
    assert _put_slo(url + '/w/m', h, ['/w/link']).status_code == 201
    r = requests.get(url + '/w/m', headers=other)
    assert r.status_code == 409 and SEG['a'] not in r.content


def test_referer_acl_on_manifest_and_segment_containers(sw):
    url, h, other = sw
    _put_slo(url + '/m/m', h, ['/c/a', '/c/b'])
    requests.put(url + '/m/dlo', data=b'', headers=dict(h, **{'X-Object-Manifest': 'c/'}))
    ref = dict(other, Referer='http://blah.example.com/page')
    assert requests.get(url + '/m/m', headers=ref).status_code == 403
    requests.post(url + '/m', headers=dict(h, **{'X-Container-Read': REFERER_ACL}))
    assert requests.get(url + '/m/m', headers=ref).status_code == 409      # SLO: a segment
    assert requests.get(url + '/m/dlo', headers=ref).status_code == 403    # DLO: the listing
    requests.post(url + '/c', headers=dict(h, **{'X-Container-Read': REFERER_ACL}))
    assert requests.get(url + '/m/m', headers=ref).content == SEG['a'] + SEG['b']
    assert requests.get(url + '/m/dlo', headers=ref).content.startswith(SEG['a'] + SEG['b'])
    bad = dict(other, Referer='http://example.org/')
    assert requests.get(url + '/m/m', headers=bad).status_code == 403
    assert requests.get(url + '/m/m', headers=other).status_code == 403


@pytest.mark.parametrize('referer,acl,allowed', [
    ('http://a.example.com/x', {'.r:*'}, True),
    (None, {'.r:*'}, True),
    ('http://a.example.com/x', {'.r:*.example.com'}, True),
    ('http://a.example.com/x', {'.r:.example.com'}, True),
    ('http://example.com/x', {'.r:example.com'}, True),
    ('http://evil-example.com/x', {'.r:.example.com'}, False),
    ('http://a.example.com/x', {'.r:*', '.r:-a.example.com'}, False),
    (None, {'.r:*.example.com'}, False),
    ('not a url', {'.r:*.example.com'}, False),
    ('http://a.example.com/x', {'acct:user'}, False),
])
def test_referrer_allowed(referer, acl, allowed):
    assert auth.referrer_allowed(referer, sorted(acl)) is allowed


def test_manifest_copy_to_another_account_checks_segments_there(sw):
    url, h, other = sw
    acct2 = url.rsplit('/', 1)[0] + '/AUTH_test2'
    _put_slo(url + '/m/m', h, ['/c/a', '/c/b'])
    requests.put(acct2 + '/d', headers=dict(other, **{'X-Container-Write': 'test:tester'}))

    def copy():
        return requests.request('COPY', url + '/m/m?multipart-manifest=get', headers=dict(
            h, Destination='d/m', **{'Destination-Account': 'AUTH_test2'}))
    r = copy()                                    # no such container there: 403 each
    assert r.status_code == 400 and r.text.count('403 Forbidden') == 2
    requests.put(acct2 + '/c', headers=dict(other, **{'X-Container-Read': 'test:tester'}))
    r = copy()
    assert r.status_code == 400 and r.text.count('404 Not Found') == 2
    for n, body in SEG.items():
        requests.put(f'{acct2}/c/{n}', data=body, headers=other)
    assert copy().status_code == 201
    assert requests.get(acct2 + '/d/m', headers=other).content == SEG['a'] + SEG['b']
    row = _row(acct2, other, 'd', 'm')
    assert (row['bytes'], row['slo_etag']) == (20, f'"{SLO_ETAG}"')


def test_manifest_put_errors_as_swift_lists_them(sw):
    url, h, _ = sw
    r = requests.put(url + '/m/m?multipart-manifest=put', headers=h, data=json.dumps([
        {'path': '/c/a', 'etag': 'nope'}, {'path': '/c/missing'}]))
    assert r.status_code == 400
    assert r.text == 'Errors:\nc/a, Etag Mismatch\nc/missing, 404 Not Found\n'


def test_link_to_an_unreadable_target_says_where_it_points(sw):
    url, h, other = sw
    acct2 = url.rsplit('/', 1)[0] + '/AUTH_test2'
    requests.put(acct2 + '/links', headers=other)
    r = requests.put(acct2 + '/links/l', data=b'', headers=dict(other, **{
        'X-Symlink-Target': 'c/a', 'X-Symlink-Target-Account': 'AUTH_test'}))
    assert r.status_code == 201
    r = requests.get(acct2 + '/links/l', headers=other)
    assert r.status_code == 403 and r.headers['Content-Location'] == '/v1/AUTH_test/c/a'
    requests.post(url + '/c', headers=dict(h, **{'X-Container-Read': 'test2:tester2'}))
    assert requests.get(acct2 + '/links/l', headers=other).content == SEG['a']


def test_post_without_content_type_keeps_the_posted_one(sw):
    url, h, _ = sw
    _put_slo(url + '/m/m', h, ['/c/a'])
    requests.post(url + '/m/m', headers=dict(h, **{'Content-Type': 'image/jpeg'}))
    requests.post(url + '/m/m', headers=dict(h, **{'X-Object-Meta-Test': 'x'}))
    r = requests.head(url + '/m/m', headers=h)
    assert (r.headers['Content-Type'], r.headers['X-Object-Meta-Test']) == ('image/jpeg', 'x')
    assert _row(url, h, 'm', 'm')['content_type'] == 'image/jpeg'


def test_manifests_through_links_nest(sw):
    url, h, _ = sw
    # manifest -> link -> link -> manifest -> link -> link -> object
    requests.put(url + '/c/l2a', data=b'', headers=dict(h, **{'X-Symlink-Target': 'c/la'}))
    assert _put_slo(url + '/m/inner', h, ['/c/l2a']).status_code == 201
    requests.put(url + '/c/li', data=b'', headers=dict(h, **{'X-Symlink-Target': 'm/inner'}))
    requests.put(url + '/c/l2i', data=b'', headers=dict(h, **{'X-Symlink-Target': 'c/li'}))
    assert _put_slo(url + '/m/outer', h, ['/c/l2i', '/c/lb']).status_code == 201
    r = requests.get(url + '/m/outer', headers=h)
    assert (r.status_code, r.content) == (200, SEG['a'] + SEG['b'])


def test_versioning_archives_a_manifest_as_it_is(sw):
    """The versioning filters' own copies keep the manifest (no new check of
    its segments: one deleted since does not stop the overwrite)."""
    url, h, _ = sw
    requests.put(url + '/old', headers=h)
    requests.put(url + '/v', headers=dict(h, **{'X-Versions-Location': 'old'}))
    assert _put_slo(url + '/v/m', h, ['/c/a', '/c/b']).status_code == 201
    requests.delete(url + '/c/b', headers=h)
    assert requests.put(url + '/v/m', data=b'new', headers=h).status_code == 201
    rows = requests.get(url + '/old?format=json', headers=h).json()
    assert [(r['bytes'], r['slo_etag']) for r in rows] == [(20, f'"{SLO_ETAG}"')]
