"""S3 request signatures (iaas/api/objectstore/s3/sig.py) against requests
signed by botocore (SigV4 header and presigned query, SigV2 header and
query) with fixed credentials and dates, made into the WSGI environ the
HTTP gateway builds; and the aws-chunked chunk signatures against the
example in AWS's documentation (botocore cannot sign aws-chunked bodies).
Each accepted vector has tampered twins that must be refused."""
import calendar
import datetime
import email.utils
import hashlib
import types
import urllib.parse
from unittest import mock

import pytest
import webob
from botocore.auth import (
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
)
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from iaas.api.objectstore.s3 import sig as s3sig
from iaas.common import httpgateway

ACCESS, SECRET = 'AKIDUNITTEST', 'unit/secret+key'
REGION = 'RegionOne'
HOST = 'objects.example.test:8080'
SIGNED_AT = datetime.datetime(2026, 1, 15, 12, 0, 0)
NOW = calendar.timegm(SIGNED_AT.timetuple())
CREDS = Credentials(ACCESS, SECRET)


# -- building signed requests -----------------------------------------------------------------

def _aws_request(method, path, query='', headers=None, body=b''):
    url = f'http://{HOST}{path}' + (f'?{query}' if query else '')
    return AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)


def _sign(signer, request):
    with mock.patch('botocore.auth.get_current_datetime', return_value=SIGNED_AT):
        signer.add_auth(request)
    return request


def v4(method, path, query='', headers=None, body=b'', region=REGION, creds=CREDS,
       unsigned_payload=False):
    req = _aws_request(method, path, query, headers, body)
    if unsigned_payload:
        req.context['client_config'] = Config(s3={'payload_signing_enabled': False})
        req.url = req.url.replace('http://', 'https://', 1)
        req.headers['Content-MD5'] = 'ignored-by-the-signature=='
    return _sign(S3SigV4Auth(creds, 's3', region), req)


def v4_presigned(method, path, query='', headers=None, expires=3600, creds=CREDS):
    req = _aws_request(method, path, query, headers)
    return _sign(S3SigV4QueryAuth(creds, 's3', REGION, expires=expires), req)


class FixedHmacV1Auth(HmacV1Auth):
    def _get_date(self):
        return email.utils.formatdate(NOW, usegmt=True)


class FixedHmacV1QueryAuth(HmacV1QueryAuth):
    def _get_date(self):
        return str(int(NOW + self._expires))


def v2(method, path, query='', headers=None, creds=CREDS, auth_path=None):
    req = _aws_request(method, path, query, headers)
    if auth_path:
        req.auth_path = auth_path
    FixedHmacV1Auth(creds).add_auth(req)
    return req


def v2_presigned(method, path, query='', expires=600, creds=CREDS):
    req = _aws_request(method, path, query)
    FixedHmacV1QueryAuth(creds, expires=expires).add_auth(req)
    return req


def wsgi_request(signed, **change):
    """The webob request of the iaas HTTP gateway for the prepared request
    ``signed`` (``change``: method, target or headers to alter after signing)."""
    prepared = signed.prepare()
    parts = urllib.parse.urlsplit(prepared.url)
    target = parts.path + (f'?{parts.query}' if parts.query else '')
    headers = [(k.lower(), v if isinstance(v, str) else v.decode())
               for k, v in prepared.headers.items()]
    if not any(k == 'host' for k, _ in headers):
        headers.append(('host', parts.netloc))
    for name, value in change.get('headers', {}).items():
        headers = [(k, v) for k, v in headers if k != name.lower()] + [(name.lower(), value)]
    head = types.SimpleNamespace(method=change.get('method', prepared.method),
                                 target=change.get('target', target), protocol='HTTP/1.1',
                                 headers=headers)
    server = types.SimpleNamespace(name='objects.example.test', port=8080)
    conn = types.SimpleNamespace(addr=('127.0.0.1', 40000))
    environ = httpgateway.build_environ(server, conn, head, None, False)
    return webob.Request(environ)


def verify(req, secret=SECRET, region=REGION, now=NOW):
    """The checked SigRequest (S3AuthError when refused)."""
    sig = s3sig.parse(req, now=now)
    assert sig is not None and sig.access_key == ACCESS
    sig.check(secret, region)
    return sig


