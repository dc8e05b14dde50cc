"""Hostile-input building blocks for test_hostile_inputs.py: raw HTTP
exchanges (for what a client library refuses to send), deep JSON, and the
mutations of a valid body."""
import json
import math
import socket
import time

from tests.fuzz.conftest import TRACEBACK_MARKERS

# What replaces each field of a valid body (issue 12, finding 12).
BAD_VALUES = [None, [], {}, ['x'], {'a': 'b'}, 2 ** 64, -2 ** 63 - 1,
              1e308, -1.5, float('inf'), True, False, '', 'x' * 70000]
SURROGATE = '\ud800'


class RawResponse:
    def __init__(self, status, headers, body, elapsed, closed):
        self.status, self.headers, self.body, self.elapsed, self.closed = \
            status, headers, body, elapsed, closed

    @property
    def text(self):
        return self.body.decode('utf-8', 'replace')

    def __repr__(self):
        return f'<{self.status} {self.body[:200]!r} in {self.elapsed:.2f}s>'


def raw_request(port, data, timeout=10.0):
    """Send ``data`` (bytes: request line, headers, body as given) to
    127.0.0.1:port; read one response. ``status`` is None when the server
    closed without answering (allowed for a request it cannot parse)."""
    started = time.monotonic()
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass   # the server may answer and close before reading it all
        buf = b''
        closed = False
        head_end = -1
        length = None
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            except TimeoutError:
                raise AssertionError(f'no answer within {timeout}s to {data[:200]!r} '
                                     f'(got {buf[:200]!r})') from None
            if not chunk:
                closed = True
                break
            buf += chunk
            if head_end < 0:
                head_end = buf.find(b'\r\n\r\n')
                if head_end >= 0:
                    length = _content_length(buf[:head_end])
            if head_end >= 0 and length is not None and len(buf) >= head_end + 4 + length:
                break
            if head_end >= 0 and length is None and b'chunked' not in buf[:head_end].lower():
                # No length: the body runs to the close.
                continue
    elapsed = time.monotonic() - started
    if not buf:
        return RawResponse(None, {}, b'', elapsed, closed)
    head, _, body = buf.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    return RawResponse(status, headers, body, elapsed, closed)


def _content_length(head):
    for line in head.split(b'\r\n')[1:]:
        k, _, v = line.partition(b':')
        if k.strip().lower() == b'content-length':
            try:
                return int(v.strip())
            except ValueError:
                return None
    return None


def request_bytes(method, path, headers=None, body=b'', host='127.0.0.1'):
    """A request as bytes, headers exactly as given (a dict, or a list of
    pairs to repeat one); no Content-Length is added."""
    lines = [f'{method} {path} HTTP/1.1', f'Host: {host}', 'Connection: close']
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    lines += [f'{k}: {v}' for k, v in pairs]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


def deep_json(depth, kind='list'):
    """JSON text nested ``depth`` deep: [[[…]]] or {"a": {"a": …}}."""
    if kind == 'list':
        return '[' * depth + ']' * depth
    return '{"a": ' * depth + '1' + '}' * depth


def leaf_paths(value, prefix=()):
    """Paths (tuples of keys/indexes) of every value inside ``value``,
    containers too, outermost first; the root itself is not included."""
    out = []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return out
    for k, v in items:
        out.append(prefix + (k,))
        out += leaf_paths(v, prefix + (k,))
    return out


def replaced(value, path, new):
    """A deep copy of ``value`` with the item at ``path`` set to ``new``."""
    copy = json.loads(json.dumps(value))
    cur = copy
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = new
    return copy


def get_path(value, path):
    for k in path:
        value = value[k]
    return value


def mutations(body):
    """(description, JSON text, must_refuse) for each hostile variant of
    ``body``: every field replaced by each of BAD_VALUES; every string field
    with a lone surrogate appended (sent as the JSON escape \\ud800).
    ``must_refuse``: no API may accept it (a surrogate; a value of another
    type than the valid one, see :func:`wrong_type`)."""
    out = []
    for path in leaf_paths(body):
        where = '/'.join(str(p) for p in path)
        valid = get_path(body, path)
        for bad in BAD_VALUES:
            text = json.dumps(replaced(body, path, bad))
            shown = repr(bad) if not (isinstance(bad, str) and len(bad) > 20) else \
                f'<{len(bad)} chars>'
            out.append((f'{where}={shown}', text, wrong_type(path, valid, bad)))
        if isinstance(valid, str):
            out.append((f'{where}+\\ud800', json.dumps(
                replaced(body, path, valid + SURROGATE)), True))
    return out


def _kind(v):
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, int | float):
        return 'number'
    return type(v).__name__


# Fields that take more than their sample's type, as in OpenStack: Nova
# stores flavor extra spec numbers and booleans as strings, and builds as
# many servers as the quota allows up to any ``max_count``.
LENIENT = ('extra_specs', 'max_count')


def wrong_type(path, valid, bad):
    """Whether ``bad`` can never be a right value where ``valid`` is one:
    another JSON type (null aside: many fields are nullable), a fraction or
    a number beyond 64 bits where an integer goes, Infinity anywhere, a
    string of 70,000
    characters where a name or short string goes."""
    if bad is None or any(k in LENIENT for k in path):
        return False
    if isinstance(bad, float) and not math.isfinite(bad):
        return True    # Infinity is not JSON
    if _kind(valid) != _kind(bad):
        return True
    if isinstance(valid, int) and not isinstance(valid, bool):
        return isinstance(bad, float) or abs(bad) >= 2 ** 63
    if isinstance(valid, str) and len(bad) > 65535:
        return path[-1] not in ('description', 'blob')
    return False


def assert_no_traceback(text, what):
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f'{what}: traceback in the body: {text[:1000]}'
