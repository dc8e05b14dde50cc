"""A storage node's side of the checksum footer (iaas.objectstore.footer):
the proxy's MD5 becomes the ETag only when the CRC-32 of what arrived
matches; anything else stores nothing."""
import hashlib
import io
import os
import zlib

import pytest
import webob

from iaas.objectstore import footer
from iaas.objectstore.utils import normalize_timestamp
from tests.unit.objectstore.storage.test_server import _req, _server

DATA = os.urandom(3 * 1024 * 1024 + 5)     # more than one read of the server


def _put(app, body, **headers):
    return _req(app, 'PUT', '/obj/d1/3/a/c/o', body, **dict({
        'X-Timestamp': normalize_timestamp(), footer.HEADER: footer.KIND,
        'ETag': footer.UNKNOWING}, **headers))


def _footer(data, md5=None, crc=None):
    sums = footer.Checksums()
    sums.update(data)
    raw = sums.footer()
    return (md5.encode() if md5 else raw[:32]) + (b'%08x' % crc if crc is not None
                                                 else raw[32:])


def _stored(app, tmp_path):
    r = _req(app, 'GET', '/obj/d1/3/a/c/o')
    left = os.listdir(tmp_path / 'd1' / 'tmp')
    return r, left


def test_footer_upload_stores_the_data_with_the_proxys_md5(tmp_path):
    app = _server(tmp_path)
    for data in (DATA, b'', b'small'):
        r = _put(app, data + _footer(data))
        assert r.status_int == 201, r.text
        assert r.headers['ETag'] == hashlib.md5(data).hexdigest()
        r, left = _stored(app, tmp_path)
        assert r.body == data and r.etag == hashlib.md5(data).hexdigest()
        assert r.content_length == len(data) and left == []


@pytest.mark.parametrize('body, status', [
    (DATA[:-1] + b'\0' + _footer(DATA), 422),              # a byte changed on the way
    (DATA + _footer(DATA, crc=zlib.crc32(DATA) ^ 1), 422),
    (DATA + _footer(DATA)[:-1] + b'g', 400),               # not hex
    (DATA + _footer(DATA, md5='A' * 32), 400),
])
def test_a_footer_that_does_not_match_stores_nothing(tmp_path, body, status):
    app = _server(tmp_path)
    assert _put(app, body).status_int == status
    r, left = _stored(app, tmp_path)
    assert r.status_int == 404 and left == []


def test_a_body_cut_inside_the_footer_stores_nothing(tmp_path):
    app = _server(tmp_path)
    body = DATA + _footer(DATA)
    req = webob.Request.blank('/obj/d1/3/a/c/o', method='PUT', headers={
        'X-Timestamp': normalize_timestamp(), footer.HEADER: footer.KIND,
        'ETag': footer.UNKNOWING})
    req.body_file = io.BytesIO(body[:-10])      # the proxy went away
    req.content_length = len(body)
    assert req.get_response(app).status_int == 499
    r, left = _stored(app, tmp_path)
    assert r.status_int == 404 and left == []


def test_the_clients_etag_is_checked_against_the_footer(tmp_path):
    app = _server(tmp_path)
    assert _put(app, DATA + _footer(DATA), ETag='0' * 32).status_int == 422
    assert _put(app, DATA + _footer(DATA),
                ETag=hashlib.md5(DATA).hexdigest()).status_int == 201


def test_bad_footer_framing_is_400(tmp_path):
    app = _server(tmp_path)
    assert _put(app, b'x' * 10).status_int == 400           # shorter than a footer
    assert _put(app, DATA + _footer(DATA), **{footer.HEADER: 'sha256'}).status_int == 400


def test_a_node_that_does_not_know_footers_refuses_them(tmp_path):
    """What a storage node without footer support sees (the header is not
    for it): the footer's ETag never matches the body, so nothing is
    stored rather than the footer as part of the object."""
    app = _server(tmp_path)
    r = _req(app, 'PUT', '/obj/d1/3/a/c/o', DATA + _footer(DATA), **{
        'X-Timestamp': normalize_timestamp(), 'ETag': footer.UNKNOWING})
    assert r.status_int == 422
    r, left = _stored(app, tmp_path)
    assert r.status_int == 404 and left == []
