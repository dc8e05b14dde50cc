"""Swift API details that clients (and Swift's own functional tests) rely
on: path decoding, headers, conditional requests, listings, ranges."""
import pytest
import requests


@pytest.fixture
def swift(store):
    tok, url = store.token()
    h = {'X-Auth-Token': tok}
    assert requests.put(url + '/c', headers=h).status_code == 201
    return store, url, h


def test_escaped_slash_is_a_slash(swift):
    _store, url, h = swift
    # PUT x%2Fy stores x/y (never an object literally named "x%2Fy")
    r = requests.put(url + '/c/x%2Fy', data=b'one', headers=h)
    assert r.status_code == 201
    import re  # Swift's transaction id: tx + 21 hex + '-' + 10 hex
    assert re.fullmatch(r'tx[0-9a-f]{21}-[0-9a-f]{10}', r.headers['X-Trans-Id'])
    assert r.headers['X-Openstack-Request-Id'] == r.headers['X-Trans-Id']
    assert requests.get(url + '/c?format=json', headers=h).json()[0]['name'] == 'x/y'
    assert requests.get(url + '/c/x/y', headers=h).content == b'one'
    # GET a%2Fb reads object a/b
    assert requests.put(url + '/c/a/b', data=b'two', headers=h).status_code == 201
    assert requests.get(url + '/c/a%2Fb', headers=h).content == b'two'
    assert requests.get(url + '/c/a%2fb', headers=h).content == b'two'
    # an escaped percent stays a percent: a%252Fb is the object "a%2Fb"
    assert requests.put(url + '/c/a%252Fb', data=b'three', headers=h).status_code == 201
    names = [o['name'] for o in requests.get(url + '/c?format=json', headers=h).json()]
    assert names == ['a%2Fb', 'a/b', 'x/y']
    assert requests.delete(url + '/c/x%2Fy', headers=h).status_code == 204
    assert requests.get(url + '/c/x/y', headers=h).status_code == 404


def test_etag_conditionals_and_ranges(swift):
    import hashlib
    _store, url, h = swift
    data = bytes(range(256)) * 40
    md5 = hashlib.md5(data).hexdigest()
    r = requests.put(url + '/c/o', data=data, headers=dict(h, **{'Content-Type': 'x/y'}))
    assert r.headers['ETag'] == md5
    r = requests.head(url + '/c/o', headers=h)
    assert r.headers['ETag'] == md5            # unquoted on the Swift API
    r = requests.get(url + '/c/o', headers=dict(h, **{'If-None-Match': md5}))
    assert r.status_code == 304 and r.headers['ETag'] == md5
    r = requests.get(url + '/c/o', headers=dict(h, **{'If-Match': '"bogus", "x"'}))
    assert r.status_code == 412 and r.headers['ETag'] == md5
    r = requests.get(url + '/c/o', headers=dict(h, **{'If-Match': f'"a", "{md5}"'}))
    assert r.status_code == 200 and r.content == data
    # several ranges: multipart/byteranges; unsatisfiable ones are dropped
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=0-9,20-29,99999-'))
    assert r.status_code == 206
    assert r.headers['Content-Type'].startswith('multipart/byteranges')
    from email.parser import BytesFeedParser
    p = BytesFeedParser()
    p.feed(b'Content-Type: ' + r.headers['Content-Type'].encode() + b'\r\n\r\n' + r.content)
    parts = p.close().get_payload()
    assert [x['Content-Range'] for x in parts] == ['bytes 0-9/10240', 'bytes 20-29/10240']
    assert parts[1].get_payload(decode=True) == data[20:30]
    assert parts[0]['Content-Type'] == 'x/y'
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=99999-,88888-'))
    assert r.status_code == 416 and r.headers['Content-Range'] == 'bytes */10240'
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=5-2'))   # ignored
    assert r.status_code == 200
    # If-None-Match: * on PUT: 412 when the object exists
    r = requests.put(url + '/c/o', data=b'x', headers=dict(h, **{'If-None-Match': '*'}))
    assert r.status_code == 412
    r = requests.put(url + '/c/new', data=b'x', headers=dict(h, **{'If-None-Match': '*'}))
    assert r.status_code == 201


