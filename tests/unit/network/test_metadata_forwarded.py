"""Whose request is it: the TCP peer, or the right-most X-Forwarded-For
entry from a trusted proxy only (issue 12, finding 6)."""
import webob

from iaas.api.metadata import app
from iaas.network import metadata_proxy


def _addr(remote, xff=None):
    headers = {'X-Forwarded-For': xff} if xff is not None else {}
    return app._client_address(webob.Request.blank('/', remote_addr=remote, headers=headers))


def test_rightmost_entry_from_a_trusted_proxy(conf):
    # the guest appended its own chain; the proxy added the real peer last
    assert _addr('127.0.0.1', '10.0.0.9, 10.0.0.5') == '10.0.0.5'
    assert _addr('127.0.0.1', '10.0.0.9,10.0.0.5 ') == '10.0.0.5'
    assert _addr('127.0.0.1', '10.0.0.5') == '10.0.0.5'
    assert _addr('127.0.0.1') == '127.0.0.1'


def test_untrusted_peer_is_itself(conf):
    assert _addr('10.0.0.7', '10.0.0.5') == '10.0.0.7'
    assert _addr('10.0.0.7', '127.0.0.1, 10.0.0.5') == '10.0.0.7'


def test_trusted_proxies_configurable(conf):
    conf.set_override('trusted_proxies', ['192.0.2.1'], group='metadata')
    assert _addr('127.0.0.1', '10.0.0.5') == '127.0.0.1'
    assert _addr('192.0.2.1', '10.0.0.9, 10.0.0.5') == '10.0.0.5'


def test_signature():
    sig = metadata_proxy.sign('k', 'net-1', '10.0.0.5')
    assert metadata_proxy.verify('k', 'net-1', '10.0.0.5', sig)
    for args in (('k2', 'net-1', '10.0.0.5'), ('k', 'net-2', '10.0.0.5'),
                 ('k', 'net-1', '10.0.0.6')):
        assert not metadata_proxy.verify(*args, sig)
    assert not metadata_proxy.verify('k', 'net-1', '10.0.0.5', None)
