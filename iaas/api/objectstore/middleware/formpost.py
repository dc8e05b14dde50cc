"""Browser form uploads (Swift's formpost): ``POST /v1/<a>/<c>[/<prefix>]``
with ``multipart/form-data`` fields ``redirect``, ``max_file_size``,
``max_file_count``, ``expires``, ``signature`` (HMAC with a tempurl key of
the account or container over ``<path>\\n<redirect>\\n<max_file_size>\\n
<max_file_count>\\n<expires>``; optional ``x_delete_at``/``x_delete_after``)
and then the files, each stored as ``<prefix><filename>``.

Who may call: anyone holding an unexpired signature made with one of the
keys; each file is then written as the account (account key) or within that
container (container key), at most max_file_count files of at most
max_file_size bytes each (the body is cut off beyond it). Signatures are
compared in constant time; a bad one is 401 before any file is written.
"""
import hmac
import time
import urllib.parse

import webob

from iaas.api.objectstore.auth import Identity
from iaas.api.objectstore.middleware import common, tempurl
from iaas.objectstore.utils import header_params

MAX_VALUE_LENGTH = 4096
MAX_HEADER_BYTES = 8192
CHUNK = 65536


class FormInvalid(Exception):
    pass


class FormUnauthorized(Exception):
    pass


def swift_info(proxy):
    return {'formpost': {'allowed_digests': sorted(tempurl.DIGESTS),
                         'deprecated_digests': ['sha1']}}


class _Multipart:
    """Streams the parts of a multipart body: iterate for (headers, part)
    where part.read(n) returns that part's bytes."""

    def __init__(self, f, boundary):
        self.f, self.delim, self.buf, self.done = f, b'--' + boundary, b'', False

    def _fill(self, need):
        while len(self.buf) < need:
            chunk = self.f.read(CHUNK)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def __iter__(self):
        self._fill(len(self.delim) + 2)
        if not self.buf.startswith(self.delim):
            raise FormInvalid('invalid starting boundary')
        self.buf = self.buf[len(self.delim):]
        while True:
            self._fill(2)
            if self.buf.startswith(b'--') or not self.buf:
                return
            if not self.buf.startswith(b'\r\n'):
                raise FormInvalid('invalid boundary')
            self.buf = self.buf[2:]
            while b'\r\n\r\n' not in self.buf:
                if len(self.buf) > MAX_HEADER_BYTES or not self._fill(len(self.buf) + 1):
                    raise FormInvalid('invalid part headers')
            head, self.buf = self.buf.split(b'\r\n\r\n', 1)
            if len(head) > MAX_HEADER_BYTES:
                raise FormInvalid('invalid part headers')
            headers = {}
            for line in head.decode('utf-8', 'replace').split('\r\n'):
                k, _, v = line.partition(':')
                headers[k.strip().lower()] = v.strip()
            part = _Part(self)
            yield headers, part
            while part.read(CHUNK):
                pass
            self.buf = self.buf[len(self.delim) + 2:]


class _Part:
    def __init__(self, mp):
        self.mp, self.finished = mp, False

    def read(self, n=CHUNK):
        if self.finished:
            return b''
        mp, end = self.mp, b'\r\n' + self.mp.delim
        mp._fill(n + len(end))
        i = mp.buf.find(end)
        if i == -1:
            if len(mp.buf) < len(end):
                raise FormInvalid('truncated body')
            take = min(n, len(mp.buf) - len(end))
        else:
            take = min(n, i)
            if take == i:
                self.finished = True
        data, mp.buf = mp.buf[:take], mp.buf[take:]
        return data


class _Capped:
    def __init__(self, part, limit):
        self.part, self.left, self.exceeded = part, limit, False

    def read(self, n=CHUNK):
        data = self.part.read(n if n and n > 0 else CHUNK)
        self.left -= len(data)
        if self.left < 0:
            self.exceeded = True
            raise FormInvalid('max_file_size exceeded')
        return data


def _disposition(value):
    kind, attrs = header_params(value)
    return kind.lower(), {k: v.strip('"') for k, v in attrs.items()}


