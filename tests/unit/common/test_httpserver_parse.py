"""Request framing of the HTTP server (iaas.common.httpparse) and the
client rate guard (iaas.common.httpbody.RateGuard)."""
import pytest

from iaas.common.httpbody import RateGuard, TooSlow
from iaas.common.httpparse import (
    ChunkedDecoder,
    HTTPError,
    head_too_large,
    parse_head,
    split_target,
)


def head(*lines, request='POST /x HTTP/1.1'):
    return '\r\n'.join([request, *lines]).encode('latin-1')


def status_of(data):
    with pytest.raises(HTTPError) as e:
        parse_head(data)
    return e.value.status


def test_field_names_with_separators_pass():
    # as Python's and eventlet's servers let them (S3 metadata: x-amz-meta-( …)
    h = parse_head(head('X-Amz-Meta-(: a', 'x-amz-meta-a=5Fb: b', 'X-Amz-Meta-": c'))
    assert h.get('x-amz-meta-(') == 'a' and h.get('x-amz-meta-a=5fb') == 'b'
    assert h.get('x-amz-meta-"') == 'c'


def test_plain_request():
    h = parse_head(head('Host: a', 'X-Auth-Token:  tok ', 'Accept: a', 'accept: b'))
    assert (h.method, h.target, h.version) == ('POST', '/x', (1, 1))
    assert h.get('x-auth-token') == 'tok' and h.get('accept') == 'a, b'
    assert h.length == 0 and not h.chunked and h.keep_alive


