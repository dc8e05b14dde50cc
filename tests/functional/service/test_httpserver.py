"""The HTTP server under every API (WSGIService, iaas.common.httpserver)
against raw sockets: slow clients never hold a request thread (issue 12,
finding 7), bad framing gets a clear 4xx and a closed connection (finding
12), and keep-alive, pipelining, chunked bodies, 100-continue, HTTP/1.0,
streamed responses and the graceful stop keep working."""
import hashlib
import json
import os
import socket
import threading
import time

import pytest
import requests

from iaas.service import WSGIService

entered = threading.Event()


def echo(environ, start_response):
    """Reads the whole body; answers what it saw as JSON."""
    path = environ['PATH_INFO']
    if path == '/deny':
        start_response('401 Unauthorized', [('Content-Length', '0')])
        return [b'']
    if path == '/sleep':
        entered.set()
        time.sleep(float(environ['QUERY_STRING'] or 1))
    if path == '/big':
        mib = int(environ['QUERY_STRING'] or 1)
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return (b'\xab' * (1 << 20) for _ in range(mib))
    if path == '/readinto':       # as the object store's storage nodes read uploads
        body = _read_by_readinto(environ['wsgi.input'])
    else:
        body = environ['wsgi.input'].read()
    out = json.dumps({'method': environ['REQUEST_METHOD'], 'path': path,
                      'query': environ['QUERY_STRING'], 'length': len(body),
                      'md5': hashlib.md5(body).hexdigest(),
                      'protocol': environ['SERVER_PROTOCOL']}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(out)))])
    return [out]


def _read_by_readinto(inp, size=100000):
    buf, out = bytearray(size), []
    while True:
        n = inp.readinto(memoryview(buf)[:size // 2 if out else size])
        if not n:
            return b''.join(out)
        out.append(bytes(buf[:n]))


@pytest.fixture
def serve(conf):
    started = []

    def start(app=echo, threads=4, **api_options):
        for name, value in api_options.items():
            conf.set_override(name, value, group='api')
        svc = WSGIService('test-http', app, '127.0.0.1', 0, threads=threads)
        svc.start()
        started.append(svc)
        return svc
    yield start
    for svc in started:
        svc.stop(2)


def connect(port, source='127.0.0.1', timeout=5):
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout,
                                 source_address=(source, 0))
    return s


def read_response(s, deadline=5.0):
    """(status, headers, body) of one response on ``s`` (Content-Length or
    close-delimited), or (None, {}, b'') when the server closed first."""
    s.settimeout(deadline)
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, {}, data
        data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split(' ')[1])
    if status == 100:
        return read_response_rest(s, body, deadline)
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(':') for ln in lines[1:])}
    if 'content-length' in headers:
        n = int(headers['content-length'])
        while len(body) < n:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
    return status, headers, body


def read_response_rest(s, already, deadline):
    class Pre:
        def __init__(self):
            self.buf = already

        def recv(self, n):
            if self.buf:
                out, self.buf = self.buf, b''
                return out
            return s.recv(n)

        def settimeout(self, t):
            s.settimeout(t)
    return read_response(Pre(), deadline)


def closed_by_server(s, within=3.0):
    s.settimeout(within)
    try:
        while True:
            if not s.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def exchange(port, raw, within=3.0):
    """Send ``raw``; the response and whether the server then closed."""
    with connect(port) as s:
        start = time.monotonic()
        s.sendall(raw)
        status, headers, body = read_response(s, within)
        took = time.monotonic() - start
        return status, body, closed_by_server(s, within), took


# --- finding 7: slow clients -------------------------------------------------------

def trickle(socks, lines, interval, until):
    """Send one header line to every socket each ``interval`` s until ``until``."""
    i = 0
    while time.monotonic() < until and not until_stop.is_set():
        line = lines[i % len(lines)]
        for s in socks:
            try:
                s.send(line)
            except OSError:
                pass
        i += 1
        until_stop.wait(interval)


until_stop = threading.Event()


