"""S3 signatures that must not be replayable or forgeable (issue 12,
finding 9): SigV2 needs a valid, current date; presigned URLs expire;
aws-chunked chunk signatures are verified."""
import base64
import datetime
import email.utils
import hashlib
import hmac
import time
import urllib.parse
from unittest import mock

import boto3
import botocore
import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.functional.objectstore.conftest import s3_client

ACCESS, SECRET = 'test:tester', 'testing'


@pytest.fixture
def s3(store):
    client = s3_client(store.url, ACCESS, SECRET)
    client.create_bucket(Bucket='sig')
    client.put_object(Bucket='sig', Key='k', Body=b'kept')
    return client


def _v2_get(store, path, date_headers):
    """A GET signed with SigV2 over exactly the date headers given."""
    amz = ''.join(f'{k.lower()}:{v}\n' for k, v in sorted(date_headers.items())
                  if k.lower().startswith('x-amz-'))
    date = '' if any(k.lower() == 'x-amz-date' for k in date_headers) else \
        date_headers.get('Date', '')
    to_sign = f'GET\n\n\n{date}\n{amz}{path}'
    sig = base64.b64encode(hmac.new(SECRET.encode(), to_sign.encode(),
                                    hashlib.sha1).digest()).decode()
    headers = dict(date_headers, Authorization=f'AWS {ACCESS}:{sig}')
    return requests.get(store.url + path, headers=headers)


def _code(resp):
    return resp.text.split('<Code>', 1)[1].split('</Code>', 1)[0] if '<Code>' in resp.text \
        else ''


def test_sigv2_needs_a_valid_current_date(store, s3):
    good = _v2_get(store, '/sig/k', {'Date': email.utils.formatdate(usegmt=True)})
    assert good.status_code == 200 and good.content == b'kept'
    no_date = _v2_get(store, '/sig/k', {})
    assert no_date.status_code == 403 and _code(no_date) == 'AccessDenied'
    for bad in ('not-a-date', '', 'Mon, 99 Foo 2026 99:99:99 GMT', '99999999T999999Z'):
        r = _v2_get(store, '/sig/k', {'x-amz-date': bad})
        assert r.status_code == 403, bad
        assert _code(r) in ('AccessDenied', 'RequestTimeTooSkewed'), bad
    old = email.utils.formatdate(time.time() - 20 * 60, usegmt=True)
    r = _v2_get(store, '/sig/k', {'Date': old})
    assert r.status_code == 403 and _code(r) == 'RequestTimeTooSkewed'
    future = email.utils.formatdate(time.time() + 20 * 60, usegmt=True)
    assert _code(_v2_get(store, '/sig/k', {'x-amz-date': future})) == 'RequestTimeTooSkewed'


def test_presigned_v2_expires(store, s3):
    v2 = boto3.client('s3', endpoint_url=store.url, region_name='us-east-1',
                      aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                      config=Config(signature_version='s3', s3={'addressing_style': 'path'}))
    ok = v2.generate_presigned_url('get_object', Params={'Bucket': 'sig', 'Key': 'k'},
                                   ExpiresIn=60)
    assert requests.get(ok).content == b'kept'
    past = v2.generate_presigned_url('get_object', Params={'Bucket': 'sig', 'Key': 'k'},
                                     ExpiresIn=-5)
    r = requests.get(past)
    assert r.status_code == 403 and _code(r) == 'AccessDenied'


def _presign_v4(s3, expires, at=None):
    s3 = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1',
                      aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                      config=Config(signature_version='s3v4',
                                    s3={'addressing_style': 'path'}))
    if at is None:
        return s3.generate_presigned_url('get_object', Params={'Bucket': 'sig', 'Key': 'k'},
                                         ExpiresIn=expires)
    with mock.patch('botocore.auth.get_current_datetime', return_value=at):
        return s3.generate_presigned_url('get_object', Params={'Bucket': 'sig', 'Key': 'k'},
                                         ExpiresIn=expires)


