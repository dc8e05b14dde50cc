"""Uploads and downloads of any size, streamed through the dashboard.

A form is bounded by the router (64 KiB); an upload is not a form. A route
whose handler is marked :func:`streamed` takes the raw request body
(``application/octet-stream``, sent by ``dashboard.js`` with XMLHttpRequest,
the other fields in the query string): the router then skips its size limit
and reads the CSRF token from the ``X-CSRF-Token`` header (the Origin check
stays), and the handler hands :class:`BodyReader` to the API call, which
sends it on read by read: at most :data:`CHUNK` bytes of it are in this
process at a time. A download is the API's streamed response relayed chunk
by chunk (:func:`download`).
"""
import json
from urllib.parse import quote

import webob

from iaas import wsgi

CHUNK = 64 * 1024


def streamed(handler):
    """Mark a POST handler as taking a raw, unbounded body (see above)."""
    handler.stream_body = True
    return handler


class BodyReader:
    """The request body as a file of known length for ``requests``
    (``http.client`` sends it ``read()`` by ``read()``): never read whole."""

    def __init__(self, req):
        length = req.content_length
        if length is None:
            raise wsgi.Fault('An upload needs a Content-Length.', code=411)
        self.length = self.remaining = length
        self.src = req.body_file_raw
        self.largest_read = 0

    def __len__(self):
        return self.length

    def read(self, n=-1):
        if self.remaining <= 0:
            return b''
        n = CHUNK if n is None or n < 0 else min(n, CHUNK)
        data = self.src.read(min(n, self.remaining))
        if not data:
            raise OSError('the upload ended before its Content-Length')
        self.remaining -= len(data)
        self.largest_read = max(self.largest_read, len(data))
        return data


def done(req, location, status=201, **extra):
    """What the upload script gets: JSON with the page to go to next."""
    return webob.Response(json.dumps({'location': location, **extra}), status=status,
                          content_type='application/json', charset='utf-8')


def content_disposition(filename):
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = ''.join(ch if 31 < ord(ch) < 127 and ch not in '"\\;%' else '_'
                       for ch in filename) or 'download'
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename, safe="")}'


class _Relay:
    """An API response's body, chunk by chunk; the connection freed at close."""

    def __init__(self, resp):
        self.resp = resp

    def __iter__(self):
        yield from self.resp.iter_content(CHUNK)

    def close(self):
        self.resp.close()


def download(api_resp, filename):
    """A streamed API response as a file download of ours."""
    resp = webob.Response(status=200, content_type='application/octet-stream',
                          app_iter=_Relay(api_resp))
    length = api_resp.headers.get('Content-Length')
    if length and length.isdigit():
        resp.content_length = int(length)
    resp.headers['Content-Disposition'] = content_disposition(filename)
    resp.headers['Cache-Control'] = 'no-store'
    return resp