def refused(req, code, secret=SECRET, region=REGION, now=NOW):
    with pytest.raises(s3sig.S3AuthError) as exc:
        verify(req, secret, region, now)
    assert exc.value.code == code, exc.value.message
    return exc.value


# -- accepted ---------------------------------------------------------------------------------

KEYS = ['plain.txt', 'dir/sub/a b+c.txt', 'caf\u00e9/\u00fcml\u00e4ut', "q?u=e&r;y#h'",
        'tilde~star*paren(1)', 'percent%41/and%2Fslash', 'dots/../and/./', '  spaces  ']


def _path(key, bucket='bucket'):
    return f'/{bucket}/' + urllib.parse.quote(key, safe='/~')


@pytest.mark.parametrize('key', KEYS)
def test_v4_header_get_of_special_keys(key):
    sig = verify(wsgi_request(v4('GET', _path(key))))
    assert (sig.version, sig.extra['presigned']) == (4, False)


@pytest.mark.parametrize('query', [
    'list-type=2&prefix=a%20b&delimiter=%2F', 'acl', 'uploads', 'versionId=3%2Bx',
    'tagging=&x-id=GetObjectTagging', 'prefix=%C3%A9t%C3%A9&max-keys=5&encoding-type=url',
    'z=1&a=2&a=1'])
def test_v4_header_query_parameters(query):
    verify(wsgi_request(v4('GET', '/bucket/obj', query)))


def test_v4_header_put_with_signed_payload_and_metadata():
    body = b'hello world\n' * 10
    signed = v4('PUT', '/bucket/obj', headers={
        'Content-Type': 'text/plain', 'x-amz-meta-color': '  blue   and  green ',
        'x-amz-meta-a_b': 'under_score', 'x-amz-storage-class': 'STANDARD'}, body=body)
    assert signed.headers['X-Amz-Content-SHA256'] == hashlib.sha256(body).hexdigest()
    req = wsgi_request(signed)
    assert 'x-amz-meta-a_b' not in req.headers      # dropped from the environ …
    sig = verify(req)                               # … yet signed and checked
    assert 'x-amz-meta-a_b' in sig.extra['signed_headers']


def test_v4_header_unsigned_payload():
    signed = v4('PUT', '/bucket/obj', body=b'data', unsigned_payload=True)
    assert signed.headers['X-Amz-Content-SHA256'] == 'UNSIGNED-PAYLOAD'
    verify(wsgi_request(signed))


def test_v4_scope_region_us_east_1_is_accepted_anywhere():
    verify(wsgi_request(v4('GET', '/bucket/obj', region='us-east-1')))
    verify(wsgi_request(v4('GET', '/bucket/obj', region='elsewhere')), region='*')


@pytest.mark.parametrize('key', KEYS[:4])
def test_v4_presigned_get_and_put(key):
    sig = verify(wsgi_request(v4_presigned('GET', _path(key))), now=NOW + 3000)
    assert sig.extra['presigned']
    verify(wsgi_request(v4_presigned('PUT', _path(key), headers={
        'Content-Type': 'image/png'})))


def test_v4_presigned_with_operation_parameters():
    verify(wsgi_request(v4_presigned('GET', '/bucket/obj', 'response-content-type=text%2Fx'
                                                           '&versionId=7')))


@pytest.mark.parametrize('key', KEYS)
def test_v2_header(key):
    sig = verify(wsgi_request(v2('GET', _path(key))))
    assert (sig.version, sig.extra['presigned']) == (2, False)


def test_v2_header_put_with_md5_type_metadata_and_subresource():
    verify(wsgi_request(v2('PUT', '/bucket/obj', 'acl', headers={
        'Content-Type': 'text/plain', 'Content-MD5': 'XrY7u+Ae7tCTyyK7j1rNww==',
        'x-amz-meta-Color': 'Blue', 'x-amz-acl': 'private'})))
    verify(wsgi_request(v2('GET', '/bucket/obj', 'versionId=3&uploadId=9&foo=ignored')))


def test_v2_bucket_path_signed_with_a_trailing_slash():
    """botocore signs a bucket-level request as /bucket/ but sends /bucket."""
    verify(wsgi_request(v2('GET', '/bucket', auth_path='/bucket/')))