@pytest.mark.parametrize('lines, status', [
    (['Content-Length: 5', 'Transfer-Encoding: chunked'], 400),   # smuggling
    (['Transfer-Encoding: chunked', 'Content-Length: 5'], 400),
    (['Content-Length: -1'], 400),
    (['Content-Length: 1e3'], 400),
    (['Content-Length: ²'], 400),
    (['Content-Length: 5', 'Content-Length: 6'], 400),
    (['Content-Length: 5, 6'], 400),
    (['Content-Length: 99999999999999999999'], 400),
    (['Transfer-Encoding: gzip'], 501),
    (['Transfer-Encoding: chunked, gzip'], 400),
    (['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], 400),
    (['No colon here'], 400),
    (['Bad Name: x'], 400),
    (['Name : x'], 400),
    (['Name\t: x'], 400),
    (['X-A\x01: x'], 400),
    (['X-\xe9: x'], 400),
    (['X-A: 1', ' folded'], 400),
    (['X-A: a\x00b'], 400),
])
def test_bad_framing_is_refused(lines, status):
    assert status_of(head(*lines)) == status


@pytest.mark.parametrize('request_line, status', [
    ('GET /x', 400), ('GET  /x HTTP/1.1', 400), ('GET /x HTTP/2.0', 505),
    ('GET /x HTTP/1', 400), ('G(T /x HTTP/1.1', 400), ('GET /a\x7fb HTTP/1.1', 400),
    ('GET /' + 'a' * 20000 + ' HTTP/1.1', 414),
])
def test_bad_request_line(request_line, status):
    assert status_of(head(request=request_line)) == status


def test_transfer_encoding_in_http10_is_refused():
    assert status_of(head('Transfer-Encoding: chunked', request='POST / HTTP/1.0')) == 400


def test_framing_accepted():
    h = parse_head(head('Content-Length: 5, 5'))
    assert h.length == 5
    h = parse_head(head('Transfer-Encoding: Chunked', 'Expect: 100-Continue',
                        'Connection: close'))
    assert h.chunked and h.expect_continue and not h.keep_alive
    h = parse_head(head('Connection: keep-alive', request='GET / HTTP/1.0'))
    assert h.keep_alive and h.version == (1, 0)
    assert not parse_head(head(request='GET / HTTP/1.0')).keep_alive
    assert not parse_head(head('Expect: 100-continue', request='GET / HTTP/1.0')).expect_continue


@pytest.mark.parametrize('value', ['200-ok', '', '200'])
def test_other_expectations_are_ignored(value):
    # as eventlet (Swift) and S3: no 417, no 100 Continue
    assert not parse_head(head(f'Expect: {value}', 'Content-Length: 3')).expect_continue


def test_incomplete_head_limits():
    assert head_too_large(b'GET /' + b'a' * 100, 50, 1000).status == 414
    assert head_too_large(b'GET / HTTP/1.1\r\n' + b'X: y\r\n' * 200, 50, 1000).status == 431
    assert head_too_large(b'GET / HTTP/1.1\nHost: x\n', 50, 1000).status == 400
    assert head_too_large(b'GET / HTTP/1.1\r\nHost: x\r\n', 50, 1000) is None


@pytest.mark.parametrize('target, path, query', [
    ('/a%20b?x=%20', '/a b', 'x=%20'),
    ('/a%2Fb%2fc', '/a%2Fb%2Fc', ''),          # an escaped slash stays escaped
    ('/v3/%ff', '/v3/\xff', ''),                # invalid UTF-8 reaches the app
    ('/x%', '/x%', ''),
    ('http://h:1/p?q', '/p', 'q'),
    ('*', '*', ''),
    ('/p#frag', '/p', ''),
])
def test_split_target(target, path, query):
    assert split_target(target) == (path, query)


def test_split_target_refuses_garbage():
    with pytest.raises(HTTPError):
        split_target('x/y')


def decode_all(data, step=None):
    d, out, buf = ChunkedDecoder(), [], bytearray()
    for i in range(0, len(data), step or len(data) or 1):
        buf += data[i:i + (step or len(data))]
        pieces, pos = d.decode(buf, 0, 1 << 30)
        del buf[:pos]
        out += pieces
    return b''.join(out), d.done, bytes(buf)


@pytest.mark.parametrize('step', [None, 1, 3])
def test_chunked_decoder(step):
    data = b'5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT'
    assert decode_all(data, step) == (b'hello world', True, b'NEXT')


@pytest.mark.parametrize('data', [
    b'zz\r\nabc\r\n', b'-5\r\nabc\r\n', b'3\r\nabcX\r\n', b'\r\n', b'3 4\r\nabc\r\n',
    b'1' * 5000, b'0\r\nno colon\r\n\r\n', b'11111111111111111\r\n',
])
def test_chunked_decoder_errors(data):
    with pytest.raises(HTTPError) as e:
        decode_all(data)
    assert e.value.status == 400


def test_chunked_decoder_stops_at_want():
    d = ChunkedDecoder()
    buf = b'a\r\n0123456789\r\n0\r\n\r\n'
    pieces, pos = d.decode(buf, 0, 4)
    assert pieces == [b'0123'] and not d.done
    pieces, pos = d.decode(buf, pos, 100)
    assert pieces == [b'456789'] and d.done and pos == len(buf)


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_rate_guard_cuts_a_trickle_within_one_window():
    clock = FakeClock()
    g = RateGuard(timeout=60, min_rate=100, window=10, clock=clock)
    assert g.budget() == 10
    g.account(3, 1)
    assert g.budget() == 7
    g.account(3, 1)
    with pytest.raises(TooSlow):
        g.account(4, 1)


def test_rate_guard_lets_a_steady_client_go_on():
    g = RateGuard(timeout=60, min_rate=100, window=10, clock=FakeClock())
    for _ in range(100):
        g.account(5, 600)        # 120 bytes/s
    g = RateGuard(timeout=60, min_rate=0, window=10, clock=FakeClock())
    assert g.budget() == 60
    g.account(1000, 0)           # no rate: only the per-wait timeout applies


def test_incomplete_head_checked_incrementally():
    buf = bytearray()
    seen = 0
    for byte in b'GET /' + b'a' * 60:      # byte by byte: each call looks at new bytes
        buf.append(byte)
        err = head_too_large(buf, 50, 1000, seen)
        seen = len(buf)
        if err:
            break
    assert err.status == 414 and len(buf) == 51
    assert head_too_large(b'GET / HTTP/1.1\r\nA: b\n', 50, 1000, 20).status == 400
