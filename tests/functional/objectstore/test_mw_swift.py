"""Swift's middlewares as filters: tempurl, quotas, staticweb, bulk, CORS,
/healthcheck, /crossdomain.xml (and what /info advertises of them)."""
import base64
import hashlib
import hmac
import io
import json
import tarfile
import time

import pytest
import requests

from iaas.api.objectstore.auth import Auth
from iaas.api.objectstore.middleware import bulk, tempurl
from tests.functional.objectstore.conftest import USERS, Store


@pytest.fixture
def sw(tmp_path):
    s = Store(tmp_path, servers=1, replicas=1, in_process=True)
    s.proxy.auth = Auth(USERS + ['admin:admin:admin:.reseller_admin'], 'secret',
                        use_identity=False)
    token, url = s.token()
    h = {'X-Auth-Token': token}
    assert requests.put(url + '/c', headers=h).status_code == 201
    assert requests.put(url + '/c/obj', data=b'contents', headers=h).status_code == 201
    yield s, url, h
    s.stop()


def _sig(method, expires, path, key, digest=hashlib.sha256):
    return hmac.new(key.encode(), f'{method}\n{expires}\n{path}'.encode(), digest).hexdigest()


def _set_account_key(s, url, h, key='k1'):
    assert requests.post(url, headers=dict(h, **{
        'X-Account-Meta-Temp-URL-Key': key})).status_code == 204


# --- tempurl -------------------------------------------------------------------------
def test_tempurl_get_head_and_refusals(sw):
    s, url, h = sw
    _set_account_key(s, url, h)
    path = '/v1/AUTH_test/c/obj'
    exp = int(time.time()) + 60
    sig = _sig('GET', exp, path, 'k1')
    r = requests.get(f'{s.url}{path}?temp_url_sig={sig}&temp_url_expires={exp}')
    assert r.status_code == 200 and r.content == b'contents'
    assert r.headers['Content-Disposition'].startswith('attachment; filename="obj"')
    assert 'Expires' in r.headers
    assert requests.head(f'{s.url}{path}?temp_url_sig={sig}&temp_url_expires={exp}'
                         ).status_code == 200
    # another object, a changed signature or expiry, another method: 401
    for bad in (f'{s.url}/v1/AUTH_test/c/other?temp_url_sig={sig}&temp_url_expires={exp}',
                f'{s.url}{path}?temp_url_sig={"0" * 64}&temp_url_expires={exp}',
                f'{s.url}{path}?temp_url_sig={sig}&temp_url_expires={exp + 1}',
                f'{s.url}{path}?temp_url_sig={sig}'):
        r = requests.get(bad)
        assert r.status_code == 401, bad
        assert r.text == tempurl.INVALID
    assert requests.put(f'{s.url}{path}?temp_url_sig={sig}&temp_url_expires={exp}',
                        data=b'x').status_code == 401
    past = int(time.time()) - 1
    psig = _sig('GET', past, path, 'k1')
    assert requests.get(f'{s.url}{path}?temp_url_sig={psig}&temp_url_expires={past}'
                        ).status_code == 401
    # the object is unchanged
    assert requests.get(url + '/c/obj', headers=h).content == b'contents'


def test_tempurl_put_iso_expiry_base64_and_filename(sw):
    s, url, h = sw
    _set_account_key(s, url, h, 'k2')
    path = '/v1/AUTH_test/c/new'
    exp = int(time.time()) + 60
    iso = time.strftime(tempurl.EXPIRES_ISO8601, time.gmtime(exp))
    raw = hmac.new(b'k2', f'PUT\n{exp}\n{path}'.encode(), hashlib.sha512).digest()
    sig = 'sha512:' + base64.urlsafe_b64encode(raw).decode().rstrip('=')
    r = requests.put(s.url + path, params={'temp_url_sig': sig, 'temp_url_expires': iso},
                     data=b'via tempurl')
    assert r.status_code == 201
    assert requests.get(url + '/c/new', headers=h).content == b'via tempurl'
    # a manifest pointer is not allowed through a tempurl
    r = requests.put(s.url + path, params={'temp_url_sig': sig, 'temp_url_expires': iso},
                     data=b'', headers={'X-Object-Manifest': 'c/o'})
    assert r.status_code == 400
    sig = _sig('GET', exp, path, 'k2', hashlib.sha1)
    r = requests.get(s.url + path, params={'temp_url_sig': sig, 'temp_url_expires': exp,
                                           'filename': 'a b.txt', 'inline': ''})
    assert r.headers['Content-Disposition'].startswith('inline; filename="a b.txt"')