def test_v2_presigned():
    sig = verify(wsgi_request(v2_presigned('GET', _path('dir/a b+c.txt'))), now=NOW + 500)
    assert sig.extra['presigned'] and sig.extra['expires'] == str(NOW + 600)


# -- refused ----------------------------------------------------------------------------------

SIGNERS = {
    'v4': lambda method, path, query='', headers=None: v4(method, path, query, headers),
    'v4-presigned': lambda method, path, query='', headers=None: v4_presigned(
        method, path, query, headers),
    'v2': lambda method, path, query='', headers=None: v2(method, path, query, headers),
    'v2-presigned': lambda method, path, query='', headers=None: v2_presigned(
        method, path, query),
}


@pytest.mark.parametrize('kind', SIGNERS)
def test_other_secret_is_refused(kind):
    refused(wsgi_request(SIGNERS[kind]('GET', '/bucket/obj')), 'SignatureDoesNotMatch',
            secret=SECRET + 'x')
    other = Credentials(ACCESS, 'someone-elses')
    signer = {'v4': lambda: v4('GET', '/bucket/obj', creds=other),
              'v4-presigned': lambda: v4_presigned('GET', '/bucket/obj', creds=other),
              'v2': lambda: v2('GET', '/bucket/obj', creds=other),
              'v2-presigned': lambda: v2_presigned('GET', '/bucket/obj', creds=other)}[kind]
    refused(wsgi_request(signer()), 'SignatureDoesNotMatch')


@pytest.mark.parametrize('kind', SIGNERS)
@pytest.mark.parametrize('change', [
    {'target': '/bucket/obk'}, {'target': '/bucket/obj/'}, {'target': '/bucket2/obj'},
    {'method': 'DELETE'},
], ids=['key', 'trailing-slash', 'bucket', 'method'])
def test_altered_request_is_refused(kind, change):
    signed = SIGNERS[kind]('GET', '/bucket/obj')
    if 'target' in change:
        query = urllib.parse.urlsplit(signed.prepare().url).query
        if query:
            change = {'target': f"{change['target']}?{query}"}
    refused(wsgi_request(signed, **change), 'SignatureDoesNotMatch')


@pytest.mark.parametrize('kind', ['v4', 'v4-presigned', 'v2'])
def test_altered_signed_header_is_refused(kind):
    signed = SIGNERS[kind]('GET', '/bucket/obj', headers={'x-amz-meta-color': 'blue'})
    verify(wsgi_request(signed))
    refused(wsgi_request(signed, headers={'x-amz-meta-color': 'red'}), 'SignatureDoesNotMatch')


@pytest.mark.parametrize('kind', ['v4', 'v2'])
def test_altered_subresource_is_refused(kind):
    signed = SIGNERS[kind]('GET', '/bucket/obj', 'versionId=1')
    refused(wsgi_request(signed, target='/bucket/obj?versionId=2'), 'SignatureDoesNotMatch')


def test_v4_altered_payload_hash_is_refused():
    signed = v4('PUT', '/bucket/obj', body=b'data')
    refused(wsgi_request(signed, headers={'x-amz-content-sha256': 'UNSIGNED-PAYLOAD'}),
            'SignatureDoesNotMatch')


def test_v4_presigned_altered_query_is_refused():
    signed = v4_presigned('GET', '/bucket/obj', expires=600)
    target = urllib.parse.urlsplit(signed.prepare().url)
    longer = target.query.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000')
    refused(wsgi_request(signed, target=f'{target.path}?{longer}'), 'SignatureDoesNotMatch',
            now=NOW + 1000)
    extra = f'{target.path}?{target.query}&versionId=1'
    refused(wsgi_request(signed, target=extra), 'SignatureDoesNotMatch')


def test_v4_presigned_expiry():
    req = wsgi_request(v4_presigned('GET', '/bucket/obj', expires=600))
    verify(req, now=NOW + 600)
    assert refused(req, 'AccessDenied', now=NOW + 601).message == 'Request has expired'
    assert refused(req, 'AccessDenied', now=NOW - 3600).message == 'Request is not valid yet'
    refused(wsgi_request(v4_presigned('GET', '/bucket/obj', expires=0)), 'AccessDenied')
    err = refused(wsgi_request(v4_presigned('GET', '/bucket/obj', expires=7 * 24 * 3600 + 1)),
                  'AuthorizationQueryParametersError')
    assert err.status == 400