def test_trickling_heads_do_not_hold_request_threads(serve):
    svc = serve(threads=4)
    socks = [connect(svc.port) for _ in range(40)]
    until_stop.clear()
    for s in socks:
        s.send(b'GET / HTTP/1.1\r\n')
    t = threading.Thread(target=trickle, args=(socks, [b'X-Slow: 1\r\n'], 0.5,
                                               time.monotonic() + 8), daemon=True)
    t.start()
    try:
        took = []
        for _ in range(20):
            start = time.monotonic()
            r = requests.get(f'http://127.0.0.1:{svc.port}/v3', timeout=3)
            took.append(time.monotonic() - start)
            assert r.status_code == 200
        # a held thread would keep a request waiting for the whole 8 s trickle
        assert max(took) < 2, took
    finally:
        until_stop.set()
        t.join(5)
        for s in socks:
            s.close()


def test_slow_head_gets_408_and_silent_connection_is_closed(serve):
    svc = serve(header_timeout=0.5)
    with connect(svc.port) as s:
        start = time.monotonic()
        s.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
        status, _h, _b = read_response(s, 5)
        assert status == 408 and time.monotonic() - start < 2
        assert closed_by_server(s)
    with connect(svc.port) as s:
        assert closed_by_server(s, 3)


def test_small_body_trickler_never_reaches_the_app(serve):
    seen = []

    def app(environ, start_response):
        seen.append(environ['PATH_INFO'])
        return echo(environ, start_response)
    svc = serve(app, threads=1, min_transfer_rate=1000, transfer_rate_window=0.5)
    with connect(svc.port) as s:
        s.sendall(b'POST /t HTTP/1.1\r\nContent-Length: 100\r\n\r\n')
        start = time.monotonic()
        status = None
        for _ in range(40):
            try:
                s.send(b'x')
            except OSError:
                break
            s.settimeout(0.1)
            try:
                status = int(s.recv(100).split(b' ')[1])
                break
            except TimeoutError:
                pass
        assert status == 408 and time.monotonic() - start < 3
    assert seen == []
    assert requests.get(f'http://127.0.0.1:{svc.port}/ok', timeout=3).status_code == 200


def test_streamed_body_trickler_is_cut_off(serve):
    svc = serve(threads=1, min_transfer_rate=1000, transfer_rate_window=0.5)
    with connect(svc.port) as s:
        s.sendall(b'PUT /up HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n' + b'x' * 70000)
        start = time.monotonic()
        cut = False
        while time.monotonic() - start < 5:
            try:
                s.send(b'x')
            except OSError:
                cut = True
                break
            time.sleep(0.1)
        assert cut or closed_by_server(s, 1)
        assert time.monotonic() - start < 4
    # the only request thread is free again
    assert requests.get(f'http://127.0.0.1:{svc.port}/ok', timeout=3).status_code == 200


def test_reader_that_does_not_read_is_cut_off(serve):
    svc = serve(threads=1, min_transfer_rate=100000, transfer_rate_window=0.5)
    with connect(svc.port) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b'GET /big?64 HTTP/1.1\r\n\r\n')
        start = time.monotonic()
        r = requests.get(f'http://127.0.0.1:{svc.port}/ok', timeout=5)
        assert r.status_code == 200 and time.monotonic() - start < 4


def test_connections_capped_per_source_and_in_total(serve):
    svc = serve(max_connections_per_source=5, max_connections=8)
    held = [connect(svc.port, '127.0.0.2') for _ in range(5)]
    try:
        time.sleep(0)   # accepted asynchronously; the refusal below waits on the answer
        status, _b, closed, _t = exchange_from(svc.port, '127.0.0.2')
        assert (status, closed) == (429, True)
        assert requests.get(f'http://127.0.0.1:{svc.port}/x', timeout=3).status_code == 200
        held += [connect(svc.port, '127.0.0.3') for _ in range(3)]
        status, _b, closed, _t = exchange_from(svc.port, '127.0.0.4')
        assert (status, closed) == (503, True)
    finally:
        for s in held:
            s.close()