def test_containers_accounts_and_errors(swift):
    import time
    _store, url, h = swift
    r = requests.head(url + '/c', headers=h)
    assert r.headers['Content-Type'] == 'text/plain; charset=utf-8'
    assert r.headers['X-Storage-Policy'] == 'Policy-0'
    lm = r.headers['Last-Modified']
    time.sleep(1.1)
    requests.post(url + '/c', headers=dict(h, **{'X-Container-Meta-A': 'b'}))
    assert requests.head(url + '/c', headers=h).headers['Last-Modified'] != lm
    r = requests.put(url + '/d', headers=dict(h, **{'X-Storage-Policy': 'nope'}))
    assert r.status_code == 400
    r = requests.put(url + '/e', headers=dict(h, **{'X-Storage-Policy': ''}))
    assert r.status_code == 201
    requests.delete(url + '/e', headers=h)
    r = requests.head(url, headers=h)
    assert r.headers['X-Account-Storage-Policy-Policy-0-Container-Count'] == '1'
    assert r.headers['Content-Type'] == 'text/plain; charset=utf-8'
    assert requests.get(url + '?format=json', headers=h).json()[0]['storage_policy'] == \
        'Policy-0'
    # errors: Swift's plain message; empty account/container segment is 404
    r = requests.put(url + '/c/o', data=b'x', headers=dict(h, **{'X-Delete-At': 'x'}))
    assert r.status_code == 400 and r.text == 'Non-integer X-Delete-At'
    base = url.split('/v1/')[0]
    assert requests.get(base + '/v1//c/o', headers=h).status_code == 404
    assert requests.get(url + '//o', headers=h).status_code == 404
    # multi-character delimiters and path listings
    for name in ('a-_-b', 'a-_-c', 'd/', 'd/e', 'd/f/', 'd/f/g'):
        requests.put(url + '/c/' + name, data=b'', headers=h)
    r = requests.get(url + '/c?delimiter=-_-', headers=h)
    assert r.text.split() == ['a-_-', 'd/', 'd/e', 'd/f/', 'd/f/g']
    r = requests.get(url + '/c?path=d', headers=h)
    assert r.text.split() == ['d/e', 'd/f/']


def test_info_post_listing_and_filter_hooks(swift):
    store, url, h = swift
    base = url.split('/v1/')[0]
    info = requests.get(base + '/info').json()
    assert info['swift']['policies'][0]['name'] == 'Policy-0'
    assert info['s3api']['allow_multipart_uploads'] is True
    store.proxy.info_sections['example'] = {'x': 1}       # a filter's registration
    assert requests.get(base + '/info').json()['example'] == {'x': 1}
    del store.proxy.info_sections['example']
    # a POST that changes Content-Type changes the listing row too
    requests.put(url + '/c/o', data=b'abc', headers=dict(h, **{'Content-Type': 'a/b'}))
    requests.post(url + '/c/o', headers=dict(h, **{'Content-Type': 'c/d'}))
    row = requests.get(url + '/c?format=json', headers=h).json()[0]
    assert (row['content_type'], row['bytes']) == ('c/d', 3)
    # sysmeta: a client's header is dropped; a filter's (environ flag) is kept
    from webob import Request
    req = Request.blank('/v1/AUTH_test/c', method='POST',
                        headers=dict(h, **{'X-Container-Sysmeta-Q': '1'}))
    assert req.get_response(store.proxy).status_int == 204
    assert 'X-Container-Sysmeta-Q' not in store.proxy.container_info(
        'AUTH_test', 'c', fresh=True)['headers']
    req = Request.blank('/v1/AUTH_test/c', method='POST',
                        headers=dict(h, **{'X-Container-Sysmeta-Q': '1'}))
    req.environ['iaas.objectstore.sysmeta_ok'] = True
    assert req.get_response(store.proxy).status_int == 204
    assert store.proxy.container_info('AUTH_test', 'c', fresh=True)['headers'][
        'X-Container-Sysmeta-Q'] == '1'