def test_v2_presigned_expiry():
    req = wsgi_request(v2_presigned('GET', '/bucket/obj', expires=600))
    assert refused(req, 'AccessDenied', now=NOW + 601).message == 'Request has expired'


@pytest.mark.parametrize('kind', ['v4', 'v2'])
def test_header_signature_outside_the_skew_is_refused(kind):
    req = wsgi_request(SIGNERS[kind]('GET', '/bucket/obj'))
    verify(req, now=NOW + 15 * 60)
    for now in (NOW + 15 * 60 + 1, NOW - 15 * 60 - 1):
        refused(req, 'RequestTimeTooSkewed', now=now)


def test_v4_scope_of_another_region_is_400():
    err = refused(wsgi_request(v4('GET', '/bucket/obj', region='eu-west-1')),
                  'AuthorizationHeaderMalformed')
    assert err.status == 400


def test_anonymous_request_has_no_signature():
    assert s3sig.parse(webob.Request.blank('/bucket/obj'), now=NOW) is None


# -- aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) --------------------------------------------
# The example of https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html:
# a 66,560-byte object of 'a' in chunks of 65,536 and 1,024 bytes and the final empty one.

DOC_ACCESS, DOC_SECRET = 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
DOC_SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'
DOC_CHUNKS = [
    (b'a' * 65536, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648'),
    (b'a' * 1024, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'),
    (b'', 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'),
]


class StreamingSigV4Auth(S3SigV4Auth):
    def payload(self, request):
        return 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'


def _doc_request():
    """The documentation's PUT, signed by botocore at the example's date."""
    req = AWSRequest(method='PUT', url='http://s3.amazonaws.com/examplebucket/chunkObject.txt',
                     headers={'x-amz-storage-class': 'REDUCED_REDUNDANCY',
                              'Content-Encoding': 'aws-chunked', 'Content-Length': '66824',
                              'x-amz-decoded-content-length': '66560'})
    with mock.patch('botocore.auth.get_current_datetime',
                    return_value=datetime.datetime(2013, 5, 24)):
        StreamingSigV4Auth(Credentials(DOC_ACCESS, DOC_SECRET), 's3', 'us-east-1') \
            .add_auth(req)
    return req


def _checked_doc_request():
    req = wsgi_request(_doc_request())
    sig = s3sig.parse(req, now=calendar.timegm((2013, 5, 24, 0, 0, 0)))
    sig.check(DOC_SECRET, 'us-east-1')
    return sig


def test_botocore_signs_the_documented_seed_signature():
    sig = _checked_doc_request()
    assert sig.signature == DOC_SEED


def test_documented_chunk_signatures_are_accepted():
    signer = _checked_doc_request().chunk_signer()
    for data, signature in DOC_CHUNKS:
        signer.verify_chunk(data, signature)


@pytest.mark.parametrize('tamper', ['data', 'signature', 'order', 'missing'])
def test_tampered_chunks_are_refused(tamper):
    signer = _checked_doc_request().chunk_signer()
    chunks = list(DOC_CHUNKS)
    if tamper == 'data':
        chunks[1] = (b'b' + chunks[1][0][1:], chunks[1][1])
    elif tamper == 'signature':
        chunks[1] = (chunks[1][0], chunks[1][1][:-1] + '0')
    elif tamper == 'order':
        chunks = [chunks[1], chunks[0], chunks[2]]
    else:
        chunks[1] = (chunks[1][0], '')
    with pytest.raises(s3sig.S3AuthError) as exc:
        for data, signature in chunks:
            signer.verify_chunk(data, signature)
    assert exc.value.code == 'SignatureDoesNotMatch'


def test_chunk_signer_needs_a_checked_v4_header_request():
    sig = s3sig.parse(wsgi_request(_doc_request()), now=calendar.timegm((2013, 5, 24, 0, 0, 0)))
    with pytest.raises(s3sig.S3AuthError):
        sig.chunk_signer()          # not checked yet
    presigned = verify(wsgi_request(v4_presigned('PUT', '/bucket/obj')))
    with pytest.raises(s3sig.S3AuthError):
        presigned.chunk_signer()
    with pytest.raises(s3sig.S3AuthError):
        verify(wsgi_request(v2('PUT', '/bucket/obj'))).chunk_signer()
