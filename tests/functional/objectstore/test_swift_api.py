import hashlib
import json
import os
import time

import requests


def _poll(fn, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


def test_auth_and_basic_flow(store):
    r = requests.get(store.url + '/auth/v1.0', headers={'X-Auth-User': 'test:tester',
                                                        'X-Auth-Key': 'bad'})
    assert r.status_code == 401
    token, url = store.token()
    assert url.endswith('/v1/AUTH_test')
    h = {'X-Auth-Token': token}
    assert requests.get(url, headers={'X-Auth-Token': 'AUTH_tkbogus.x'}).status_code == 401
    assert requests.get(url).status_code == 401
    r = requests.post(url, headers=dict(h, **{'X-Account-Meta-Team': 'blue'}))
    assert r.status_code == 204 and r.headers['Content-Type'].startswith('text/html')
    assert requests.head(url, headers=h).headers['X-Account-Meta-Team'] == 'blue'
    assert requests.put(url + '/c1', headers=h).status_code == 201
    assert requests.put(url + '/c1', headers=h).status_code == 202
    body = os.urandom(3 * 1024 * 1024 + 17)
    r = requests.put(url + '/c1/dir/obj', data=body, headers=dict(
        h, **{'X-Object-Meta-Color': 'blue', 'Content-Type': 'application/x-test'}))
    assert r.status_code == 201, r.text
    assert r.headers['ETag'] == hashlib.md5(body).hexdigest()
    r = requests.get(url + '/c1/dir/obj', headers=h)
    assert r.content == body
    assert r.headers['X-Object-Meta-Color'] == 'blue'
    assert r.headers['Content-Type'] == 'application/x-test'
    r = requests.get(url + '/c1/dir/obj', headers=dict(h, Range='bytes=10-19'))
    assert r.status_code == 206 and r.content == body[10:20]
    r = requests.get(url + '/c1/dir/obj', headers=dict(h, **{'If-None-Match': r.headers['ETag']}))
    assert r.status_code == 304
    r = requests.get(url + '/c1/dir/obj', headers=dict(h, **{'If-Match': '"nope"'}))
    assert r.status_code == 412
    r = requests.get(url + '/c1?format=json', headers=h)
    assert [o['name'] for o in r.json()] == ['dir/obj']
    assert r.json()[0]['bytes'] == len(body)
    r = requests.get(url + '/c1?delimiter=/', headers=h)
    assert r.text == 'dir/\n'
    r = requests.get(url + '/c1?format=xml', headers=h)
    assert '<name>dir/obj</name>' in r.text
    assert requests.post(url + '/c1/dir/obj', headers=dict(
        h, **{'X-Object-Meta-Size': 'L'})).status_code == 202
    r = requests.head(url + '/c1/dir/obj', headers=h)
    assert r.headers['X-Object-Meta-Size'] == 'L' and 'X-Object-Meta-Color' not in r.headers
    assert requests.delete(url + '/c1', headers=h).status_code == 409
    # the account's totals follow
    assert _poll(lambda: requests.head(url, headers=h).headers.get(
        'X-Account-Bytes-Used') == str(len(body)))
    assert requests.delete(url + '/c1/dir/obj', headers=h).status_code == 204
    assert requests.get(url + '/c1/dir/obj', headers=h).status_code == 404
    assert requests.delete(url + '/c1/dir/obj', headers=h).status_code == 404
    assert requests.delete(url + '/c1', headers=h).status_code == 204
    assert requests.get(url + '/c1', headers=h).status_code == 404


def test_bad_input(store):
    token, url = store.token()
    h = {'X-Auth-Token': token}
    requests.put(url + '/c', headers=h)
    r = requests.put(url + '/c/o', data=b'abc', headers=dict(h, ETag='0' * 32))
    assert r.status_code == 422
    assert requests.get(url + '/c/o', headers=h).status_code == 404
    assert requests.put(url + '/' + 'x' * 300, headers=h).status_code == 400
    assert requests.put(url + '/c/' + 'x' * 1100, data=b'', headers=h).status_code == 400
    assert requests.put(url + '/nocontainer/o', data=b'x', headers=h).status_code == 404
    r = requests.put(url + '/c/o', data=b'x', headers=dict(
        h, **{'X-Object-Meta-' + 'k' * 200: 'v'}))
    assert r.status_code == 400
    r = requests.put(url + '/c/o', data=b'x', headers=dict(h, **{'X-Delete-At': '12'}))
    assert r.status_code == 400
    # as Swift: a limit that is not a number is ignored, one too big is 412
    assert requests.get(url + '/c?limit=abc', headers=h).status_code == 204
    assert requests.get(url + '/c?limit=10001', headers=h).status_code == 412
    assert requests.get(url + '/c/%FF%FE', headers=h).status_code == 412
    assert requests.get(url + '/c/a%00b', headers=h).status_code == 412
    small = type(store.proxy)(store.ring, store.cluster, store.auth, max_file_size=10)
    from webob import Request
    req = Request.blank('/v1/AUTH_test/c/big', method='PUT', body=b'x' * 11,
                        headers=dict(h))
    assert req.get_response(small).status_int == 413


def test_acl_and_other_accounts(store):
    token, url = store.token()
    token2, url2 = store.token('test2:tester2', 'testing2')
    h, h2 = {'X-Auth-Token': token}, {'X-Auth-Token': token2}
    requests.put(url + '/pub', headers=dict(h, **{'X-Container-Read': '.r:*'}))
    requests.put(url + '/pub/o', data=b'public', headers=h)
    requests.put(url + '/priv', headers=h)
    requests.put(url + '/priv/o', data=b'secret', headers=h)
    store.proxy._cinfo.clear()
    assert requests.get(url + '/pub/o').content == b'public'
    assert requests.get(url + '/pub').status_code == 401      # no .rlistings
    assert requests.get(url + '/priv/o').status_code == 401
    assert requests.get(url + '/priv/o', headers=h2).status_code == 403
    assert requests.put(url + '/pub/x', data=b'x', headers=h2).status_code == 403
    requests.post(url + '/priv', headers=dict(h, **{'X-Container-Read': 'test2:tester2'}))
    store.proxy._cinfo.clear()
    assert requests.get(url + '/priv/o', headers=h2).content == b'secret'


def test_chunked_upload_copy_and_expiry(store):
    token, url = store.token()
    h = {'X-Auth-Token': token}
    requests.put(url + '/c', headers=h)
    requests.put(url + '/c2', headers=h)

    def gen():
        for i in range(5):
            yield bytes([65 + i]) * 100000
    r = requests.put(url + '/c/chunked', data=gen(), headers=h)
    assert r.status_code == 201
    assert requests.get(url + '/c/chunked', headers=h).content == b''.join(gen())
    r = requests.put(url + '/c2/copy', headers=dict(h, **{'X-Copy-From': '/c/chunked',
                                                          'X-Object-Meta-New': '1'}))
    assert r.status_code == 201
    assert requests.get(url + '/c2/copy', headers=h).content == b''.join(gen())
    r = requests.request('COPY', url + '/c/chunked', headers=dict(h, Destination='c2/copy2'))
    assert r.status_code == 201
    assert requests.head(url + '/c2/copy2', headers=h).headers['Content-Length'] == '500000'
    r = requests.put(url + '/c/exp', data=b'bye', headers=dict(h, **{'X-Delete-After': '1'}))
    assert r.status_code == 201
    assert requests.get(url + '/c/exp', headers=h).status_code == 200
    assert _poll(lambda: requests.get(url + '/c/exp', headers=h).status_code == 404)
    for srv in store.storage:
        srv.updates.expire_due()
    names = [o['name'] for o in requests.get(url + '/c?format=json', headers=h).json()]
    assert names == ['chunked']


def test_large_objects(store):
    token, url = store.token()
    h = {'X-Auth-Token': token}
    requests.put(url + '/c', headers=h)
    requests.put(url + '/segs', headers=h)
    parts = [os.urandom(1000 + i) for i in range(3)]
    etags = []
    for i, p in enumerate(parts):
        r = requests.put(url + f'/segs/big/{i:04d}', data=p, headers=h)
        etags.append(r.headers['ETag'])
    # dynamic
    r = requests.put(url + '/c/dlo', data=b'', headers=dict(
        h, **{'X-Object-Manifest': 'segs/big/'}))
    assert r.status_code == 201
    whole = b''.join(parts)
    r = requests.get(url + '/c/dlo', headers=h)
    assert r.content == whole
    r = requests.get(url + '/c/dlo', headers=dict(h, Range='bytes=990-2010'))
    assert r.status_code == 206 and r.content == whole[990:2011]
    # static
    manifest = [{'path': f'/segs/big/{i:04d}', 'etag': etags[i], 'size_bytes': len(p)}
                for i, p in enumerate(parts)]
    r = requests.put(url + '/c/slo?multipart-manifest=put', data=json.dumps(manifest),
                     headers=h)
    assert r.status_code == 201, r.text
    r = requests.head(url + '/c/slo', headers=h)
    assert r.headers['Content-Length'] == str(len(whole))
    r = requests.get(url + '/c/slo', headers=dict(h, Range='bytes=-5'))
    assert r.content == whole[-5:]
    assert requests.get(url + '/c/slo', headers=h).content == whole
    raw = requests.get(url + '/c/slo?multipart-manifest=get', headers=h).json()
    assert [m['name'] for m in raw] == [m['path'] for m in manifest]
    bad = [dict(manifest[0], etag='0' * 32)]
    r = requests.put(url + '/c/bad?multipart-manifest=put', data=json.dumps(bad), headers=h)
    assert r.status_code == 400
    r = requests.delete(url + '/c/slo?multipart-manifest=delete', headers=h)
    assert r.status_code == 200
    assert requests.get(url + '/segs/big/0000', headers=h).status_code == 404


def test_info(store):
    r = requests.get(store.url + '/info')
    assert r.json()['swift']['max_file_size'] > 0 and 'slo' in r.json()


def test_interrupted_upload_leaves_nothing(store):
    import glob
    import socket
    import urllib.parse
    token, url = store.token()
    h = {'X-Auth-Token': token}
    requests.put(url + '/c', headers=h)
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port))
    s.sendall((f'PUT {u.path}/c/partial HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {token}\r\n'
               'Content-Length: 5000000\r\n\r\n').encode() + b'x' * 100000)
    time.sleep(0.2)
    s.close()

    def clean():
        tmp = [f for root, _ in store.nodes for f in glob.glob(f'{root}/*/tmp/*')]
        return not tmp
    assert _poll(clean)
    assert requests.get(url + '/c/partial', headers=h).status_code == 404
    assert requests.get(url + '/c?format=json', headers=h).json() == []


def test_deleted_container_forgets_its_acls_and_metadata(store):
    token, url = store.token()
    h = {'X-Auth-Token': token}
    assert requests.put(url + '/gone', headers=dict(h, **{
        'X-Container-Read': '.r:*', 'X-Container-Meta-Color': 'red'})).status_code == 201
    assert requests.delete(url + '/gone', headers=h).status_code == 204
    assert requests.put(url + '/gone', headers=h).status_code == 201
    r = requests.head(url + '/gone', headers=h)
    assert r.status_code == 204
    assert 'X-Container-Read' not in r.headers and 'X-Container-Meta-Color' not in r.headers
    # and anonymous readers are no longer let in
    assert requests.get(url + '/gone').status_code in (401, 403)
