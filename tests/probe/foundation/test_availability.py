"""Availability under attack (issue 12): while one client attacks a real
iaas-api, another user's ``GET /v3`` and ``GET /v2.1/servers`` (with a
valid token) still answer within 100 ms at p99.

An attack is a context manager factory ``attack(cloud)``: it starts the
load, yields once the load is in place, and stops it on exit. Add one to
ATTACKS (or call :func:`attack_while_measuring` from another test) to
check another kind of load. Every loop is bounded in count and time; all
traffic goes to 127.0.0.1.
"""
import contextlib
import http.client
import json
import multiprocessing
import socket
import time

import pytest

from tests.probe.fixtures import Cloud, wait_for_port

pytestmark = pytest.mark.slow

VICTIM_REQUESTS = 200       # per victim request kind
P99_LIMIT = 0.100           # seconds
ATTACK_CONNECTIONS = 100    # per attacked port
ATTACK_MAX_SECONDS = 120    # no attack outlives this, whatever the test does


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    c = Cloud.create(tmp_path_factory.mktemp('availability'))
    c.start('iaas-api')
    wait_for_port(c.ports['compute_port'], proc=c.daemons['iaas-api'].proc, what='iaas-api')
    yield c
    c.stop_all()


def request(port, method, path, headers=None, body=None, timeout=5):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def admin_token(cloud):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': cloud.admin_password}}},
        'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}}
    status, headers, _ = request(cloud.ports['identity_port'], 'POST', '/v3/auth/tokens',
                                 {'Content-Type': 'application/json'}, json.dumps(body))
    assert status == 201
    return dict(headers)['X-Subject-Token']


@pytest.fixture(scope='module')
def victim_requests(cloud):
    return victim_calls(cloud)


def victim_calls(cloud):
    """(name, callable returning the HTTP status) — each on a new connection."""
    token = admin_token(cloud)
    ident, comp = cloud.ports['identity_port'], cloud.ports['compute_port']
    return [
        ('GET /v3', lambda: request(ident, 'GET', '/v3')[0]),
        ('GET /v2.1/servers', lambda: request(comp, 'GET', '/v2.1/servers',
                                              {'X-Auth-Token': token})[0]),
    ]


def p99(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def measure(victim_requests, count):
    took = {name: [] for name, _ in victim_requests}
    for _ in range(count):
        for name, call in victim_requests:
            start = time.monotonic()
            status = call()
            took[name].append(time.monotonic() - start)
            assert 200 <= status < 300, (name, status)
    return {name: (sorted(v)[len(v) // 2], p99(v), max(v)) for name, v in took.items()}


def show(label, stats):
    return f'{label}: ' + '; '.join(
        f'{n}: p50 {a * 1000:.1f} ms, p99 {b * 1000:.1f} ms, max {c * 1000:.1f} ms'
        for n, (a, b, c) in stats.items())


def attack_while_measuring(cloud, attack, victim_requests, count=VICTIM_REQUESTS,
                           limit=P99_LIMIT):
    """Run ``attack(cloud)`` and, meanwhile, each victim request ``count``
    times; assert every answer is 2xx and p99 latency ≤ ``limit``.

    The same requests are first measured without the attack: on a machine
    so loaded that they already miss ``limit`` (other test runs on a small
    CI box), the bound is twice that baseline instead — an attack that
    holds request threads turns answers into time-outs either way.
    Returns {name: (p50, p99, max)} in seconds under the attack."""
    base = measure(victim_requests, count)
    with attack(cloud):
        stats = measure(victim_requests, count)
    print(f'\n{show("baseline", base)}\n{show(attack.__name__, stats)}')
    slow = {n: s for n, s in stats.items() if s[1] > max(limit, 2 * base[n][1])}
    assert not slow, (f'p99 over {limit * 1000:.0f} ms (baseline {base}) under '
                      f'{attack.__name__}: {slow}')
    return stats


def _trickle(ports, opening, drip, n, interval, until, ready, stop):
    """The attacker's process: ``n`` connections to each port that send
    ``opening`` once, then one ``drip`` every ``interval`` s; a connection
    the server closed is opened again (as an attacker would)."""
    def open_one(port):
        s = socket.create_connection(('127.0.0.1', port), timeout=2)
        s.sendall(opening)
        s.setblocking(False)
        return port, s
    socks = [open_one(p) for p in ports for _ in range(n)]
    ready.set()
    while not stop.is_set() and time.monotonic() < until:
        for i, (port, s) in enumerate(socks):
            try:
                s.send(drip)
            except OSError:
                s.close()
                with contextlib.suppress(OSError):
                    socks[i] = open_one(port)
        stop.wait(interval)
    for _port, s in socks:
        s.close()


class Trickler:
    """Runs :func:`_trickle` in its own process (so the attacker does not
    share the measuring client's interpreter lock)."""

    def __init__(self, ports, opening, drip, n=ATTACK_CONNECTIONS, interval=1.0):
        ctx = multiprocessing.get_context('spawn')
        self.ready, self.stop = ctx.Event(), ctx.Event()
        self.proc = ctx.Process(target=_trickle, daemon=True, args=(
            ports, opening, drip, n, interval, time.monotonic() + ATTACK_MAX_SECONDS,
            self.ready, self.stop))

    def __enter__(self):
        self.proc.start()
        if not self.ready.wait(60):
            self.proc.kill()
            raise AssertionError('the attack did not start')
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.proc.join(15)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


def api_ports(cloud):
    return [cloud.ports['identity_port'], cloud.ports['compute_port']]


def trickle_headers(cloud):
    """100 connections per API port sending one header line a second."""
    return Trickler(api_ports(cloud), b'GET /v3 HTTP/1.1\r\nHost: x\r\n', b'X-Slow: 1\r\n')


def trickle_bodies(cloud):
    """100 connections per API port announcing a JSON body and sending
    one byte of it a second."""
    return Trickler(api_ports(cloud), b'POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\n'
                    b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
                    b' ')


def trickle_chunked_bodies(cloud):
    """The same with a chunked body of one-byte chunks."""
    return Trickler(api_ports(cloud), b'POST /v2.1/servers HTTP/1.1\r\nHost: x\r\n'
                    b'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
                    b'1\r\n{\r\n', b'1\r\n \r\n')


ATTACKS = [trickle_headers, trickle_bodies, trickle_chunked_bodies]


@pytest.mark.parametrize('attack', ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_other_users_are_served_under_attack(cloud, victim_requests, attack):
    attack_while_measuring(cloud, attack, victim_requests)
    # and the API still answers normally afterwards
    assert victim_requests[0][1]() == 200