def make(proxy, app):
    def check(req, attrs, account, container):
        keys = tempurl.keys_for(proxy, account, container)
        if not keys:
            raise FormUnauthorized('invalid signature')
        try:
            if int(attrs.get('expires') or 0) < time.time():
                raise FormUnauthorized('form expired')
        except ValueError:
            raise FormInvalid('expired not an integer') from None
        body = '%s\n%s\n%s\n%s\n%s' % (req.path_info, attrs.get('redirect') or '',
                                       attrs.get('max_file_size') or '0',
                                       attrs.get('max_file_count') or '0',
                                       attrs.get('expires') or '0')
        try:
            algo, sig = tempurl.extract_digest(attrs.get('signature', ''))
        except ValueError:
            raise FormUnauthorized('invalid signature') from None
        if algo not in tempurl.DIGESTS:
            raise FormUnauthorized('invalid signature')
        scope, found = None, False
        for key, key_scope in keys:
            good = hmac.new(key.encode(), body.encode(), tempurl.DIGESTS[algo]).hexdigest()
            if hmac.compare_digest(good.encode(), sig.encode()) and not found:
                scope, found = key_scope, True
        if not found:
            raise FormUnauthorized('invalid signature')
        return scope

    def upload(req, attrs, headers, part, account, container, scope):
        try:
            max_size = int(attrs.get('max_file_size') or 0)
        except ValueError:
            raise FormInvalid('max_file_size not an integer') from None
        path = req.path_info
        if not path.endswith('/') and path.count('/') < 4:
            path += '/'
        path += attrs['filename'] or 'filename'
        sub = common.make_request(req, 'PUT', path)
        sub.environ[common.IDENTITY] = Identity(user='.wsgi.formpost', account=account,
                                                scope=(account, scope))
        capped = _Capped(part, max_size)
        sub.body_file = capped
        sub.headers['Transfer-Encoding'] = 'chunked'
        for field, hdr, what in (('x_delete_at', 'X-Delete-At', 'Unix timestamp required.'),
                                 ('x_delete_after', 'X-Delete-After',
                                  'Number of seconds required.')):
            if field in attrs:
                try:
                    sub.headers[hdr] = str(int(attrs[field]))
                except ValueError:
                    raise FormInvalid(f'{field} not an integer: {what}') from None
        ctype = attrs.get('content-type') or headers.get('content-type')
        if ctype is not None or 'content-type' in attrs:
            sub.headers['Content-Type'] = ctype or 'application/octet-stream'
        enc = attrs.get('content-encoding') or headers.get('content-encoding')
        if enc:
            sub.headers['Content-Encoding'] = enc
        resp = common.call(proxy, app, sub)
        if capped.exceeded:
            raise FormInvalid('max_file_size exceeded')
        return resp

    def translate(req, boundary, account, container):
        attrs, status, message, last, count = {}, None, '', None, 0
        for headers, part in _Multipart(req.body_file, boundary.encode()):
            disp, dattrs = _disposition(headers.get('content-disposition', ''))
            if disp == 'form-data' and dattrs.get('filename'):
                count += 1
                try:
                    if count > int(attrs.get('max_file_count') or 0):
                        status, message = 400, 'max file count exceeded'
                        break
                except ValueError:
                    raise FormInvalid('max_file_count not an integer') from None
                scope = check(req, attrs, account, container)
                fattrs = dict(attrs, filename=dattrs['filename'])
                last = upload(req, fattrs, headers, part, account, container, scope)
                status = last.status_int
                if status >= 300:
                    break
            else:
                data = part.read(MAX_VALUE_LENGTH)
                while part.read(CHUNK):
                    pass
                if 'name' in dattrs:
                    attrs[dattrs['name'].lower()] = data.decode('utf-8', 'replace').rstrip(
                        '\r\n-')
        if status is None:
            status, message = 400, 'no files to process'
        line = webob.Response(status=status).status
        redirect = attrs.get('redirect')
        if not redirect:
            body = line + ('\r\nFormPost: ' + message.title() if message else '')
            out = body.encode()
            if status >= 300 and last is not None and last.body:
                out = last.body
            return webob.Response(status=status, body=out, content_type='text/plain',
                                  charset=None)
        redirect += '&' if '?' in redirect else '?'
        redirect += 'status=%s&message=%s' % (status, urllib.parse.quote(message))
        body = ('<html><body><p><a href="%s">Click to continue...</a></p></body></html>'
                % redirect)
        return webob.Response(status=303, location=redirect, body=body.encode(),
                              content_type='text/html', charset='UTF-8')

    def handler(req):
        if common.is_internal(req) or req.method != 'POST':
            return app(req)
        ctype, cattrs = _disposition(req.headers.get('Content-Type', ''))
        if ctype != 'multipart/form-data' or 'boundary' not in cattrs:
            return app(req)
        parts = common.swift_path(req)
        if parts is None or not parts[1]:
            return app(req)
        account, container, _obj = parts
        try:
            return translate(req, cattrs['boundary'], account, container)
        except FormInvalid as e:
            return common.text_response(400, f'FormPost: {e}')
        except FormUnauthorized as e:
            return common.text_response(401, f'FormPost: {str(e).title()}')
    return handler
