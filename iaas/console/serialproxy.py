"""iaas-serialproxy: guests' serial consoles as websockets.

A client opens ``ws://proxy:6083/?token=…`` (the URL the compute API
handed out). The proxy reads the handshake (bounded in size and time),
refuses a browser page of another origin (403), uses the token once
(:mod:`iaas.console.tokens`: 403 when it is unknown, used or expired),
connects to the guest's serial endpoint on its compute host and relays
bytes both ways: binary frames (subprotocol ``binary``), or base64 text
with subprotocol ``base64``. Each connection runs on two native threads;
at most ``max_connections`` at once (503 beyond), closed after
``idle_timeout`` seconds without traffic.
"""
import base64
import binascii
import logging
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

from iaas.conf import CONF
from iaas.console import tokens
from iaas.console import websocket as ws

LOG = logging.getLogger(__name__)

SUBPROTOCOLS = ('binary', 'base64')
HANDSHAKE_TIMEOUT = 10
CONNECT_TIMEOUT = 5
POLL = 1.0               # how often a quiet connection checks its idle time
REAP_INTERVAL = 300


class SerialProxy:
    """A launcher service (start/wait_ready/stop) listening on (host, port)."""

    def __init__(self, host, port, max_connections=100, idle_timeout=1800,
                 max_frame=65536, dashboard_url=None, poll=POLL):
        self.host, self._port = host, port
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.max_frame = max_frame
        self.dashboard_url = dashboard_url
        self.poll = min(poll, idle_timeout)
        self._sock = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._active = 0
        self._threads = 0
        self._open = set()
        self._accept_thread = None
        self.connections_served = 0

    @classmethod
    def from_conf(cls, conf=CONF):
        sc = conf.serial_console
        return cls(sc.serialproxy_host, sc.serialproxy_port, sc.max_connections,
                   sc.idle_timeout, sc.max_frame_bytes, conf.dashboard.public_url or None)

    @property
    def port(self):
        return self._sock.getsockname()[1] if self._sock else self._port

    # -- service ---------------------------------------------------------------
    def start(self):
        family = socket.AF_INET6 if ':' in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self._port))
        s.listen(128)
        self._sock = s
        self._accept_thread = threading.Thread(target=self._accept_loop,
                                               name='serialproxy-accept', daemon=True)
        self._accept_thread.start()
        threading.Thread(target=self._reap_loop, name='serialproxy-reaper',
                         daemon=True).start()
        LOG.info('serial console proxy listening on ws://%s:%s/', self.host, self.port)

    def wait_ready(self, timeout=30):
        return True

    def stop(self, graceful_timeout=None):
        self._stop.set()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        with self._lock:
            socks = list(self._open)
        for s in socks:
            _drop(s)
        if self._accept_thread:
            self._accept_thread.join(5)

    def _reap_loop(self):
        while not self._stop.wait(REAP_INTERVAL):
            try:
                tokens.reap()
            except Exception:
                LOG.exception('reaping expired console tokens failed; will retry')

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, addr = self._sock.accept()
            except OSError:
                if self._stop.is_set():
                    return
                time.sleep(0.05)
                continue
            with self._lock:
                if self._threads >= 2 * self.max_connections:
                    conn.close()        # refusals pile up: drop at once
                    continue
                self._threads += 1
            threading.Thread(target=self._serve, args=(conn, addr),
                             name=f'serialproxy-{addr[0]}', daemon=True).start()

    # -- one connection ---------------------------------------------------------
    def _serve(self, client, addr):
        with self._lock:
            self._open.add(client)
            admitted = self._active < self.max_connections
            if admitted:
                self._active += 1
        try:
            client.settimeout(HANDSHAKE_TIMEOUT)
            if not admitted:
                client.sendall(ws.error_response(503, 'Too many console connections'))
                return
            self._handle(client, addr)
        except (OSError, ws.HandshakeError) as exc:
            LOG.debug('console connection from %s ended: %s', addr[0], exc)
        except Exception:
            LOG.exception('console connection from %s failed', addr[0])
        finally:
            with self._lock:
                self._open.discard(client)
                self._threads -= 1
                if admitted:
                    self._active -= 1
            _drop(client)

    def _handle(self, client, addr):
        try:
            head, rest = ws.read_head(client)
            line, headers = ws.parse_head(head)
            path, key = ws.check_request(line, headers)
            if not tokens.origin_allowed(headers.get('origin'), self.dashboard_url):
                raise ws.HandshakeError(403, 'Origin not allowed')
            token = (parse_qs(urlsplit(path).query).get('token') or [''])[0]
            rec = tokens.consume(token)
            if rec is None or rec['console_type'] != tokens.SERIAL:
                raise ws.HandshakeError(403, 'Invalid or expired console token')
        except ws.HandshakeError as exc:
            LOG.info('console connection from %s refused: %s %s', addr[0], exc.status,
                     exc.reason)
            client.sendall(ws.error_response(exc.status, exc.reason))
            return
        try:
            guest = socket.create_connection((rec['host'], rec['port']), CONNECT_TIMEOUT)
        except OSError as exc:
            LOG.warning('serial console of %s at %s:%s unreachable: %s',
                        rec['instance_uuid'], rec['host'], rec['port'], exc)
            client.sendall(ws.error_response(502, 'The console of this server is '
                                                  'unreachable'))
            return
        with self._lock:
            self._open.add(guest)
        try:
            proto = ws.pick_subprotocol(headers, SUBPROTOCOLS)
            client.sendall(ws.accept_response(key, proto))
            LOG.info('console of %s opened from %s', rec['instance_uuid'], addr[0])
            conn = ws.Connection(client, max_frame=self.max_frame)
            conn._buf += rest
            self.connections_served += 1
            Relay(conn, guest, proto == 'base64', self.idle_timeout, self.poll).run()
            LOG.info('console of %s closed', rec['instance_uuid'])
        finally:
            with self._lock:
                self._open.discard(guest)
            _drop(guest)


