"""The websocket protocol of iaas.console.websocket over a socketpair."""
import socket
import struct
import threading

import pytest

from iaas.console import websocket as ws


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    server = ws.Connection(a, client=False, max_frame=1024, max_message=4096)
    yield server, b
    a.close()
    b.close()


def test_accept_key_of_the_rfc():
    assert ws.accept_key('dGhlIHNhbXBsZSBub25jZQ==') == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


def test_mask_is_its_own_inverse_and_matches_bytewise_xor():
    data, key = bytes(range(256)) * 3 + b'xyz', b'\x01\x80\xff\x37'
    masked = ws.mask(data, key)
    assert masked == bytes(b ^ key[i % 4] for i, b in enumerate(data))
    assert ws.mask(masked, key) == data
    assert ws.mask(b'', key) == b''


def test_masked_client_frames_are_read(pair):
    server, peer = pair
    for size in (0, 5, 125, 126, 1000):
        payload = bytes(i % 251 for i in range(size))
        peer.sendall(ws.encode_frame(ws.BINARY, payload, masked=True))
        assert server.recv() == (ws.BINARY, payload)
    peer.sendall(ws.encode_frame(ws.TEXT, 'héllo'.encode(), masked=True))
    assert server.recv() == (ws.TEXT, 'héllo'.encode())


def test_unmasked_client_frame_is_a_protocol_error(pair):
    server, peer = pair
    peer.sendall(ws.encode_frame(ws.BINARY, b'abc', masked=False))
    with pytest.raises(ws.ProtocolError) as e:
        server.recv()
    assert e.value.code == ws.PROTOCOL_ERROR


def test_client_refuses_masked_server_frames():
    a, b = socket.socketpair()
    client = ws.Connection(a, client=True)
    b.sendall(ws.encode_frame(ws.BINARY, b'x', masked=True))
    with pytest.raises(ws.ProtocolError):
        client.recv()
    a.close()
    b.close()


def test_oversize_frame_refused_before_its_payload_is_read(pair):
    server, peer = pair
    # a 64-bit length announcing 2**40 bytes, and no payload at all
    peer.sendall(bytes([0x82, 0x80 | 127]) + struct.pack('!Q', 1 << 40) + b'mask')
    with pytest.raises(ws.ProtocolError) as e:
        server.recv()
    assert e.value.code == ws.TOO_BIG
    server.fail(e.value)
    frame = peer.recv(64)
    assert frame[0] == 0x88 and struct.unpack('!H', frame[2:4])[0] == ws.TOO_BIG


def test_fragmented_message_is_joined_with_a_ping_between(pair):
    server, peer = pair
    peer.sendall(ws.encode_frame(ws.BINARY, b'he', masked=True, fin=False))
    peer.sendall(ws.encode_frame(ws.PING, b'p1', masked=True))
    peer.sendall(ws.encode_frame(ws.CONT, b'll', masked=True, fin=False))
    peer.sendall(ws.encode_frame(ws.CONT, b'o', masked=True, fin=True))
    assert server.recv() == (ws.BINARY, b'hello')
    pong = peer.recv(64)
    assert pong == bytes([0x8A, 2]) + b'p1'      # answered, unmasked


def test_fragmented_message_over_the_limit_refused(pair):
    server, peer = pair
    peer.sendall(ws.encode_frame(ws.BINARY, b'x' * 1000, masked=True, fin=False))
    for _ in range(3):
        peer.sendall(ws.encode_frame(ws.CONT, b'x' * 1000, masked=True, fin=False))
    peer.sendall(ws.encode_frame(ws.CONT, b'x' * 1000, masked=True, fin=True))
    with pytest.raises(ws.ProtocolError) as e:
        server.recv()
    assert e.value.code == ws.TOO_BIG


def test_bad_fragment_sequences(pair):
    server, peer = pair
    peer.sendall(ws.encode_frame(ws.CONT, b'x', masked=True))
    with pytest.raises(ws.ProtocolError):
        server.recv()