def test_idle_keepalive_connections_make_room_at_the_cap(serve):
    svc = serve(max_connections_per_source=3)
    pool = [connect(svc.port, '127.0.0.2') for _ in range(3)]
    try:
        for s in pool:      # each served once, then idle (as in a client's pool)
            s.sendall(b'GET /x HTTP/1.1\r\n\r\n')
            assert read_response(s)[0] == 200
        deadline = time.monotonic() + 5
        while True:     # (the pool's connections turn idle just after their answers)
            with connect(svc.port, '127.0.0.2') as s:
                s.sendall(b'GET /x HTTP/1.1\r\n\r\n')
                status = read_response(s)[0]
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status == 200
        # one idle connection (the longest idle) made room; the others stay
        assert sorted(closed_by_server(s, 1) for s in pool) == [False, False, True]
    finally:
        for s in pool:
            s.close()


def exchange_from(port, source):
    deadline = time.monotonic() + 5
    while True:      # the held connections may still be in the accept queue
        with connect(port, source) as s:
            try:
                s.sendall(b'GET / HTTP/1.1\r\n\r\n')
            except OSError:
                pass
            status, _h, body = read_response(s, 3)
            if status != 200 or time.monotonic() > deadline:
                return status, body, closed_by_server(s), 0


# --- finding 12: framing ---------------------------------------------------------

