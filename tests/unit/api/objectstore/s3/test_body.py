"""aws-chunked decoding and chunk-signature checks."""
import hashlib
import hmac
from io import BytesIO

import pytest

from iaas.api.objectstore.s3.body import AwsChunkedReader
from iaas.api.objectstore.s3.sig import ChunkSigner, S3AuthError
from iaas.api.objectstore.s3.xmldoc import S3Error

KEY, DATE, SCOPE, SEED = b'k' * 32, '20261203T000000Z', '20261203/us-east-1/s3/aws4_request', \
    'a' * 64


def _encode(chunks, signed=True, bad=None):
    prev, out = SEED, b''
    for i, c in enumerate(chunks + [b'']):
        to_sign = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', DATE, SCOPE, prev,
                             hashlib.sha256(b'').hexdigest(), hashlib.sha256(c).hexdigest()])
        sig = hmac.new(KEY, to_sign.encode(), hashlib.sha256).hexdigest()
        prev = sig
        ext = f';chunk-signature={"0" * 64 if i == bad else sig}' if signed else ''
        out += f'{len(c):x}{ext}\r\n'.encode() + c + (b'\r\n' if c else b'')
    return out + b'\r\n'


def _read_all(reader):
    out = b''
    while True:
        data = reader.read(7)
        if not data:
            return out
        out += data


def test_signed_chunks_decode_and_chain():
    chunks = [b'hello ', b'chunked ', b'world']
    r = AwsChunkedReader(BytesIO(_encode(chunks)), 19, ChunkSigner(KEY, DATE, SCOPE, SEED))
    assert _read_all(r) == b'hello chunked world'


@pytest.mark.parametrize('bad', [0, 1, 3])
def test_a_bad_signature_fails_before_its_bytes(bad):
    chunks = [b'hello ', b'chunked ', b'world']
    r = AwsChunkedReader(BytesIO(_encode(chunks, bad=bad)), 19,
                         ChunkSigner(KEY, DATE, SCOPE, SEED))
    got = b''
    with pytest.raises(S3AuthError) as e:
        while True:
            data = r.read(100)
            if not data:
                break
            got += data
    assert e.value.code == 'SignatureDoesNotMatch'
    # nothing of the bad chunk (and, for the final one, not the last bytes) came out
    assert len(got) < 19


def test_unsigned_stream_and_framing_errors():
    assert _read_all(AwsChunkedReader(BytesIO(_encode([b'abc'], signed=False)), 3)) == b'abc'
    with pytest.raises(S3Error):      # bigger than declared
        _read_all(AwsChunkedReader(BytesIO(_encode([b'abcdef'], signed=False)), 3))
    with pytest.raises(S3Error):      # a signed stream needs chunk signatures
        _read_all(AwsChunkedReader(BytesIO(_encode([b'abc'], signed=False)), 3,
                                   ChunkSigner(KEY, DATE, SCOPE, SEED)))
    with pytest.raises(S3Error):
        _read_all(AwsChunkedReader(BytesIO(b'zz\r\nabc'), 3))