def test_presigned_v4_expiry_is_bounded(store, s3):
    assert requests.get(_presign_v4(s3, 60)).content == b'kept'
    assert requests.get(_presign_v4(s3, 604800)).content == b'kept'
    r = requests.get(_presign_v4(s3, 0))      # valid, and expired at once
    assert r.status_code == 403 and _code(r) == 'AccessDenied'
    for expires in (10 ** 12, 604801, -1):
        url = _presign_v4(s3, expires)
        r = requests.get(url)
        assert r.status_code == 400 and _code(r) == 'AuthorizationQueryParametersError', \
            (expires, r.text)
    future = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
    r = requests.get(_presign_v4(s3, 3600, at=future))
    assert r.status_code == 403 and _code(r) == 'AccessDenied'
    just_ahead = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
    assert requests.get(_presign_v4(s3, 60, at=just_ahead)).content == b'kept'
    expired = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    r = requests.get(_presign_v4(s3, 3600, at=expired))
    assert r.status_code == 403 and _code(r) == 'AccessDenied'
    assert 'X-Amz-Expires=3600' in urllib.parse.unquote(_presign_v4(s3, 3600))
    assert 'X-Amz-Algorithm=AWS4-HMAC-SHA256' in _presign_v4(s3, 3600)


class _StreamingAuth(S3SigV4Auth):
    def payload(self, request):
        return 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'


def _signing_key(date):
    key = ('AWS4' + SECRET).encode()
    for part in (date, 'us-east-1', 's3', 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _chunked_put(store, path, chunks, tamper=None):
    """PUT ``chunks`` as a signed aws-chunked body (AWS's sigv4-streaming);
    ``tamper(index, data, signature)`` may change a chunk or its signature."""
    data = b''.join(chunks)
    encoded_len = sum(len(f'{len(c):x};chunk-signature='.encode()) + 64 + 4 + len(c)
                      for c in chunks + [b''])
    headers = {'Content-Encoding': 'aws-chunked',
               'x-amz-decoded-content-length': str(len(data)),
               'Content-Length': str(encoded_len)}
    req = AWSRequest(method='PUT', url=store.url + path, headers=headers)
    _StreamingAuth(Credentials(ACCESS, SECRET), 's3', 'us-east-1').add_auth(req)
    amz_date = req.headers['X-Amz-Date']
    scope = f'{amz_date[:8]}/us-east-1/s3/aws4_request'
    previous = req.headers['Authorization'].rsplit('Signature=', 1)[1]
    key = _signing_key(amz_date[:8])
    body = b''
    for i, chunk in enumerate(chunks + [b'']):
        to_sign = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', amz_date, scope, previous,
                             hashlib.sha256(b'').hexdigest(),
                             hashlib.sha256(chunk).hexdigest()])
        sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        previous = sig
        if tamper is not None:
            chunk, sig = tamper(i, chunk, sig)
        body += f'{len(chunk):x};chunk-signature={sig}\r\n'.encode() + chunk + b'\r\n'
    sent = dict(req.headers.items())
    sent['Content-Length'] = str(len(body))
    return requests.put(store.url + path, data=body, headers=sent)


def test_aws_chunked_signatures_are_verified(store, s3):
    chunks = [b'a' * 65536, b'b' * 65536, b'tail']
    r = _chunked_put(store, '/sig/good', chunks)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket='sig', Key='good')['Body'].read() == b''.join(chunks)

    def bad_sig(index):
        def tamper(i, chunk, sig):
            return chunk, ('0' * 64 if i == index else sig)
        return tamper

    def bad_data(i, chunk, sig):
        return (b'B' * len(chunk) if i == 1 else chunk), sig
    for n, tamper in enumerate([bad_sig(0), bad_sig(1), bad_sig(3), bad_data]):
        key = f'bad{n}'
        r = _chunked_put(store, f'/sig/{key}', chunks, tamper)
        assert r.status_code == 403 and _code(r) == 'SignatureDoesNotMatch', (n, r.text)
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.head_object(Bucket='sig', Key=key)
        assert e.value.response['Error']['Code'] == '404'
    # over an existing object: the old content stays
    r = _chunked_put(store, '/sig/good', [b'x' * 10], bad_sig(1))
    assert r.status_code == 403
    assert s3.get_object(Bucket='sig', Key='good')['Body'].read() == b''.join(chunks)
    names = [o['Key'] for o in s3.list_objects_v2(Bucket='sig')['Contents']]
    assert names == ['good', 'k']