def _drop(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class Relay:
    """Bytes between a websocket and a TCP socket until either side ends
    or nothing moves for ``idle_timeout`` seconds."""

    def __init__(self, conn, guest, b64, idle_timeout, poll):
        self.conn, self.guest, self.b64 = conn, guest, b64
        self.idle_timeout, self.poll = idle_timeout, poll
        self.last = time.monotonic()
        self.done = threading.Event()

    def _idle(self):
        return time.monotonic() - self.last > self.idle_timeout

    def run(self):
        self.conn.sock.settimeout(self.poll)
        self.guest.settimeout(self.poll)
        back = threading.Thread(target=self._guest_to_client, name='serialproxy-out',
                                daemon=True)
        back.start()
        try:
            self._client_to_guest()
        finally:
            self.done.set()
            _drop(self.guest)
            back.join(self.poll + 5)
            self.conn.shutdown()

    def _client_to_guest(self):
        conn = self.conn
        while not self.done.is_set():
            try:
                msg = conn.recv()
            except TimeoutError:
                if self._idle():
                    conn.close(ws.GOING_AWAY, 'idle')
                    return
                continue
            except ws.ProtocolError as exc:
                conn.fail(exc)
                return
            except OSError:
                return
            if msg is None:
                return
            op, data = msg
            if self.b64:
                try:
                    data = base64.b64decode(data, validate=True)
                except (binascii.Error, ValueError):
                    conn.close(ws.INVALID_DATA, 'not base64')
                    return
            elif op == ws.TEXT:
                pass        # a text frame's UTF-8 bytes go as they are
            self.last = time.monotonic()
            try:
                self.guest.sendall(data)
            except OSError:
                conn.close(ws.GOING_AWAY, 'console closed')
                return

    def _guest_to_client(self):
        try:
            while not self.done.is_set():
                try:
                    data = self.guest.recv(16384)
                except TimeoutError:
                    if self._idle():
                        self.conn.close(ws.GOING_AWAY, 'idle')
                        break
                    continue
                if not data:
                    self.conn.close(ws.NORMAL, 'console closed')
                    break
                self.last = time.monotonic()
                if self.b64:
                    self.conn.send(base64.b64encode(data).decode('ascii'), ws.TEXT)
                else:
                    self.conn.send(data, ws.BINARY)
        except OSError:
            pass
        finally:
            # the client's side stops at once (its close reply is not awaited)
            self.done.set()
            try:
                self.conn.sock.shutdown(socket.SHUT_RD)
            except OSError:
                pass