BAD = [
    (b'POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'
     b'0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx', 400),
    (b'GET / HTTP/1.1\r\nNoColon\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400),
    (b'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501),
    (b'GET /' + b'a' * 20000 + b' HTTP/1.1\r\n\r\n', 414),
    (b'GET / HTTP/1.1\r\n' + b'X-Big: ' + b'a' * 70000 + b'\r\n\r\n', 431),
    (b'GET / HTTP/2.0\r\n\r\n', 505),
    (b'GET / HTTP/1.1\nHost: x\n\n', 400),
]


@pytest.mark.parametrize('raw, want', BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_framing_gets_4xx_and_close(serve, raw, want):
    svc = serve()
    status, body, closed, took = exchange(svc.port, raw)
    assert (status, closed) == (want, True), body
    assert took < 2


def test_bad_chunk_inside_a_streamed_body_is_400(serve):
    svc = serve()
    raw = (b'PUT /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
           + b'10000\r\n' + b'a' * 0x10000 + b'\r\n' + b'10\r\n' + b'b' * 16 + b'\r\n'
           + b'zz\r\n')
    status, _b, closed, took = exchange(svc.port, raw)
    assert (status, closed) == (400, True) and took < 2


def test_invalid_utf8_in_the_path_reaches_the_app(serve):
    svc = serve()
    status, body, _c, _t = exchange(svc.port, b'GET /v3/%ff%2Fx?a=%ff HTTP/1.1\r\n'
                                              b'Connection: close\r\n\r\n')
    assert status == 200
    got = json.loads(body)
    assert (got['path'], got['query']) == ('/v3/\xff%2Fx', 'a=%ff')


# --- what must keep working -------------------------------------------------------

def test_keepalive_and_pipelining(serve):
    svc = serve()
    with connect(svc.port) as s:
        s.sendall(b'GET /one HTTP/1.1\r\n\r\nPOST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\n'
                  b'abcGET /three HTTP/1.1\r\n\r\n')
        paths = []
        buf = b''
        while len(paths) < 3:
            status, headers, body = read_response_rest(s, buf, 5)
            assert status == 200
            n = int(headers['content-length'])
            body, buf = body[:n], body[n:]
            paths.append(json.loads(body)['path'])
        assert paths == ['/one', '/two', '/three']
        assert not closed_by_server(s, 0.3)


def test_keepalive_asked_is_answered(serve):
    # a client that asks for keep-alive is told it got it (as eventlet, under
    # Swift, tells it); one that asks nothing gets no Connection header
    svc = serve()
    with connect(svc.port) as s:
        s.sendall(b'GET /a HTTP/1.1\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\n\r\n')
        _status, headers, body = read_response(s, 5)
        assert headers.get('connection') == 'keep-alive'
        n = int(headers['content-length'])
        _status, headers, _body = read_response_rest(s, body[n:], 5)
        assert 'connection' not in headers
        assert not closed_by_server(s, 0.3)


def test_http10_and_close_delimited_response(serve):
    svc = serve()
    with connect(svc.port) as s:
        s.sendall(b'GET /big?2 HTTP/1.0\r\n\r\n')
        data = b''
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 200') and b'Connection: close' in head
    assert b'chunked' not in head and len(body) == 2 << 20
    status, body, _c, _t = exchange(svc.port, b'GET /x HTTP/1.0\r\n\r\n')
    assert status == 200 and json.loads(body)['protocol'] == 'HTTP/1.0'


def test_expect_100_continue(serve):
    svc = serve()
    for length in (1000, 3 << 20):      # read ahead by the server / streamed to the app
        with connect(svc.port) as s:
            s.sendall(b'PUT /up HTTP/1.1\r\nExpect: 100-continue\r\n'
                      b'Content-Length: %d\r\n\r\n' % length)
            s.settimeout(5)
            assert s.recv(25).startswith(b'HTTP/1.1 100 Continue\r\n\r\n')
            s.sendall(b'z' * length)
            status, _h, body = read_response(s)
            assert status == 200 and json.loads(body)['length'] == length
    # an answer without reading the body: no 100, and the connection closes
    with connect(svc.port) as s:
        s.sendall(b'PUT /deny HTTP/1.1\r\nExpect: 100-continue\r\n'
                  b'Content-Length: 5000000\r\n\r\n')
        status, headers, _b = read_response(s)
        assert status == 401 and headers.get('connection') == 'close'


def test_uploads_and_downloads_stream(serve):
    svc = serve()
    url = f'http://127.0.0.1:{svc.port}'
    data = bytes(range(256)) * (12 << 12)       # 12 MiB
    with requests.Session() as sess:
        for body in (data, iter([data[:1000], data[1000:5 << 20], data[5 << 20:]])):
            got = sess.put(url + '/up', data=body, timeout=30).json()
            assert got['length'] == len(data)
            assert got['md5'] == hashlib.md5(data).hexdigest()
        r = sess.get(url + '/big?20', stream=True, timeout=30)
        n = sum(len(c) for c in r.iter_content(1 << 20))
        assert r.headers['Transfer-Encoding'] == 'chunked' and n == 20 << 20
        r = sess.head(url + '/big?20', timeout=5)
        assert r.status_code == 200 and r.content == b''
        assert sess.get(url + '/after', timeout=5).json()['path'] == '/after'


def test_readinto_reads_every_kind_of_body(serve):
    svc = serve()
    data = os.urandom(3 << 20)
    url = f'http://127.0.0.1:{svc.port}/readinto'
    with requests.Session() as sess:
        for body in (data, data[:1000], b'', iter([data[:1000], data[1000:]])):
            got = sess.put(url, data=body, timeout=30).json()
            expect = data if not isinstance(body, bytes) else body
            assert got['length'] == len(expect)
            assert got['md5'] == hashlib.md5(expect).hexdigest()
    # a streamed body read by readinto leaves a pipelined request intact
    with connect(svc.port) as s:
        s.sendall(b'PUT /readinto HTTP/1.1\r\nContent-Length: %d\r\n\r\n' % len(data)
                  + data + b'GET /next HTTP/1.1\r\n\r\n')
        status, headers, body = read_response_rest(s, b'', 10)
        n = int(headers['content-length'])
        assert status == 200 and json.loads(body[:n])['md5'] == hashlib.md5(data).hexdigest()
        status, _h, body = read_response_rest(s, body[n:], 5)
        assert status == 200 and json.loads(body)['path'] == '/next'


def test_graceful_stop_lets_inflight_requests_finish(serve):
    svc = serve()
    result = {}

    def slow():
        result['r'] = requests.get(f'http://127.0.0.1:{svc.port}/sleep?1', timeout=10)
    entered.clear()
    t = threading.Thread(target=slow)
    t.start()
    assert entered.wait(5)
    start = time.monotonic()
    svc.stop(5)
    t.join(10)
    assert result['r'].status_code == 200
    assert result['r'].headers['Connection'] == 'close'
    assert time.monotonic() - start < 3
    with pytest.raises(OSError):
        connect(svc.port, timeout=1).close()
