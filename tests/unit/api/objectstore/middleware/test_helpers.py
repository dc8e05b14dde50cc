"""Pure helpers of the Swift-style filters: signatures, expiry, reports, multipart."""
import base64
import hashlib
import hmac
import io
import time

import pytest

from iaas.api.objectstore.middleware import bulk, formpost, tempurl


def test_extract_digest_hex_and_base64():
    raw = hmac.new(b'k', b'm', hashlib.sha256).digest()
    assert tempurl.extract_digest(raw.hex()) == ('sha256', raw.hex())
    for enc in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
                base64.b64encode(raw).decode().rstrip('=')):
        assert tempurl.extract_digest('sha256:' + enc) == ('sha256', raw.hex())
    assert tempurl.extract_digest('a' * 40)[0] == 'sha1'
    assert tempurl.extract_digest('a' * 128)[0] == 'sha512'
    for bad in ('a' * 41, 'zz' * 20, 'sha256:!!!'):
        with pytest.raises(ValueError):
            tempurl.extract_digest(bad)


def test_normalize_expires():
    future = int(time.time()) + 100
    assert tempurl.normalize_expires(str(future)) == future
    iso = time.strftime(tempurl.EXPIRES_ISO8601, time.gmtime(future))
    assert tempurl.normalize_expires(iso) == future
    assert tempurl.normalize_expires(str(int(time.time()) - 1)) == 0
    assert tempurl.normalize_expires('soon') == 0
    assert tempurl.normalize_expires(None) is None


def test_hmac_body_and_ip_range():
    plain = hmac.new(b'k', b'GET\n1\n/v1/a/c/o', hashlib.sha1).hexdigest()
    assert tempurl.get_hmac('GET', '/v1/a/c/o', 1, 'k', 'sha1') == plain
    ranged = hmac.new(b'k', b'ip=1.2.3.4\nGET\n1\n/v1/a/c/o', hashlib.sha1).hexdigest()
    assert tempurl.get_hmac('GET', '/v1/a/c/o', 1, 'k', 'sha1', '1.2.3.4') == ranged


def test_bulk_report_formats():
    data = {'Number Deleted': 1, 'Response Status': '200 OK'}
    errs = [['c/o<', '409 Conflict']]
    assert b'Number Deleted: 1\n' in bulk.report('text/plain', data, errs, 'delete')
    xml = bulk.report('application/xml', data, errs, 'delete').decode()
    assert '<number_deleted>1</number_deleted>' in xml and '<name>c/o&lt;</name>' in xml
    assert b'"Errors": [["c/o<", "409 Conflict"]]' in bulk.report('application/json', data,
                                                                 errs, 'delete')


def test_multipart_stream_parts():
    body = (b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n'
            b'--B\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'
            + b'z' * 200000 + b'\r\n--B--\r\n')
    parts = []
    for headers, part in formpost._Multipart(io.BytesIO(body), b'B'):
        data = b''
        while chunk := part.read(1000):
            data += chunk
        parts.append((headers['content-disposition'], data))
    assert parts[0][1] == b'value' and parts[1][1] == b'z' * 200000
    with pytest.raises(formpost.FormInvalid):
        list(formpost._Multipart(io.BytesIO(b'garbage'), b'B'))
