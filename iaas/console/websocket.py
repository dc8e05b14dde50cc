"""The websocket protocol (RFC 6455), small and bounded: the opening
handshake of both sides and a framed connection over a blocking socket.

* Frames larger than ``max_frame`` (and messages larger than
  ``max_message``) close the connection with 1009 before their payload is
  read; a client's frame must be masked and a server's must not (1002).
* Pings are answered at once; a close is answered with the same code, and
  :meth:`Connection.recv` then returns None.
* Fragmented messages are joined (control frames may come between their
  fragments); text must be UTF-8 (1007).
* A socket timeout leaves a partly received frame in the buffer: the next
  :meth:`Connection.recv` carries on where it stopped.
"""
import base64
import hashlib
import os
import socket
import struct
import threading

GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CONTROL = frozenset({CLOSE, PING, PONG})
DATA = frozenset({CONT, TEXT, BINARY})
MAX_HEAD = 8192

NORMAL, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED, INVALID_DATA, POLICY, TOO_BIG = \
    1000, 1001, 1002, 1003, 1007, 1008, 1009


class ProtocolError(Exception):
    def __init__(self, code, reason):
        super().__init__(reason)
        self.code, self.reason = code, reason


class HandshakeError(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode('ascii') + GUID).digest()).decode()


def mask(data, key):
    """``data`` XOR the 4-byte ``key`` repeated (masking and unmasking)."""
    n = len(data)
    if not n:
        return b''
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, 'little') ^ int.from_bytes(k, 'little')).to_bytes(n, 'little')


def encode_frame(opcode, payload, masked=False, fin=True):
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if masked else 0
    if n < 126:
        head.append(bit | n)
    elif n < 1 << 16:
        head.append(bit | 126)
        head += struct.pack('!H', n)
    else:
        head.append(bit | 127)
        head += struct.pack('!Q', n)
    if masked:
        key = os.urandom(4)
        return bytes(head) + key + mask(payload, key)
    return bytes(head) + bytes(payload)


# -- the opening handshake ----------------------------------------------------------
def read_head(sock, limit=MAX_HEAD):
    """The bytes of an HTTP head (up to the blank line) and what followed it."""
    buf = b''
    while b'\r\n\r\n' not in buf:
        if len(buf) > limit:
            raise HandshakeError(431, 'Request header too large')
        chunk = sock.recv(4096)
        if not chunk:
            raise HandshakeError(400, 'Connection closed during the handshake')
        buf += chunk
    head, rest = buf.split(b'\r\n\r\n', 1)
    if len(head) > limit:
        raise HandshakeError(431, 'Request header too large')
    return head.decode('latin-1'), rest


def parse_head(head):
    """(first line, {lower-case name: value}) of an HTTP head."""
    lines = head.split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(':')
        if not sep or not name or name != name.strip():
            raise HandshakeError(400, 'Malformed header line')
        name = name.lower()
        value = value.strip()
        headers[name] = f'{headers[name]}, {value}' if name in headers else value
    return lines[0], headers


def _tokens(value):
    return [t.strip().lower() for t in (value or '').split(',') if t.strip()]


def check_request(request_line, headers):
    """The path and the client's key of a websocket upgrade request
    (HandshakeError otherwise)."""
    parts = request_line.split(' ')
    if len(parts) != 3 or not parts[2].startswith('HTTP/1.'):
        raise HandshakeError(400, 'Malformed request line')
    if parts[0] != 'GET':
        raise HandshakeError(405, 'Only GET opens a websocket')
    if 'websocket' not in _tokens(headers.get('upgrade')) or \
            'upgrade' not in _tokens(headers.get('connection')):
        raise HandshakeError(426, 'This is a websocket endpoint')
    if headers.get('sec-websocket-version') != '13':
        raise HandshakeError(426, 'Unsupported websocket version (13 only)')
    key = headers.get('sec-websocket-key', '')
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        raise HandshakeError(400, 'Bad Sec-WebSocket-Key') from None
    return parts[1], key


def pick_subprotocol(headers, supported):
    """The first of the client's subprotocols we support (None: none asked
    for or none supported)."""
    for p in _tokens(headers.get('sec-websocket-protocol')):
        if p in supported:
            return p
    return None


def accept_response(key, subprotocol=None):
    lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket',
             'Connection: Upgrade', f'Sec-WebSocket-Accept: {accept_key(key)}']
    if subprotocol:
        lines.append(f'Sec-WebSocket-Protocol: {subprotocol}')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')


REASONS = {400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
           405: 'Method Not Allowed', 426: 'Upgrade Required',
           431: 'Request Header Fields Too Large', 502: 'Bad Gateway',
           503: 'Service Unavailable'}


def error_response(status, message):
    body = (message + '\n').encode()
    extra = 'Sec-WebSocket-Version: 13\r\n' if status == 426 else ''
    return (f'HTTP/1.1 {status} {REASONS.get(status, "Error")}\r\n'
            f'Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n'
            f'{extra}Connection: close\r\n\r\n').encode('latin-1') + body