def test_scoped_identity_reaches_only_its_container():
    from iaas.api.objectstore.auth import Auth, Identity
    auth = Auth([], 'secret', use_identity=False)
    ident = Identity(user='.wsgi.tempurl', account='AUTH_a', scope=('AUTH_a', 'c'))
    assert auth.is_owner(ident, 'AUTH_a', 'GET', 'c', 'o')
    assert not auth.is_owner(ident, 'AUTH_a', 'GET', 'other', 'o')
    assert not auth.is_owner(ident, 'AUTH_a', 'GET')
    assert not auth.is_owner(ident, 'AUTH_b', 'GET', 'c', 'o')


def test_slo_ranges_data_segments_and_part_numbers(swift):
    import base64
    import hashlib
    import json
    _store, url, h = swift
    segs = {}
    for name, byte in (('a', b'a'), ('b', b'b'), ('c', b'c')):
        body = byte * 100
        requests.put(url + '/c/seg_' + name, data=body, headers=h)
        segs[name] = hashlib.md5(body).hexdigest()
    sub = [{'path': '/c/seg_a'}, {'path': '/c/seg_b'}]
    assert requests.put(url + '/c/sub?multipart-manifest=put', data=json.dumps(sub),
                        headers=h).status_code == 201
    sub_etag = hashlib.md5((segs['a'] + segs['b']).encode()).hexdigest()
    manifest = [
        {'path': '/c/sub', 'range': '-110'},          # 'a' * 10 + 'b' * 100
        {'data': base64.b64encode(b'XY').decode()},
        {'path': '/c/seg_c', 'range': '10-19'},
    ]
    r = requests.put(url + '/c/m?multipart-manifest=put', data=json.dumps(manifest),
                     headers=h)
    assert r.status_code == 201, r.text
    want = b'a' * 10 + b'b' * 100 + b'XY' + b'c' * 10
    etag = hashlib.md5((f'{sub_etag}:90-199;' + hashlib.md5(b'XY').hexdigest() +
                        f'{segs["c"]}:10-19;').encode()).hexdigest()
    r = requests.get(url + '/c/m', headers=h)
    assert r.content == want and r.headers['ETag'] == f'"{etag}"'
    r = requests.get(url + '/c/m', headers=dict(h, Range='bytes=105-114'))
    assert r.status_code == 206 and r.content == want[105:115]
    r = requests.get(url + '/c/m?part-number=2', headers=h)
    assert r.status_code == 206 and r.content == b'XY'
    assert r.headers['Content-Range'] == f'bytes 110-111/{len(want)}'
    assert r.headers['X-Parts-Count'] == '3'
    assert requests.get(url + '/c/m?part-number=0', headers=h).status_code == 400
    r = requests.get(url + '/c/m?part-number=4', headers=h)
    assert r.status_code == 416 and r.headers['Content-Range'] == f'bytes */{len(want)}'
    # a manifest ETag that does not match → 422; an unsatisfiable range → 400
    r = requests.put(url + '/c/m2?multipart-manifest=put', data=json.dumps(manifest),
                     headers=dict(h, ETag='0' * 32))
    assert r.status_code == 422
    bad = [{'path': '/c/seg_c', 'range': '500-600'}]
    r = requests.put(url + '/c/m3?multipart-manifest=put', data=json.dumps(bad), headers=h)
    assert r.status_code == 400


