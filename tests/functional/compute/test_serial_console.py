"""The serial console end to end with the fake driver: a console URL from
the compute API (remote-consoles and the legacy action), the proxy in this
process, the fake guest's serial port (banner with its uuid, echo)."""
import datetime

import pytest

from iaas import states
from iaas.console import serialproxy
from iaas.db import instances as db_instances
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import ConsoleAuthToken
from tests.console_client import Console, refusal
from tests.functional.compute.conftest import wait_for
from tests.functional.compute.http import create_server

MV26 = {'OpenStack-API-Version': 'compute 2.6'}
SERIAL = {'remote_console': {'protocol': 'serial', 'type': 'serial'}}


@pytest.fixture
def proxy(conf, db_url):
    conf.set_override('enabled', True, group='serial_console')
    p = serialproxy.SerialProxy('127.0.0.1', 0, max_connections=4, idle_timeout=30,
                                max_frame=4096, poll=0.2)
    p.start()
    conf.set_override('base_url', f'ws://127.0.0.1:{p.port}/', group='serial_console')
    yield p
    p.stop()


def _active(sid):
    def ok():
        inst = db_instances.get(sid)
        return inst['vm_state'] == states.ACTIVE and inst['task_state'] is None
    wait_for(ok, what=f'{sid} active')


def _url(api, sid, token=None):
    r = api.c('POST', f'/servers/{sid}/remote-consoles', SERIAL, token or api.alice,
              headers=MV26)
    assert r.status_int == 200, r.body
    rc = r.json['remote_console']
    assert (rc['protocol'], rc['type']) == ('serial', 'serial')
    return rc['url']


def test_serial_console_end_to_end(api, compute_services, proxy):
    a = create_server(api, api.alice, 'con-a')
    b = create_server(api, api.alice, 'con-b')
    _active(a)
    _active(b)
    url = _url(api, a)
    assert url.startswith(f'ws://127.0.0.1:{proxy.port}/?token=')

    with Console(url, origin=f'http://127.0.0.1:{proxy.port}') as con:
        assert con.protocol == 'binary'
        con.expect(f'IAAS-TEST-IMAGE-BOOTED {a}'.encode())
        con.type('echo hi-12345\n')
        con.expect(rb'echo hi-12345\n')
    # the token was used: a second connection is refused
    assert refusal(url) == 403

    # the legacy action gives a URL too; base64 subprotocol when asked
    r = api.c('POST', f'/servers/{b}/action', {'os-getSerialConsole': {'type': 'serial'}},
              api.alice)
    assert r.status_int == 200, r.body
    assert r.json['console']['type'] == 'serial'
    with Console(r.json['console']['url'], protocols=('base64',)) as con:
        assert con.protocol == 'base64'
        con.expect(rb'[A-Za-z0-9+/=]{20,}')            # base64 text frames

    # tokens are bound: a token of A opens A whatever the URL says about B
    url_a = _url(api, a)
    with Console(url_a + f'&instance={b}') as con:
        con.expect(f'IAAS-TEST-IMAGE-BOOTED {a}'.encode())
        assert b.encode() not in con.seen

    # an expired token is refused (moved into the past in the database)
    url = _url(api, a)
    with transaction() as s:
        s.query(ConsoleAuthToken).update(
            {'expires': utcnow() - datetime.timedelta(seconds=1)})
    assert refusal(url) == 403
    # another origin's page may not open a console, and does not use the token up
    url = _url(api, a)
    assert refusal(url, origin='http://evil.example.com') == 403
    assert refusal(url, origin=f'http://127.0.0.1:{proxy.port}') == 0
    assert refusal(url.replace('token=', 'token=x')) == 403

    # admin: what an unused token opens (2.31+)
    url = _url(api, a)
    tok = url.split('token=', 1)[1]
    r = api.c('GET', f'/os-console-auth-tokens/{tok}', token=api.admin,
              headers={'OpenStack-API-Version': 'compute 2.31'})
    assert r.status_int == 200, r.body
    assert r.json['console']['instance_uuid'] == a
    assert api.c('GET', f'/os-console-auth-tokens/{tok}', token=api.alice,
                 headers={'OpenStack-API-Version': 'compute 2.31'}).status_int == 403
    assert api.c('GET', '/os-console-auth-tokens/nope', token=api.admin,
                 headers={'OpenStack-API-Version': 'compute 2.31'}).status_int == 404

    # the guest goes: its serial port goes with it
    assert api.c('DELETE', f'/servers/{a}', token=api.alice).status_int == 204
    wait_for(lambda: a not in compute_services_ports(compute_services), what='port closed')
    wait_for(lambda: _gone(a), what=f'{a} deleted')    # the port closes a little before
    assert refusal(url) == 403
    with transaction() as s:                            # its tokens went with it
        assert not s.query(ConsoleAuthToken).filter_by(instance_uuid=a).count()


def _gone(sid):
    try:
        db_instances.get(sid)
    except db_instances.InstanceNotFound:
        return True
    return False


def compute_services_ports(started):
    ports = set()
    for svc in started:
        drv = getattr(getattr(svc, 'manager', None), 'driver', None)
        ports |= set(getattr(drv, 'serial_ports', {}))
    return ports


def test_console_api_refusals(api, compute_services, proxy):
    sid = create_server(api, api.alice, 'con-r')
    _active(sid)
    # another tenant: 404; a reader: 403
    r = api.c('POST', f'/servers/{sid}/remote-consoles', SERIAL, api.bob, headers=MV26)
    assert r.status_int == 404, r.body
    r = api.c('POST', f'/servers/{sid}/remote-consoles', SERIAL, api.reader, headers=MV26)
    assert r.status_int == 403, r.body
    r = api.c('POST', f'/servers/{sid}/action', {'os-getSerialConsole': {'type': 'serial'}},
              api.bob)
    assert r.status_int == 404, r.body
    # other consoles: 400 (never 500); a bad body: 400; before 2.6: 404
    for proto, typ in (('vnc', 'novnc'), ('spice', 'spice-html5'), ('rdp', 'rdp-html5'),
                       ('mks', 'webmks'), ('serial', 'novnc')):
        r = api.c('POST', f'/servers/{sid}/remote-consoles',
                  {'remote_console': {'protocol': proto, 'type': typ}}, api.alice,
                  headers={'OpenStack-API-Version': 'compute 2.8'})
        assert r.status_int == 400, (proto, r.body)
        assert b'Unavailable console type' in r.body
    for body in ({'remote_console': {'protocol': 'telnet', 'type': 'serial'}},
                 {'remote_console': {'protocol': 'serial'}}, {}):
        r = api.c('POST', f'/servers/{sid}/remote-consoles', body, api.alice, headers=MV26)
        assert r.status_int == 400, (body, r.body)
    r = api.c('POST', f'/servers/{sid}/remote-consoles', SERIAL, api.alice)
    assert r.status_int == 404, r.body
    # not ACTIVE: 409
    assert api.c('POST', f'/servers/{sid}/action', {'os-stop': None},
                 api.alice).status_int == 202
    wait_for(lambda: db_instances.get(sid)['vm_state'] == states.STOPPED, what='stopped')
    r = api.c('POST', f'/servers/{sid}/remote-consoles', SERIAL, api.alice, headers=MV26)
    assert r.status_int == 409, r.body


def test_serial_console_disabled_is_400(api, compute_services):
    sid = create_server(api, api.alice, 'con-off')
    _active(sid)
    r = api.c('POST', f'/servers/{sid}/remote-consoles', SERIAL, api.alice, headers=MV26)
    assert r.status_int == 400 and b'Unavailable console type' in r.body, r.body
