"""The fake driver's serial ports: a small TCP server per guest on
127.0.0.1 that greets each connection with the line the test image
prints once booted (``IAAS-TEST-IMAGE-BOOTED <uuid>``) and echoes back
every byte it receives, so console tests can go end to end without a
hypervisor."""
import logging
import socket
import threading

LOG = logging.getLogger(__name__)

BANNER = 'IAAS-TEST-IMAGE-BOOTED {uuid}\r\nfake-guest login: '


class SerialPort:
    def __init__(self, uuid, host='127.0.0.1'):
        self.uuid = uuid
        self.sock = socket.create_server((host, 0))
        self.host, self.port = host, self.sock.getsockname()[1]
        self._conns = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name=f'fake-serial-{uuid[:8]}',
                         daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self._conns.add(conn)
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn):
        try:
            conn.sendall(BANNER.format(uuid=self.uuid).encode())
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def close(self):
        with self._lock:
            self._closed = True
            conns = list(self._conns)
        for s in [self.sock, *conns]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