def test_copy_range_account_header_delete_at_and_dlo_post(swift):
    _store, url, h = swift
    data = bytes(range(256)) * 4
    requests.put(url + '/c/src', data=data, headers=dict(h, **{'X-Object-Meta-K': 'v'}))
    r = requests.put(url + '/c/dst', headers=dict(h, **{'X-Copy-From': 'c/src',
                                                        'Range': 'bytes=100-200'}))
    assert r.status_code == 201
    r = requests.get(url + '/c/dst', headers=h)
    assert r.content == data[100:201] and r.headers['X-Object-Meta-K'] == 'v'
    r = requests.put(url + '/c/dst2', headers=dict(h, **{
        'X-Copy-From': 'c/src', 'X-Copy-From-Account': 'AUTH_test'}))
    assert r.status_code == 201
    r = requests.delete(url + '/c/dst2', headers=dict(h, **{'X-If-Delete-At': 'bad'}))
    assert r.status_code == 400
    r = requests.put(url + '/c/far', data=b'', headers=dict(h, **{'X-Delete-At': '1' * 20}))
    assert r.status_code == 201
    assert requests.head(url + '/c/far', headers=h).headers['X-Delete-At'] == '9999999999'
    r = requests.delete(url + '/c/far', headers=h)
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    # a POST without X-Object-Manifest turns a DLO back into a plain object
    requests.put(url + '/c/seg1', data=b'abc', headers=h)
    requests.put(url + '/c/dlo', data=b'own', headers=dict(h, **{
        'X-Object-Manifest': 'c/seg'}))
    assert requests.get(url + '/c/dlo', headers=h).content == b'abc'
    requests.post(url + '/c/dlo', headers=dict(h, **{'X-Object-Meta-A': '1'}))
    assert requests.get(url + '/c/dlo', headers=h).content == b'own'
    # aggregate metadata over the limit is refused
    big = {f'X-Container-Meta-K{i:02d}': 'v' * 250 for i in range(15)}
    assert requests.post(url + '/c', headers=dict(h, **big)).status_code == 204
    more = {f'X-Container-Meta-L{i:02d}': 'v' * 250 for i in range(15)}
    assert requests.post(url + '/c', headers=dict(h, **more)).status_code == 400


def test_slo_raw_manifest_typos_and_copy_of_a_part(swift):
    import hashlib
    import json
    _store, url, h = swift
    for n in 'ab':
        requests.put(url + '/c/s' + n, data=n.encode() * 10, headers=h)
    man = [{'path': '/c/sa'}, {'path': '/c/sb', 'range': '0-4'}]
    assert requests.put(url + '/c/m?multipart-manifest=put', data=json.dumps(man),
                        headers=h).status_code == 201
    r = requests.get(url + '/c/m?multipart-manifest=get&format=raw', headers=h)
    raw = r.json()
    assert r.headers['ETag'] == hashlib.md5(r.content).hexdigest()
    assert raw[1] == {'path': '/c/sb', 'etag': hashlib.md5(b'b' * 10).hexdigest(),
                      'size_bytes': 10, 'range': '0-4'}
    bad = [{'path': '/c/sa', 'teag': 'x'}]
    assert requests.put(url + '/c/m2?multipart-manifest=put', data=json.dumps(bad),
                        headers=h).status_code == 400
    r = requests.put(url + '/c/part2?part-number=2', headers=dict(h, **{
        'X-Copy-From': 'c/m'}))
    assert r.status_code == 201
    assert requests.get(url + '/c/part2', headers=h).content == b'b' * 5


def test_account_acls(swift):
    import json
    store, url, h = swift
    reader, _ = store.token('test:reader', 'rpass')      # test's user without .admin
    rh = {'X-Auth-Token': reader}
    requests.put(url + '/c/o', data=b'x', headers=h)
    assert requests.get(url + '/c/o', headers=rh).status_code == 403
    r = requests.post(url, headers=dict(h, **{'X-Account-Access-Control': 'invalid'}))
    assert r.status_code == 400
    acl = json.dumps({'read-only': ['test:reader']}, separators=(',', ':'))
    assert requests.post(url, headers=dict(
        h, **{'X-Account-Access-Control': acl})).status_code == 204
    assert requests.head(url, headers=h).headers['X-Account-Access-Control'] == acl
    store.proxy._aacl.clear()
    assert requests.get(url + '/c/o', headers=rh).content == b'x'
    assert 'X-Account-Access-Control' not in requests.head(url, headers=rh).headers
    assert requests.put(url + '/c/o2', data=b'y', headers=rh).status_code == 403
    acl = json.dumps({'read-write': ['test:reader']})
    requests.post(url, headers=dict(h, **{'X-Account-Access-Control': acl}))
    store.proxy._aacl.clear()
    assert requests.put(url + '/c/o2', data=b'y', headers=rh).status_code == 201
    assert requests.post(url, headers=dict(rh, **{'X-Account-Meta-A': 'b'})).status_code == 403
    r = requests.post(url, headers=dict(h, **{'X-Account-Access-Control': 'x' * 9000}))
    assert r.status_code == 400


