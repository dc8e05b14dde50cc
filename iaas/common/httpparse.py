"""HTTP/1.1 request framing for iaas.common.httpserver: the request head,
the body's length or chunked coding, the WSGI path — strict, as RFC 9112
asks of a server that may sit behind a proxy (no request smuggling).

Everything here is pure: bytes in, a parsed head or an :class:`HTTPError`
out, so the server answers a clear 4xx/5xx and closes the connection.
"""
import re
import urllib.parse

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# A field name: any visible ASCII but ':' (RFC 9110's token, plus the
# separators Python's and eventlet's servers let through: S3 metadata names
# may hold '(' or '=', Swift's s3api stores 'x-amz-meta-a_b' as '...-A=5FB');
# whitespace (before the colon: RFC 9112 §5.1) and controls are refused
FIELD_NAME = re.compile(rb'[!-9;-~]+\Z')
VERSION = re.compile(rb'HTTP/([0-9])\.([0-9])\Z')
DIGITS = re.compile(r'[0-9]{1,19}\Z')
HEX = re.compile(rb'[0-9A-Fa-f]{1,16}\Z')
BAD_VALUE = re.compile(rb'[\x00-\x08\x0a-\x1f\x7f]')
BAD_TARGET = re.compile(rb'[\x00-\x20\x7f]')
QUOTED_SLASH = re.compile(rb'(?i)%2F')

CHUNKED = 'chunked'

REASONS = {100: 'Continue', 400: 'Bad Request', 408: 'Request Timeout',
           413: 'Content Too Large', 414: 'URI Too Long', 417: 'Expectation Failed',
           429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
           500: 'Internal Server Error', 501: 'Not Implemented',
           503: 'Service Unavailable', 505: 'HTTP Version Not Supported'}