def test_tempurl_prefix_and_container_key_scope(sw):
    s, url, h = sw
    requests.put(url + '/c2', headers=h)
    requests.put(url + '/c2/seg1', data=b'one', headers=h)
    requests.post(url + '/c', headers=dict(h, **{'X-Container-Meta-Temp-URL-Key': 'ck'}))
    requests.put(url + '/c/dlo', data=b'', headers=dict(h, **{'X-Object-Manifest': 'c2/seg'}))
    exp = int(time.time()) + 60
    sig = _sig('GET', exp, 'prefix:/v1/AUTH_test/c/ob', 'ck')
    q = {'temp_url_sig': sig, 'temp_url_expires': exp, 'temp_url_prefix': 'ob'}
    assert requests.get(url + '/c/obj', params=q).content == b'contents'
    assert requests.get(url + '/c/dlo', params=q).status_code == 401     # not under prefix
    # a container key reaches no other container, not even through a manifest
    sig = _sig('GET', exp, '/v1/AUTH_test/c/dlo', 'ck')
    r = requests.get(url + '/c/dlo', params={'temp_url_sig': sig, 'temp_url_expires': exp})
    assert r.status_code == 401
    # the key is hidden from a reader who is not the owner
    requests.post(url + '/c', headers=dict(h, **{'X-Container-Read': 'test2:tester2'}))
    tok2, _ = s.token('test2:tester2', 'testing2')
    r = requests.head(url + '/c', headers={'X-Auth-Token': tok2})
    assert r.status_code == 204
    assert 'X-Container-Meta-Temp-Url-Key' not in r.headers


# --- quotas ----------------------------------------------------------------------------
def test_account_quota_reseller_only_and_enforced(sw):
    s, url, h = sw
    for hdr in ('X-Account-Meta-Quota-Bytes', 'X-Account-Quota-Bytes',
                'X-Remove-Account-Meta-Quota-Bytes'):
        assert requests.post(url, headers=dict(h, **{hdr: '0'})).status_code == 403
    admin_tok, _ = s.token('admin:admin', 'admin')
    r = requests.post(url, headers={'X-Auth-Token': admin_tok,
                                    'X-Account-Meta-Quota-Bytes': '10'})
    assert r.status_code == 204
    assert requests.head(url, headers=h).headers['X-Account-Meta-Quota-Bytes'] == '10'
    r = requests.put(url + '/c/big', data=b'x' * 11, headers=h)
    assert r.status_code == 413
    assert requests.get(url + '/c/big', headers=h).status_code == 404
    # strangers get their 401, not the quota's 413
    assert requests.put(url + '/c/big', data=b'x' * 11).status_code == 401
    assert requests.put(url + '/c/big', data=b'x' * 11,
                        headers={'X-Auth-Token': admin_tok}).status_code == 201
    # Swift's non-meta quota headers: kept as sysmeta, shown to the account's users
    r = requests.post(url, headers={'X-Auth-Token': admin_tok, 'X-Account-Quota-Count': '7',
                                    'X-Remove-Account-Meta-Quota-Bytes': 't'})
    assert r.status_code == 204
    r = requests.head(url, headers=h)
    assert r.headers['X-Account-Quota-Count'] == '7'
    assert 'X-Account-Meta-Quota-Bytes' not in r.headers
    assert not [k for k in r.headers if 'sysmeta' in k.lower()]
    assert requests.post(url, headers={'X-Auth-Token': admin_tok, 'X-Account-Quota-Count': 'x'}
                         ).status_code == 400


def test_container_quotas(sw):
    s, url, h = sw
    assert requests.post(url + '/c', headers=dict(h, **{
        'X-Container-Meta-Quota-Bytes': 'ten'})).status_code == 400
    requests.put(url + '/q', headers=dict(h, **{'X-Container-Meta-Quota-Bytes': '10',
                                                'X-Container-Meta-Quota-Count': '1'}))
    assert requests.put(url + '/q/a', data=b'01234567890', headers=h).status_code == 413
    assert requests.put(url + '/q/a', data=b'0123456789', headers=h).status_code == 201
    # counted against fresh totals, not the proxy's cached container info
    assert requests.put(url + '/q/b', data=b'', headers=h).status_code == 413


