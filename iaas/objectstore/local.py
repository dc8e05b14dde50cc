"""In-process storage nodes: when the proxy and the storage server share a
process (iaas-all), requests to that node's ``ip:port`` call its WSGI app
directly instead of going over a socket. Same interface as
:class:`iaas.objectstore.client.BackendConn`; a request body is streamed
to the app (run in its own thread) through a bounded queue.
"""
import http.client
import queue
import sys
import threading
import time

LOCAL = {}          # (ip, port) -> WSGI app
_EOF, _ABORT = object(), object()


def register(ip, port, app):
    LOCAL[(ip, int(port))] = app


def unregister(ip, port):
    LOCAL.pop((ip, int(port)), None)


def lookup(node):
    return LOCAL.get((node['ip'], int(node['port'])))


class QueueInput:
    def __init__(self, timeout):
        self.q = queue.Queue(maxsize=8)
        self.buf = b''
        self.eof = False
        self.timeout = timeout

    def read(self, n=-1):
        """Up to ``n`` bytes (all until the end when n < 0); b'' at the end."""
        while not self.eof and (n < 0 or not self.buf):
            try:
                item = self.q.get(timeout=self.timeout)
            except queue.Empty:
                raise OSError('timed out reading the request body') from None
            if item is _ABORT:
                raise OSError('client disconnected')
            if item is _EOF:
                self.eof = True
            else:
                self.buf += item
        if n < 0:
            out, self.buf = self.buf, b''
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out


class LocalResponse:
    def __init__(self, status, headers, app_iter):
        self.status = status
        self.headers = http.client.HTTPMessage()
        for k, v in headers:
            self.headers[k] = v
        self.will_close = False
        self._iter = iter(app_iter)
        self._app_iter = app_iter
        self._buf = b''
        self._done = False

    def getheader(self, name, default=None):
        return self.headers.get(name, default)

    def read(self, n=None):
        while not self._done and (n is None or len(self._buf) < n):
            chunk = next(self._iter, None)
            if chunk is None:
                self._done = True
                self.close()
                break
            self._buf += chunk
        if n is None:
            out, self._buf = self._buf, b''
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def isclosed(self):
        return self._done and not self._buf

    def close(self):
        self._done = True
        close = getattr(self._app_iter, 'close', None)
        if close is not None:
            close()


class LocalConn:
    """A request to an in-process storage app."""

    def __init__(self, app, node, method, path, headers, timeout=10, chunked=False):
        self.node = node
        self.failed = False
        self.resp = None
        raw_path, _, query = path.partition('\x00')
        env = {'REQUEST_METHOD': method,
               'PATH_INFO': raw_path.encode('utf-8', 'surrogateescape').decode('latin-1'),
               'QUERY_STRING': query, 'SERVER_NAME': node['ip'],
               'SERVER_PORT': str(node['port']), 'SERVER_PROTOCOL': 'HTTP/1.1',
               'SCRIPT_NAME': '', 'wsgi.url_scheme': 'http', 'wsgi.errors': sys.stderr,
               'wsgi.version': (1, 0), 'wsgi.multithread': True,
               'wsgi.multiprocess': False, 'wsgi.run_once': False}
        for k, v in headers.items():
            key = k.upper().replace('-', '_')
            if key in ('CONTENT_LENGTH', 'CONTENT_TYPE'):
                env[key] = str(v)
            else:
                env['HTTP_' + key] = str(v)
        length = int(env.get('CONTENT_LENGTH') or 0)
        self.input = QueueInput(timeout)
        env['wsgi.input'] = self.input
        if not chunked and not length:
            self.input.eof = True
        self.app, self.env = app, env
        self._result = None
        self._done = threading.Event()
        self._thread = None
        if chunked or length:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name='objstore-local')
            self._thread.start()

    def _run(self):
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured['status'] = int(status.split(' ', 1)[0])
            captured['headers'] = headers
        try:
            app_iter = self.app(self.env, start_response)
            self._result = LocalResponse(captured['status'], captured['headers'], app_iter)
        except BaseException as exc:   # noqa: B036 - reported to the caller
            self._result = exc
        finally:
            self._done.set()

    def send(self, data):
        deadline = time.monotonic() + self.input.timeout
        while True:
            if self._done.is_set():     # it failed, or answered (e.g. 507) early
                raise OSError('storage app answered before the end of the body')
            try:
                self.input.q.put(bytes(data), timeout=0.05)
                return
            except queue.Full:
                if time.monotonic() > deadline:
                    raise OSError('timed out sending the request body') from None

    def answered(self):
        """True when the app has its answer (getresponse will not wait)."""
        return self._done.is_set()

    def finish(self):
        self.input.q.put(_EOF, timeout=self.input.timeout)

    def getresponse(self):
        if self._thread is None:
            self._run()
        if not self._done.wait(self.input.timeout + 5):
            raise OSError('storage app did not answer')
        if isinstance(self._result, BaseException):
            raise OSError(f'storage app failed: {self._result}')
        self.resp = self._result
        return self.resp

    def read_all(self):
        data = self.resp.read()
        self.release()
        return data

    def release(self):
        if self.resp is not None:
            self.resp.close()

    def close(self):
        if self._thread is not None and not self._done.is_set():
            try:
                self.input.q.put_nowait(_ABORT)
            except queue.Full:
                pass
        self.release()