def test_long_control_frame_and_reserved_bits_refused():
    for frame in (bytes([0x89, 0x80 | 126]) + struct.pack('!H', 200) + b'k' * 204,
                  bytes([0xC2, 0x81]) + b'mask' + b'x',
                  bytes([0x83, 0x81]) + b'mask' + b'x'):       # opcode 3: reserved
        a, b = socket.socketpair()
        b.sendall(frame)
        with pytest.raises(ws.ProtocolError):
            ws.Connection(a).recv()
        a.close()
        b.close()


def test_invalid_utf8_text_refused(pair):
    server, peer = pair
    peer.sendall(ws.encode_frame(ws.TEXT, b'\xff\xfe', masked=True))
    with pytest.raises(ws.ProtocolError) as e:
        server.recv()
    assert e.value.code == ws.INVALID_DATA


def test_close_is_answered_with_its_code(pair):
    server, peer = pair
    peer.sendall(ws.encode_frame(ws.CLOSE, struct.pack('!H', 1000) + b'bye', masked=True))
    assert server.recv() is None
    assert server.close_received == 1000 and server.close_sent
    reply = peer.recv(64)
    assert reply[0] == 0x88 and struct.unpack('!H', reply[2:4])[0] == 1000
    with pytest.raises(ConnectionError):
        server.send(b'late')


def test_server_frames_and_a_timeout_mid_frame():
    a, b = socket.socketpair()
    server = ws.Connection(a)
    client = ws.Connection(b, client=True)
    server.send(b'\x00\x01binary')
    server.send('text')
    assert client.recv() == (ws.BINARY, b'\x00\x01binary')
    assert client.recv() == (ws.TEXT, b'text')
    # half a frame, a timeout, then the rest: nothing is lost
    frame = ws.encode_frame(ws.BINARY, b'split-payload', masked=True)
    a.settimeout(0.05)
    b.sendall(frame[:5])
    with pytest.raises(TimeoutError):
        server.recv()
    b.sendall(frame[5:])
    assert server.recv() == (ws.BINARY, b'split-payload')
    a.close()
    b.close()


def test_handshake_both_sides():
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    result = {}

    def serve():
        head, _rest = ws.read_head(a)
        line, headers = ws.parse_head(head)
        path, key = ws.check_request(line, headers)
        result['path'], result['origin'] = path, headers.get('origin')
        proto = ws.pick_subprotocol(headers, ('binary', 'base64'))
        a.sendall(ws.accept_response(key, proto))

    t = threading.Thread(target=serve)
    t.start()
    conn, proto = ws.client_handshake(b, 'h:1', '/?token=abc', origin='http://h',
                                      protocols=('base64', 'binary'))
    t.join(5)
    assert proto == 'base64' and result == {'path': '/?token=abc', 'origin': 'http://h'}
    assert isinstance(conn, ws.Connection) and conn.client
    a.close()
    b.close()


@pytest.mark.parametrize('line,headers,status', [
    ('POST / HTTP/1.1', {}, 405),
    ('GET / HTTP/1.1', {'upgrade': 'websocket', 'connection': 'keep-alive'}, 426),
    ('GET / HTTP/1.1', {'upgrade': 'websocket', 'connection': 'Upgrade',
                        'sec-websocket-version': '8'}, 426),
    ('GET / HTTP/1.1', {'upgrade': 'websocket', 'connection': 'Upgrade',
                        'sec-websocket-version': '13', 'sec-websocket-key': 'short'}, 400),
    ('GET /', {}, 400),
])
def test_bad_upgrade_requests(line, headers, status):
    with pytest.raises(ws.HandshakeError) as e:
        ws.check_request(line, headers)
    assert e.value.status == status


def test_oversize_head_refused():
    a, b = socket.socketpair()
    b.sendall(b'GET / HTTP/1.1\r\nX: ' + b'a' * 9000)
    with pytest.raises(ws.HandshakeError) as e:
        ws.read_head(a)
    assert e.value.status == 431
    a.close()
    b.close()
