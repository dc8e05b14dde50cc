"""iaas.dashboard.streams: an upload's body goes on read by read (never
whole in the dashboard), a download is relayed chunk by chunk."""
import io

import pytest
import webob

from iaas import wsgi
from iaas.dashboard import streams


class CountingInput(io.RawIOBase):
    """A request body of ``size`` bytes that remembers the largest read."""

    def __init__(self, size):
        self.left, self.largest = size, 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.largest = max(self.largest, n)
        self.left -= n
        return b'x' * n


def _req(size, length=True):
    req = webob.Request.blank('/up', method='POST')
    req.environ['wsgi.input'] = CountingInput(size)
    if length:
        req.content_length = size
    else:
        req.environ.pop('CONTENT_LENGTH', None)
    return req


def test_body_reader_reads_in_chunks():
    size = 50 * 1024 * 1024
    req = _req(size)
    body = streams.BodyReader(req)
    assert len(body) == size
    total = 0
    while True:
        data = body.read(1 << 30)    # whatever the sender asks, at most CHUNK
        if not data:
            break
        assert len(data) <= streams.CHUNK
        total += len(data)
    assert total == size
    assert req.environ['wsgi.input'].largest <= streams.CHUNK
    assert body.largest_read == streams.CHUNK


def test_body_reader_needs_a_length_and_the_whole_body():
    with pytest.raises(wsgi.Fault) as exc:
        streams.BodyReader(_req(10, length=False))
    assert exc.value.code == 411
    req = _req(10)
    req.content_length = 20        # the client promised more than it sent
    body = streams.BodyReader(req)
    assert body.read() == b'x' * 10
    with pytest.raises(OSError):
        body.read()


def test_streamed_marks_the_handler():
    @streams.streamed
    def handler(req):
        return None
    assert handler.stream_body is True


class FakeAPIResponse:
    def __init__(self, chunks):
        self.chunks, self.closed, self.asked = chunks, False, []
        self.headers = {'Content-Length': str(sum(map(len, chunks)))}

    def iter_content(self, size):
        self.asked.append(size)
        yield from self.chunks

    def close(self):
        self.closed = True


def test_download_relays_chunks_and_closes():
    api = FakeAPIResponse([b'a' * 10, b'b' * 5])
    resp = streams.download(api, 'rapport é;"x".pdf')
    assert resp.content_length == 15
    disp = resp.headers['Content-Disposition']
    assert disp.startswith('attachment; filename="rapport ___x_.pdf"')
    assert "filename*=UTF-8''rapport%20%C3%A9%3B%22x%22.pdf" in disp
    it = resp.app_iter
    assert list(it) == [b'a' * 10, b'b' * 5]
    assert api.asked == [streams.CHUNK]
    it.close()
    assert api.closed
