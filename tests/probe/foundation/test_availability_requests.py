"""Availability under expensive requests (issue 12): while another user
sends the requests that used to cost seconds or gigabytes — the ReDoS name
filter, ``min_count`` 2^40, a port with 2,000 fixed IPs, a 5,000-``(``
pattern — other users' ``GET /v3`` and ``GET /v2.1/servers`` still answer
within 100 ms at p99, and no attack request gets a 5xx.

The attacker is an ordinary member of its own project, in a process of its
own (4 keep-alive connections); every loop is bounded in time.
"""
import http.client
import json
import multiprocessing
import threading
import time

import pytest

from tests.probe.compute.helpers import Rest
from tests.probe.fixtures import Cloud, wait_for_port
from tests.probe.foundation.test_availability import (
    ATTACK_MAX_SECONDS,
    attack_while_measuring,
    request,
    victim_calls,
)

pytestmark = pytest.mark.slow

ATTACKER_PW = 'attacker-pass-1'
EVIL_NAME = 'a' * 26 + '!'


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    c = Cloud.create(tmp_path_factory.mktemp('availability-requests'))
    try:
        c.start('iaas-api')
        wait_for_port(c.ports['compute_port'], proc=c.daemons['iaas-api'].proc,
                      what='iaas-api')
        c.start('iaas-image', wait_port=c.ports['image'])
        c.attack_setup = _setup(c)
        yield c
    finally:
        c.stop_all()


def _setup(c):
    """An attacker user in its own project with a server named for the
    ReDoS and a network; an image and a flavor it may use."""
    admin = Rest(c)
    image = admin.upload_image('avail-img')
    flavor = admin.create_flavor('avail.small', 64)
    ident = f'http://127.0.0.1:{c.ports["identity_port"]}/v3'
    s = admin.session
    pid = s.post(f'{ident}/projects', json={'project': {'name': 'attackers'}}).json()[
        'project']['id']
    uid = s.post(f'{ident}/users', json={'user': {'name': 'attacker',
                                                  'password': ATTACKER_PW}}).json()['user']['id']
    rid = s.get(f'{ident}/roles?name=member').json()['roles'][0]['id']
    assert s.put(f'{ident}/projects/{pid}/users/{uid}/roles/{rid}').status_code == 204
    evil = Rest(c, 'attacker', ATTACKER_PW, 'attackers')
    r = evil.post('/servers', {'server': {'name': EVIL_NAME, 'imageRef': image,
                                          'flavorRef': flavor, 'networks': 'none'}})
    assert r.status_code == 202, r.text
    net_url = f'http://127.0.0.1:{c.ports["network_port"]}/v2.0'
    net = evil.session.post(f'{net_url}/networks', json={'network': {'name': 'n'}}).json()[
        'network']['id']
    sub = evil.session.post(f'{net_url}/subnets', json={'subnet': {
        'network_id': net, 'cidr': '10.9.0.0/16', 'ip_version': 4}}).json()['subnet']['id']
    return {'token': evil.token, 'image': image, 'flavor': flavor, 'network': net,
            'subnet': sub}


def _hammer(port, method, path, headers, body, until, stop, out):
    """The attacker's process: 4 connections sending the request over and
    over; puts {status: count} on ``out`` at the end."""
    counts, lock = {}, threading.Lock()

    def loop():
        conn = None
        while not stop.is_set() and time.monotonic() < until:
            try:
                conn = conn or http.client.HTTPConnection('127.0.0.1', port, timeout=30)
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                r.read()
                status = r.status
                if r.getheader('Connection', '').lower() == 'close':
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status = 'error'
                conn = None
            with lock:
                counts[status] = counts.get(status, 0) + 1
    threads = [threading.Thread(target=loop) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(counts)


class Hammer:
    def __init__(self, port, method, path, token, body=None):
        ctx = multiprocessing.get_context('spawn')
        self.stop, self.out = ctx.Event(), ctx.Queue()
        headers = {'X-Auth-Token': token, 'Content-Type': 'application/json',
                   'OpenStack-API-Version': 'compute 2.79'}
        raw = None if body is None else json.dumps(body)
        self.proc = ctx.Process(target=_hammer, daemon=True, args=(
            port, method, path, headers, raw, time.monotonic() + ATTACK_MAX_SECONDS,
            self.stop, self.out))
        self.counts = None

    def __enter__(self):
        self.proc.start()
        time.sleep(0)   # the measuring starts at once; the load ramps up with it
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.counts = self.out.get(timeout=60)
        self.proc.join(15)
        if self.proc.is_alive():
            self.proc.kill()
        print(f'attack answers: {self.counts}')
        bad = {k: v for k, v in self.counts.items() if k == 'error' or k >= 500}
        assert not bad, f'attack requests answered {bad}'


def redos_filter(cloud):
    a = cloud.attack_setup
    return Hammer(cloud.ports['compute_port'], 'GET', '/v2.1/servers?name=%5E(a%2B)%2B%24',
                  a['token'])


def open_parentheses(cloud):
    a = cloud.attack_setup
    return Hammer(cloud.ports['compute_port'], 'GET',
                  '/v2.1/servers/detail?name=' + '(' * 5000, a['token'])


def huge_min_count(cloud):
    a = cloud.attack_setup
    return Hammer(cloud.ports['compute_port'], 'POST', '/v2.1/servers', a['token'], {
        'server': {'name': 'x', 'imageRef': a['image'], 'flavorRef': a['flavor'],
                   'networks': 'none', 'min_count': 2 ** 40, 'max_count': 2 ** 40}})


def many_fixed_ips(cloud):
    a = cloud.attack_setup
    ips = [{'subnet_id': a['subnet'], 'ip_address': f'10.9.{i // 250}.{i % 250 + 2}'}
           for i in range(2000)]
    return Hammer(cloud.ports['network_port'], 'POST', '/v2.0/ports', a['token'],
                  {'port': {'network_id': a['network'], 'fixed_ips': ips}})


ATTACKS = [redos_filter, open_parentheses, huge_min_count, many_fixed_ips]


@pytest.fixture(scope='module')
def victim_requests(cloud):
    return victim_calls(cloud)


@pytest.mark.parametrize('attack', ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_other_users_are_served_during_expensive_requests(cloud, victim_requests, attack):
    attack_while_measuring(cloud, attack, victim_requests)
    # The attacker got nothing: its own server list is unchanged (one server).
    a = cloud.attack_setup
    status, _, body = request(cloud.ports['compute_port'], 'GET', '/v2.1/servers',
                              {'X-Auth-Token': a['token']})
    assert status == 200 and [s['name'] for s in json.loads(body)['servers']] == [EVIL_NAME]
