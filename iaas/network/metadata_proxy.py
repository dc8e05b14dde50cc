"""The per-network metadata proxy of iaas-network.

A guest's request to 169.254.169.254:80 arriving on a network's bridge is
REDIRECTed (firewall.py) to ``[metadata] proxy_port`` on that bridge. For
every bridge it serves, this proxy holds one listening socket bound to
that bridge (``SO_BINDTODEVICE``, in the namespace holding the bridges), so
the socket a connection arrives on names the network — even when two
projects' subnets overlap and both guests have the same address. Being
bound to the bridge also sends the replies out of that bridge, not out of
whichever bridge the routing table would pick for the shared address.
The sockets are made by the privileged entry point
``iaas.privileged.network.listen_on_device`` (entering the namespace needs
CAP_SYS_ADMIN) and handed to this unprivileged process.

The proxy forwards the request (GET/HEAD only) to the metadata server
(``[network] metadata_host``:``[api] metadata_port``) with the guest's
address in ``X-Forwarded-For``, the network in ``X-Neutron-Network-ID``
and, when ``[metadata] proxy_shared_secret`` is set, an HMAC-SHA256 of both
in ``X-Neutron-Network-ID-Signature``; headers of the same names sent by
the guest are dropped. The metadata server believes them only from
``[metadata] trusted_proxies`` (and only with a valid signature when a
secret is set).
"""
import hashlib
import hmac
import http.client
import logging
import selectors
import socket
import threading

from iaas.privileged import network as privileged_network

LOG = logging.getLogger(__name__)

NETWORK_HEADER = 'X-Neutron-Network-ID'
SIGNATURE_HEADER = 'X-Neutron-Network-ID-Signature'
DROPPED = {'x-forwarded-for', NETWORK_HEADER.lower(), SIGNATURE_HEADER.lower(),
           'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding',
           'content-length', 'upgrade', 'te', 'trailer', 'host'}
MAX_HEAD = 16 * 1024
MAX_RESPONSE = 4 << 20


def sign(secret, network_id, address):
    """The signature of (network, guest address) the metadata server checks."""
    msg = f'{network_id}\n{address}'.encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def verify(secret, network_id, address, signature):
    return hmac.compare_digest(sign(secret, network_id, address), signature or '')


class MetadataProxy:
    """One listening socket per served bridge; a thread accepting on all of
    them and a bounded number of handler threads."""

    def __init__(self, upstream, port, netns=None, secret='', timeout=10.0,
                 max_connections=64):
        self.upstream = upstream          # (host, port) of the metadata server
        self.port = port
        self.netns = netns
        self.secret = secret
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._listeners = {}              # bridge -> (network_id, ifindex, socket)
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._stopped = False
        self._thread = None

    # -- listeners ---------------------------------------------------------------
    def sync(self, bridges):
        """Listen on exactly ``bridges`` ({bridge: (network_id, ifindex)}); a
        bridge made again (new ifindex) gets a new socket."""
        with self._lock:
            for br in list(self._listeners):
                net, idx, sock = self._listeners[br]
                if bridges.get(br) != (net, idx):
                    self._sel.unregister(sock)
                    sock.close()
                    del self._listeners[br]
            for br, (net, idx) in bridges.items():
                if br in self._listeners:
                    continue
                try:
                    sock = privileged_network.listen(self.netns, br, self.port)
                except OSError as exc:
                    LOG.warning('metadata proxy: cannot listen on %s port %s: %s', br,
                                self.port, exc)
                    continue
                self._listeners[br] = (net, idx, sock)
                self._sel.register(sock, selectors.EVENT_READ, (br, net))
        self._wake_w.send(b'x')
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name='metadata-proxy',
                                            daemon=True)
            self._thread.start()

    def address(self, bridge):
        """(host, port) a bridge's socket listens on (tests bind port 0)."""
        return self._listeners[bridge][2].getsockname()

    def close(self):
        self._stopped = True
        self.sync({})
        self._wake_w.send(b'x')
        if self._thread is not None:
            self._thread.join(5)

    # -- serving -------------------------------------------------------------------
    def _serve(self):
        while not self._stopped:
            for key, _ in self._sel.select(timeout=1.0):
                if key.data is None:
                    self._wake_r.recv(4096)
                    continue
                bridge, network_id = key.data
                self._slots.acquire()
                try:
                    conn, peer = key.fileobj.accept()
                except (BlockingIOError, OSError):
                    self._slots.release()
                    continue
                threading.Thread(target=self._handle, args=(conn, peer[0], network_id),
                                 name=f'metadata-proxy-{bridge}', daemon=True).start()

    def _handle(self, conn, peer, network_id):
        try:
            conn.setblocking(True)
            conn.settimeout(self.timeout)
            status, headers, body = self._forward(conn, peer, network_id)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            LOG.info('metadata proxy: request from %s failed: %s', peer, exc)
            status, headers, body = 502, [('Content-Type', 'text/plain')], b'Bad Gateway\n'
        try:
            lines = [f'HTTP/1.0 {status} {http.client.responses.get(status, "")}']
            lines += [f'{k}: {v}' for k, v in headers
                      if k.lower() not in ('connection', 'transfer-encoding',
                                           'content-length')]
            lines += [f'Content-Length: {len(body)}', 'Connection: close', '', '']
            conn.sendall('\r\n'.join(lines).encode('latin-1') + body)
        except OSError:
            pass
        finally:
            conn.close()
            self._slots.release()

    def _read_head(self, conn):
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = conn.recv(4096)
            if not chunk:
                raise ValueError('connection closed before the request head')
            data += chunk
            if len(data) > MAX_HEAD:
                raise ValueError('request head too large')
        head = data.split(b'\r\n\r\n', 1)[0].decode('latin-1')
        request_line, *header_lines = head.split('\r\n')
        method, path, _version = request_line.split(' ', 2)
        headers = []
        for line in header_lines:
            name, sep, value = line.partition(':')
            if not sep:
                raise ValueError('malformed header line')
            headers.append((name.strip(), value.strip()))
        return method, path, headers

    def _forward(self, conn, peer, network_id):
        method, path, headers = self._read_head(conn)
        if method not in ('GET', 'HEAD'):
            return 405, [('Allow', 'GET, HEAD'), ('Content-Type', 'text/plain')], \
                b'Method Not Allowed\n'
        if not path.startswith('/'):
            return 400, [('Content-Type', 'text/plain')], b'Bad Request\n'
        out = [(k, v) for k, v in headers if k.lower() not in DROPPED]
        out += [('X-Forwarded-For', peer), (NETWORK_HEADER, network_id)]
        if self.secret:
            out.append((SIGNATURE_HEADER, sign(self.secret, network_id, peer)))
        host, port = self.upstream
        up = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            up.putrequest(method, path, skip_accept_encoding=True)
            for k, v in out:
                up.putheader(k, v)
            up.endheaders()
            resp = up.getresponse()
            body = resp.read(MAX_RESPONSE + 1)
            if len(body) > MAX_RESPONSE:
                raise ValueError('metadata response too large')
            return resp.status, resp.getheaders(), body
        finally:
            up.close()