# --- staticweb -----------------------------------------------------------------------
def test_staticweb_index_listing_and_private(sw):
    s, url, h = sw
    requests.put(url + '/web', headers=dict(h, **{'X-Container-Read': '.r:*,.rlistings'}))
    requests.put(url + '/web/index.html', data=b'<p>home</p>', headers=h)
    requests.put(url + '/web/sub/page', data=b'page', headers=h)
    requests.post(url + '/web', headers=dict(h, **{'X-Container-Meta-Web-Index': 'index.html',
                                                   'X-Container-Meta-Web-Listings': 'true'}))
    r = requests.get(url + '/web', allow_redirects=False)
    assert r.status_code == 301 and r.headers['Location'].endswith('/v1/AUTH_test/web/')
    assert requests.get(url + '/web/').content == b'<p>home</p>'
    r = requests.get(url + '/web/sub/')
    assert r.status_code == 200 and '<a href="./page">page</a>' in r.text
    assert 'Listing of /v1/AUTH_test/web/sub/' in r.text
    # a token holder gets the plain API unless X-Web-Mode
    assert requests.get(url + '/web/', headers=h).headers['Content-Type'].startswith(
        'text/plain')
    assert requests.get(url + '/web/', headers=dict(h, **{'X-Web-Mode': 'true'})
                        ).content == b'<p>home</p>'
    # without a public read ACL nothing is shown
    requests.post(url + '/c', headers=dict(h, **{'X-Container-Meta-Web-Listings': 'true'}))
    assert requests.get(url + '/c/').status_code == 401


# --- bulk ------------------------------------------------------------------------------
def _tar(files, mode='w:gz'):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_bulk_extract_and_delete(sw):
    s, url, h = sw
    body = _tar({'x/a.txt': b'A', 'x/d/b.txt': b'B', 'y/c': b'C'})
    r = requests.put(url + '?extract-archive=tar.gz', data=body,
                     headers=dict(h, Accept='application/json'))
    assert r.status_code == 200
    assert r.json()['Number Files Created'] == 3, r.json()
    assert requests.get(url + '/x/d/b.txt', headers=h).content == b'B'
    r = requests.put(url + '/c/pre?extract-archive=tar', data=_tar({'f': b'F'}, 'w'), headers=h)
    assert 'Number Files Created: 1' in r.text
    assert requests.get(url + '/c/pre/f', headers=h).content == b'F'
    assert 'Invalid Tar File' in requests.put(url + '/c?extract-archive=tar', data=b'junk',
                                              headers=h).text
    r = requests.put(url + '/c?extract-archive=zip', data=b'', headers=h)
    assert r.status_code == 400
    # not allowed for a stranger: nothing is written
    tok2, _ = s.token('test2:tester2', 'testing2')
    r = requests.put(url + '/z?extract-archive=tar', data=_tar({'f': b'F'}, 'w'),
                     headers={'X-Auth-Token': tok2})
    assert '403 Forbidden' in r.text
    assert requests.get(url + '/z/f', headers=h).status_code == 404
    r = requests.delete(url + '?bulk-delete', data='x/a.txt\nx/d/b.txt\nx\nnone/such\n',
                        headers=dict(h, **{'Accept': 'application/xml',
                                           'Content-Type': 'text/plain'}))
    assert '<number_deleted>3</number_deleted>' in r.text
    assert '<number_not_found>1</number_not_found>' in r.text
    assert requests.head(url + '/x', headers=h).status_code == 404


def test_bulk_delete_bounded_before_work(sw, monkeypatch):
    s, url, h = sw
    monkeypatch.setattr(bulk, 'MAX_DELETES', 2)
    r = requests.post(url + '?bulk-delete', data='c/obj\nc/a\nc/b\n',
                      headers=dict(h, Accept='application/json'))
    assert r.json()['Response Status'].startswith('413')
    assert requests.get(url + '/c/obj', headers=h).status_code == 200