class HTTPError(Exception):
    """A request the server refuses before the application sees it."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status, message, extra_headers=()):
    """A complete plain-text response that closes the connection."""
    body = (message + '\n').encode('latin-1', 'replace')
    lines = [f'HTTP/1.1 {status} {REASONS.get(status, "Error")}',
             'Content-Type: text/plain; charset=UTF-8', f'Content-Length: {len(body)}',
             'Connection: close', *extra_headers]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


class RequestHead:
    """A parsed request line and header block."""

    __slots__ = ('method', 'target', 'version', 'headers', 'length', 'chunked',
                 'expect_continue', 'keep_alive')

    def __init__(self, method, target, version, headers):
        self.method = method            # str
        self.target = target            # str (latin-1), as sent
        self.version = version          # (1, 0) or (1, 1)
        self.headers = headers          # [(lower-case name, value)], str
        self.length = 0                 # body bytes when not chunked
        self.chunked = False
        self.expect_continue = False
        self.keep_alive = False

    def get(self, name, default=None):
        values = [v for n, v in self.headers if n == name]
        return ', '.join(values) if values else default

    def get_all(self, name):
        return [v for n, v in self.headers if n == name]

    @property
    def protocol(self):
        return f'HTTP/{self.version[0]}.{self.version[1]}'


BARE_LF = re.compile(rb'(?<!\r)\n')


def head_too_large(buf, max_line, max_head, start=0):
    """For a head still incomplete in ``buf``: the HTTPError it already
    deserves (line or head too long, bare LF line ends), else None.
    ``start``: how much of ``buf`` an earlier call already checked (so a
    head that arrives byte by byte costs linear, not quadratic, time)."""
    if start <= max_line < len(buf) and buf.find(b'\r\n', 0, max_line + 2) < 0:
        return HTTPError(414, f'Request line longer than {max_line} bytes')
    if len(buf) > max_head:
        return HTTPError(431, f'Request header block larger than {max_head} bytes')
    if BARE_LF.search(buf, max(0, start - 1)):
        return HTTPError(400, 'Header lines must end with CRLF')
    return None


def parse_head(data, max_line=16384, max_headers=256):
    """Parse a request head (``data`` without the final CRLFCRLF)."""
    lines = data.split(b'\r\n')
    request_line = lines[0]
    if len(request_line) > max_line:
        raise HTTPError(414, f'Request line longer than {max_line} bytes')
    parts = request_line.split(b' ')
    if len(parts) != 3:
        raise HTTPError(400, 'Malformed request line')
    method, target, proto = parts
    if not TOKEN.match(method):
        raise HTTPError(400, 'Malformed request method')
    if not target or BAD_TARGET.search(target):
        raise HTTPError(400, 'Malformed request target')
    m = VERSION.match(proto)
    if not m:
        raise HTTPError(400, 'Malformed HTTP version')
    version = (int(m.group(1)), int(m.group(2)))
    if version[0] != 1:
        raise HTTPError(505, 'Only HTTP/1.0 and HTTP/1.1 are supported')
    if len(lines) - 1 > max_headers:
        raise HTTPError(431, f'More than {max_headers} header fields')
    headers = []
    for line in lines[1:]:
        if line[:1] in (b' ', b'\t'):
            raise HTTPError(400, 'Folded header lines are not allowed')
        name, sep, value = line.partition(b':')
        if not sep:
            raise HTTPError(400, 'Header line without a colon')
        if not FIELD_NAME.match(name):
            raise HTTPError(400, 'Malformed header field name')
        value = value.strip(b' \t')
        if BAD_VALUE.search(value):
            raise HTTPError(400, 'Control characters in a header field value')
        headers.append((name.decode('ascii').lower(), value.decode('latin-1')))
    head = RequestHead(method.decode('ascii'), target.decode('latin-1'),
                       (version[0], min(version[1], 1)), headers)
    _framing(head)
    return head


def _framing(head):
    """Body length, chunked coding, Expect and keep-alive, or HTTPError."""
    te = head.get_all('transfer-encoding')
    cl = head.get_all('content-length')
    if te:
        if cl:
            raise HTTPError(400, 'Content-Length together with Transfer-Encoding')
        if head.version < (1, 1):
            raise HTTPError(400, 'Transfer-Encoding in an HTTP/1.0 request')
        codings = [c.strip().lower() for v in te for c in v.split(',')]
        if codings[-1:] != [CHUNKED] or codings.count(CHUNKED) != 1:
            if CHUNKED in codings:
                raise HTTPError(400, 'chunked must be the last transfer coding, once')
            raise HTTPError(501, f'Transfer coding not supported: {", ".join(codings)}')
        if codings != [CHUNKED]:
            raise HTTPError(501, f'Transfer coding not supported: {", ".join(codings)}')
        head.chunked = True
    elif cl:
        values = {v.strip() for h in cl for v in h.split(',')}
        if len(values) != 1:
            raise HTTPError(400, 'Conflicting Content-Length values')
        value = values.pop()
        if not DIGITS.match(value):
            raise HTTPError(400, 'Content-Length must be a non-negative integer')
        head.length = int(value)
    # only 100-continue means anything; any other expectation (an empty
    # one, '200') is ignored as eventlet (Swift) and S3 ignore it, not 417
    expect = (head.get('expect') or '').strip().lower()
    head.expect_continue = expect == '100-continue' and head.version >= (1, 1)
    tokens = {t.strip().lower() for t in (head.get('connection') or '').split(',')}
    head.keep_alive = ('close' not in tokens if head.version >= (1, 1)
                       else 'keep-alive' in tokens)


def split_target(target):
    """(PATH_INFO, QUERY_STRING) of a request target, as cheroot gave them:
    %-escapes decoded except %2F (so an escaped slash stays one), bytes as
    latin-1 characters (PEP 3333) — invalid UTF-8 such as %ff reaches the
    application, which decides what it means."""
    if target == '*':
        return '*', ''
    target = target.split('#', 1)[0]
    if not target.startswith('/'):
        parts = urllib.parse.urlsplit(target)
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise HTTPError(400, 'Malformed request target')
        target = target.split(parts.netloc, 1)[1] or '/'
    path, _, query = target.partition('?')
    raw = path.encode('latin-1')
    atoms = [urllib.parse.unquote_to_bytes(a) for a in QUOTED_SLASH.split(raw)]
    return b'%2F'.join(atoms).decode('latin-1'), query


class ChunkedDecoder:
    """Incremental decoder of a chunked request body (RFC 9112 7.1); trailer
    fields are read and dropped. :meth:`decode` raises HTTPError(400) on any
    framing error."""

    def __init__(self, max_line=4096, max_trailers=65536):
        self.max_line = max_line
        self.max_trailers = max_trailers
        self.left = 0           # data bytes left in the current chunk
        self.state = 'size'     # size | data | crlf | trailer | done
        self.trailers = 0

    @property
    def done(self):
        return self.state == 'done'

    def _line(self, buf, pos):
        end = buf.find(b'\r\n', pos)
        if end < 0:
            if len(buf) - pos > self.max_line:
                raise HTTPError(400, 'Chunk size line too long')
            return None, pos
        if end - pos > self.max_line:
            raise HTTPError(400, 'Chunk size line too long')
        return bytes(buf[pos:end]), end + 2

    def decode(self, buf, pos, want):
        """Decode from ``buf[pos:]`` up to ``want`` data bytes. Returns
        (list of data pieces, new position); stops early when more input
        is needed or the body ended (``done``)."""
        out = []
        while want > 0 and self.state != 'done':
            if self.state == 'data':
                n = min(self.left, want, len(buf) - pos)
                if n <= 0:
                    break
                out.append(bytes(buf[pos:pos + n]))
                pos += n
                want -= n
                self.left -= n
                if self.left == 0:
                    self.state = 'crlf'
                continue
            if self.state == 'crlf':
                if len(buf) - pos < 2:
                    break
                if buf[pos:pos + 2] != b'\r\n':
                    raise HTTPError(400, 'Chunk data not followed by CRLF')
                pos += 2
                self.state = 'size'
                continue
            line, npos = self._line(buf, pos)
            if line is None:
                break
            pos = npos
            if self.state == 'size':
                size = line.split(b';', 1)[0].strip(b' \t')
                if not HEX.match(size):
                    raise HTTPError(400, 'Invalid chunk size')
                self.left = int(size, 16)
                self.state = 'data' if self.left else 'trailer'
            elif line:                          # a trailer field
                self.trailers += len(line) + 2
                if self.trailers > self.max_trailers:
                    raise HTTPError(431, 'Trailer fields too large')
                if b':' not in line:
                    raise HTTPError(400, 'Trailer line without a colon')
            else:
                self.state = 'done'
        return out, pos
