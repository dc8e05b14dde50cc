"""Free TCP ports for the daemons a test starts.

A port found by binding port 0 is one of the kernel's ephemeral ports
(``ip_local_port_range``, 32768-60999 on Debian): between the test closing
its probe socket and the daemon binding the port, any outgoing connection on
the machine may take it (seen in CI, where the conformance suites run beside
pytest and open thousands of connections). So ports are picked at random
below that range instead, where outgoing connections never land, above the
conformance runner's ranges (``PORT_BASE`` 20000 or 26000, 50 per suite), each
one checked by binding it, and none handed out twice within the last few
thousand by this process.
"""
import collections
import random
import socket
import threading

LOW, HIGH = 27000, 32700
_recent = collections.deque(maxlen=4000)
_lock = threading.Lock()


def _bindable(port, host):
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(n, host='127.0.0.1'):
    """``n`` distinct ports that nothing listens on now."""
    out = []
    with _lock:
        for _ in range(100 * n + 100):
            if len(out) == n:
                break
            port = random.randrange(LOW, HIGH)
            if port in _recent or port in out or not _bindable(port, host):
                continue
            out.append(port)
            _recent.append(port)
    if len(out) < n:
        raise RuntimeError(f'no {n} free ports in {LOW}-{HIGH}')
    return out


def free_port(host='127.0.0.1'):
    return free_ports(1, host)[0]
