"""Host keys and signed conductor calls (iaas/conductor/hostauth.py), alone
and over a real bus: the conductor's RPC server serves only calls signed
with the sending host's key, and tells the endpoint who sent them."""
import os
import stat
import threading
import time

import pytest

from iaas import rpc
from iaas.conductor import hostauth
from iaas.context import RequestContext
from iaas.exception import HostNotAuthorized

MASTER = b'0123456789abcdef0123456789abcdef'


def test_keys_differ_per_host_and_role():
    keys = {hostauth.derive(MASTER, h, r) for h in ('c1', 'c2') for r in hostauth.ROLES}
    assert len(keys) == 2 * len(hostauth.ROLES)
    assert hostauth.derive(MASTER, 'c1', 'compute') != hostauth.derive(b'x' * 32, 'c1',
                                                                        'compute')
    with pytest.raises(ValueError):
        hostauth.derive(MASTER, 'c1', 'admin')


def test_master_key_is_made_once_private(conf):
    a = hostauth.load_master(create=True)
    path = conf.conductor.master_key_file
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(a) == 64
    assert hostauth.load_master(create=True) == a == hostauth.load_master()


def _signer(conf, host, role, master=MASTER):
    conf.set_override(f'{role}_key', hostauth.derive(master, host, role), group='conductor')
    return hostauth.Signer(role, host)


def test_a_signed_call_names_its_host(conf):
    body = {'iaas': 1, 'method': 'instance_get', 'args': {'instance_uuid': 'u'}}
    request, caller = hostauth.Verifier(MASTER)(_signer(conf, 'c1', 'compute')(body))
    assert caller == hostauth.Caller('c1', 'compute')
    assert request['method'] == 'instance_get' and request['args'] == body['args']


@pytest.mark.parametrize('tamper', [
    lambda e: e.update(sender='c2'),                            # claims another host
    lambda e: e.update(role='network'),                         # claims another role
    lambda e: e.update(signed=e['signed'].replace('"u"', '"v"')),   # changed request
    lambda e: e.update(sig='0' * 64),
    lambda e: e.pop('sig'),
    lambda e: e.update(role='admin'),
])
def test_forged_envelopes_are_refused(conf, tamper):
    env = _signer(conf, 'c1', 'compute')({'method': 'instance_get',
                                          'args': {'instance_uuid': 'u'}})
    tamper(env)
    with pytest.raises(HostNotAuthorized):
        hostauth.Verifier(MASTER)(env)


def test_a_key_of_another_cloud_and_old_calls_are_refused(conf):
    env = _signer(conf, 'c1', 'compute', master=b'y' * 32)({'method': 'm'})
    with pytest.raises(HostNotAuthorized, match='bad signature'):
        hostauth.Verifier(MASTER)(env)
    signer = _signer(conf, 'c1', 'compute')
    conf.set_override('max_message_age', 10, group='conductor')
    real = time.time
    try:
        time.time = lambda: real() - 11
        old = signer({'method': 'm'})
    finally:
        time.time = real
    with pytest.raises(HostNotAuthorized, match='replayed'):
        hostauth.Verifier(MASTER)(old)


def test_a_replayed_call_is_refused(conf, monkeypatch):
    signer, verifier = _signer(conf, 'c1', 'compute'), hostauth.Verifier(MASTER)
    env = signer({'method': 'm'})
    verifier(env)
    with pytest.raises(HostNotAuthorized, match='replayed'):
        verifier(dict(env))
    verifier(signer({'method': 'm'}))             # the same request, sent again: new
    monkeypatch.setattr(hostauth.Verifier, 'MAX_SEEN', 2)
    for _ in range(3):                            # memory stays bounded
        verifier(signer({'method': 'm'}))
    assert len(verifier._seen) <= 2


def test_without_a_key_the_signer_says_how_to_make_one(conf):
    conf.set_override('rpc_response_timeout', 1)
    with pytest.raises(HostNotAuthorized, match='iaas-manage conductor host-key c9 network'):
        hostauth.Signer('network', 'c9')({'method': 'm'})


class Endpoint:
    def __init__(self):
        self.callers = []

    @rpc.expose
    def whoami(self, context):
        self.callers.append(context.caller)
        return context.caller.host


@pytest.fixture
def server(conf, transport_url):
    conf.set_override('rpc_response_timeout', 10)
    endpoint = Endpoint()
    srv = rpc.RPCServer('hostauth-test', 'srv', endpoint,
                        verifier=hostauth.Verifier(hostauth.load_master(create=True)))
    srv.start()
    assert srv.ready.wait(10)
    yield endpoint
    srv.stop(timeout=2)


def test_over_the_bus_only_signed_calls_are_served(conf, server):
    ctx = RequestContext()
    signed = rpc.RPCClient('hostauth-test', timeout=10,
                           signer=hostauth.Signer('compute', 'c1'))   # key from the master
    assert signed.call(ctx, 'whoami') == 'c1'
    assert server.callers == [hostauth.Caller('c1', 'compute')]
    with pytest.raises(HostNotAuthorized, match='signed'):
        rpc.RPCClient('hostauth-test', timeout=10).call(ctx, 'whoami')
    forged = rpc.RPCClient('hostauth-test', timeout=10,
                           signer=_signer(conf, 'c1', 'compute', master=b'z' * 32))
    with pytest.raises(HostNotAuthorized, match='bad signature'):
        forged.call(ctx, 'whoami')
    assert len(server.callers) == 1


def test_a_host_waits_for_the_master_key_of_a_conductor_starting_beside_it(conf):
    conf.set_override('rpc_response_timeout', 10)
    signer = hostauth.Signer('compute', 'c1')
    later = threading.Timer(0.3, hostauth.load_master, kwargs={'create': True})
    later.start()
    env = signer({'method': 'm'})
    later.join()
    assert hostauth.Verifier(hostauth.load_master())(env)[1].host == 'c1'