# --- CORS, healthcheck, crossdomain, /info ----------------------------------------------
def test_cors_preflight_and_headers(sw):
    s, url, h = sw
    requests.post(url + '/c', headers=dict(h, **{
        'X-Container-Meta-Access-Control-Allow-Origin': 'http://good.example'}))
    r = requests.options(url + '/c/obj', headers={'Origin': 'http://good.example',
                                                  'Access-Control-Request-Method': 'GET'})
    assert r.status_code == 200
    assert r.headers['Access-Control-Allow-Origin'] == 'http://good.example'
    assert requests.options(url + '/c/obj', headers={
        'Origin': 'http://evil.example', 'Access-Control-Request-Method': 'GET'}
    ).status_code == 401
    assert requests.options(url + '/c/obj', headers={'Origin': 'http://good.example'}
                            ).status_code == 401
    r = requests.get(url + '/c/obj', headers=dict(h, Origin='http://good.example'))
    assert r.headers['Access-Control-Allow-Origin'] == 'http://good.example'
    assert 'etag' in r.headers['Access-Control-Expose-Headers'].split(', ')
    r = requests.get(url + '/c/obj', headers=dict(h, Origin='http://evil.example'))
    assert 'Access-Control-Allow-Origin' not in r.headers


def test_healthcheck_crossdomain_and_info(sw):
    s, url, h = sw
    r = requests.get(s.url + '/healthcheck')
    # what Tempest's HealthcheckTest.test_get_healthcheck checks
    for h in ('Content-Length', 'Content-Type', 'X-Trans-Id', 'Date'):
        assert h in r.headers, (h, r.headers)
    assert r.status_code == 200 and r.text == 'OK'
    assert r.headers['Content-Type'].startswith('text/plain')
    r = requests.get(s.url + '/crossdomain.xml')
    assert r.status_code == 200 and '<cross-domain-policy>' in r.text
    info = requests.get(s.url + '/info').json()
    for section in ('tempurl', 'staticweb', 'bulk_upload', 'bulk_delete', 'account_quotas',
                    'container_quotas', 'crossdomain'):
        assert section in info, section
    assert info['tempurl']['allowed_digests'] == ['sha1', 'sha256', 'sha512']
    assert json.dumps(info)


# --- formpost ----------------------------------------------------------------------------
def _form(fields, files, boundary='XyZ'):
    out = []
    for k, v in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n')
    body = ''.join(out).encode()
    for name, data in files:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: text/x-test\r\n\r\n').encode() + data + b'\r\n'
    return body + f'--{boundary}--\r\n'.encode(), f'multipart/form-data; boundary={boundary}'


def test_formpost_upload_limits_and_signature(sw):
    s, url, h = sw
    _set_account_key(s, url, h, 'fk')
    path = '/v1/AUTH_test/c/up/'
    exp = int(time.time()) + 60

    def fields(max_size=10, max_count=2, redirect='', key='fk', expires=exp):
        body = f'{path}\n{redirect}\n{max_size}\n{max_count}\n{expires}'
        sig = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
        return {'redirect': redirect, 'max_file_size': max_size, 'max_file_count': max_count,
                'expires': expires, 'signature': sig}
    body, ctype = _form(fields(), [('a.txt', b'aaa'), ('b.txt', b'bb')])
    r = requests.post(s.url + path, data=body, headers={'Content-Type': ctype})
    assert r.status_code == 201, r.text
    assert requests.get(url + '/c/up/a.txt', headers=h).content == b'aaa'
    assert requests.get(url + '/c/up/b.txt', headers=h).headers['Content-Type'] == 'text/x-test'
    body, ctype = _form(fields(redirect='http://x.example/done'), [('c.txt', b'c')])
    r = requests.post(s.url + path, data=body, headers={'Content-Type': ctype},
                      allow_redirects=False)
    assert r.status_code == 303
    assert r.headers['Location'] == 'http://x.example/done?status=201&message='
    # bad signature, expired, too big, too many: nothing more is written
    for f, files, code in ((fields(key='wrong'), [('d.txt', b'd')], 401),
                           (fields(expires=int(time.time()) - 5), [('d.txt', b'd')], 401),
                           (fields(max_size=3), [('d.txt', b'd' * 4)], 400),
                           (fields(max_count=1), [('e.txt', b'e'), ('d.txt', b'd')], 400)):
        body, ctype = _form(f, files)
        r = requests.post(s.url + path, data=body, headers={'Content-Type': ctype})
        assert r.status_code == code, (f, r.text)
        assert requests.get(url + '/c/up/d.txt', headers=h).status_code == 404