def client_handshake(sock, host, path, origin=None, protocols=('binary',), headers=None):
    """Open a websocket as a client over the connected ``sock``: the
    :class:`Connection` and the subprotocol the server chose. HandshakeError
    (with the HTTP status) when the server refuses."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f'GET {path} HTTP/1.1', f'Host: {host}', 'Upgrade: websocket',
             'Connection: Upgrade', f'Sec-WebSocket-Key: {key}', 'Sec-WebSocket-Version: 13']
    if protocols:
        lines.append(f'Sec-WebSocket-Protocol: {", ".join(protocols)}')
    if origin:
        lines.append(f'Origin: {origin}')
    for k, v in (headers or {}).items():
        lines.append(f'{k}: {v}')
    sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1'))
    head, rest = read_head(sock)
    status_line, h = parse_head(head)
    parts = status_line.split(' ', 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if status != 101:
        raise HandshakeError(status, parts[2] if len(parts) > 2 else '')
    if h.get('sec-websocket-accept') != accept_key(key):
        raise HandshakeError(status, 'Bad Sec-WebSocket-Accept')
    conn = Connection(sock, client=True)
    conn._buf += rest
    return conn, h.get('sec-websocket-protocol')


# -- the framed connection -----------------------------------------------------------
class Connection:
    """A websocket over a connected blocking socket. ``recv`` from one
    thread; ``send``/``close`` from any (a lock keeps frames whole)."""

    def __init__(self, sock, client=False, max_frame=1 << 16, max_message=None):
        self.sock = sock
        self.client = client
        self.max_frame = max_frame
        self.max_message = max_message or max_frame
        self._buf = bytearray()
        self._send_lock = threading.Lock()
        self._frag_op = None
        self._frag = bytearray()
        self.close_sent = False
        self.close_received = None      # the peer's close code, once received

    # receiving
    def _fill(self, n):
        while len(self._buf) < n:
            chunk = self.sock.recv(max(4096, min(n - len(self._buf), 1 << 16)))
            if not chunk:
                raise ConnectionError('websocket peer went away')
            self._buf += chunk

    def _frame(self):
        """(fin, opcode, payload) of the next frame."""
        self._fill(2)
        b0, b1 = self._buf[0], self._buf[1]
        fin, rsv, opcode = bool(b0 & 0x80), b0 & 0x70, b0 & 0x0F
        masked, n = bool(b1 & 0x80), b1 & 0x7F
        if rsv:
            raise ProtocolError(PROTOCOL_ERROR, 'reserved bits set (no extension agreed)')
        if opcode not in CONTROL and opcode not in DATA:
            raise ProtocolError(PROTOCOL_ERROR, f'unknown opcode {opcode}')
        if masked == self.client:
            raise ProtocolError(PROTOCOL_ERROR, 'a server must not mask its frames'
                                if self.client else 'a client must mask its frames')
        if opcode in CONTROL and (not fin or n > 125):
            raise ProtocolError(PROTOCOL_ERROR, 'control frames are short and whole')
        head = 2 + (2 if n == 126 else 8 if n == 127 else 0)
        self._fill(head)
        if n == 126:
            n = struct.unpack_from('!H', self._buf, 2)[0]
        elif n == 127:
            n = struct.unpack_from('!Q', self._buf, 2)[0]
        if n > self.max_frame:
            raise ProtocolError(TOO_BIG, f'frame of {n} bytes (at most {self.max_frame})')
        key_at = head
        if masked:
            head += 4
        self._fill(head + n)
        payload = bytes(self._buf[head:head + n])
        if masked:
            payload = mask(payload, bytes(self._buf[key_at:key_at + 4]))
        del self._buf[:head + n]
        return fin, opcode, payload

    def recv(self):
        """(opcode TEXT or BINARY, payload) of the next message; None once
        the peer closed (its close answered). ProtocolError: the caller
        should :meth:`fail` with its code."""
        while True:
            fin, opcode, payload = self._frame()
            if opcode == PING:
                self._send(PONG, payload)
                continue
            if opcode == PONG:
                continue
            if opcode == CLOSE:
                return self._closed_by_peer(payload)
            if opcode == CONT:
                if self._frag_op is None:
                    raise ProtocolError(PROTOCOL_ERROR, 'continuation without a start')
            elif self._frag_op is not None:
                raise ProtocolError(PROTOCOL_ERROR, 'new message inside a fragmented one')
            else:
                self._frag_op = opcode
            if len(self._frag) + len(payload) > self.max_message:
                raise ProtocolError(TOO_BIG, f'message over {self.max_message} bytes')
            self._frag += payload
            if fin:
                op, data = self._frag_op, bytes(self._frag)
                self._frag_op, self._frag = None, bytearray()
                if op == TEXT:
                    try:
                        data.decode('utf-8')
                    except UnicodeDecodeError:
                        raise ProtocolError(INVALID_DATA, 'text is not UTF-8') from None
                return op, data

    def _closed_by_peer(self, payload):
        if len(payload) == 1:
            raise ProtocolError(PROTOCOL_ERROR, 'a close payload has a 2-byte code')
        code = struct.unpack('!H', payload[:2])[0] if payload else 1005
        self.close_received = code
        self.close(NORMAL if code in (1005,) else code if 1000 <= code < 5000 else
                   PROTOCOL_ERROR)
        return None

    # sending
    def _send(self, opcode, payload):
        frame = encode_frame(opcode, payload, masked=self.client)
        with self._send_lock:
            if self.close_sent:
                raise ConnectionError('websocket closed')
            self.sock.sendall(frame)

    def send(self, data, opcode=None):
        if opcode is None:
            opcode = TEXT if isinstance(data, str) else BINARY
        if isinstance(data, str):
            data = data.encode('utf-8')
        self._send(opcode, data)

    def ping(self, payload=b''):
        self._send(PING, payload)

    def close(self, code=NORMAL, reason=''):
        """Send a close frame (once); the socket stays open for the peer's."""
        body = struct.pack('!H', code) + reason.encode('utf-8')[:123]
        with self._send_lock:
            if self.close_sent:
                return
            self.close_sent = True
            try:
                self.sock.sendall(encode_frame(CLOSE, body, masked=self.client))
            except OSError:
                pass

    def fail(self, exc):
        """Close after a ProtocolError, and drop the connection."""
        self.close(exc.code, exc.reason)
        self.shutdown()

    def shutdown(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