def test_zero_suffix_range_and_copy_source_checked_first(swift):
    store, url, h = swift
    assert requests.put(url + '/c/o', data=b'0123456789', headers=h).status_code == 201
    # "bytes=-0" is unsatisfiable (RFC 7233): 416, as Swift answers
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=-0'))
    assert r.status_code == 416 and r.headers['Content-Range'] == 'bytes */10'
    assert r.headers['ETag'] == '781e5e245d69b566979b86e28d23f2c7'
    assert r.headers['Accept-Ranges'] == 'bytes'
    r = requests.get(url + '/c/o', headers=dict(h, Range='bytes=-0,0-1'))
    assert r.status_code == 206 and r.content == b'01'
    # COPY reads the source first: a missing source is 404 even when the
    # destination (another account, no such container) is not writable
    tok2, url2 = store.token('test2:tester2', 'testing2')
    acct2 = url2.rsplit('/', 1)[1]
    for src in ('/nosuch/o', '/c/nosuch'):
        r = requests.request('COPY', url + src, headers=dict(
            h, Destination='nodest/x', **{'Destination-Account': acct2}))
        assert r.status_code == 404
    r = requests.request('COPY', url + '/c/o', headers=dict(
        h, Destination='nodest/x', **{'Destination-Account': acct2}))
    assert r.status_code == 403


def test_long_names_and_copy_answer_metadata(swift):
    _store, url, h = swift
    r = requests.put(url + '/' + 'X' * 2048, headers=h)
    assert r.status_code == 400
    assert r.text == 'Container name length of 2048 longer than 256'
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'     # Swift's
    r = requests.put(url + '/c/' + 'X' * 1100, data=b'x', headers=h)
    assert r.status_code == 400 and r.text == 'Object name length of 1100 longer than 1024'
    assert r.headers['Content-Type'].startswith('text/plain')
    assert requests.put(url + '/c/o', data=b'x', headers=dict(
        h, **{'X-Object-Meta-Old': '1'})).status_code == 201
    r = requests.put(url + '/c/p', data=b'', headers=dict(
        h, **{'X-Copy-From': 'c/o', 'X-Object-Meta-New': '2'}))
    assert r.status_code == 201
    assert r.headers['X-Object-Meta-Old'] == '1' and r.headers['X-Object-Meta-New'] == '2'
    r = requests.request('COPY', url + '/c/o', headers=dict(h, Destination='c/q'))
    assert r.status_code == 201 and r.headers['X-Object-Meta-Old'] == '1'


def test_slo_put_heartbeat_reports_in_the_body(swift):
    import json
    _store, url, h = swift
    assert requests.put(url + '/c/s1', data=b'a' * 1024 * 1024, headers=h).status_code == 201
    m = [{'path': 'c/s1'}]
    q = '/c/man?multipart-manifest=put&heartbeat=on'
    r = requests.put(url + q, data=json.dumps(m), headers=h)
    assert r.status_code == 202 and r.headers['Transfer-Encoding'] == 'chunked'
    first, cr, rest = r.content.split(b'\n', 2)
    assert not first.strip() and cr == b'\r'
    lines = rest.decode().split('\n')
    assert 'Response Status: 201 Created' in lines and lines[-2:] == ['Errors:', '']
    assert any(x.startswith('Etag: ') for x in lines)
    r = requests.put(url + q, data=json.dumps(m + [{'path': 'non-existent/segment'}]),
                     headers=dict(h, Accept='application/json'))
    report = json.loads(r.content.split(b'\n', 2)[2])
    assert report == {'Response Status': '400 Bad Request',
                      'Response Body': 'Bad Request\nThe server could not comply with the '
                      'request since it is either malformed or otherwise incorrect.',
                      'Errors': [['non-existent/segment', '404 Not Found']]}
