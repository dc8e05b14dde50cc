"""User messages (/v3/{project}/messages, 3.3+) against the in-process cloud:
a volume no backend can take, a driver that fails a create, a snapshot or
an extend leave a message of the resource's project; list (filters, sort,
paging), show, delete; another project's is 404, an admin sees all;
expired messages are hidden and purged."""
import datetime
import re
import time

import pytest

from iaas.db import volume_messages as db_messages
from iaas.db.base import utcnow
from iaas.volume import messages as user_messages
from iaas.volume.drivers import file as file_driver
from iaas.volume.drivers.base import DriverError

KEYS = {'id', 'event_id', 'user_message', 'message_level', 'created_at', 'guaranteed_until',
        'request_id', 'links', 'resource_type', 'resource_uuid'}
TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$')


def _messages(cloud, query='', token=None, project=None, status=200):
    r = cloud.v('GET', f'/messages{query}', token=token, project=project, version='3.5')
    assert r.status_int == status, r.body
    return r.json['messages'] if status == 200 else r


def _of(cloud, resource_uuid, token=None, project=None):
    return [m for m in _messages(cloud, token=token, project=project)
            if m.get('resource_uuid') == resource_uuid]


def _unplaceable(cloud):
    """A volume of a type no backend suits (tempest's way to provoke a message)."""
    r = cloud.v('POST', '/types', {'volume_type': {'name': 'bogus', 'extra_specs': {
        'storage_protocol': 'carrier-pigeon', 'vendor_name': 'nobody'}}},
        token=cloud.admin, project=cloud.admin_project)
    assert r.status_int == 200, r.body
    vol = cloud.create(volume_type='bogus')
    cloud.wait_status(vol['id'], 'error')
    # the scheduler records the message just after the status it won
    deadline = time.monotonic() + 10
    while not _of(cloud, vol['id']):
        assert time.monotonic() < deadline, 'no message for the volume within 10 s'
        time.sleep(0.02)
    return vol


def test_no_backend_leaves_a_message(cloud):
    vol = _unplaceable(cloud)
    [msg] = _of(cloud, vol['id'])
    assert set(msg) == KEYS
    assert msg['event_id'] == 'VOLUME_VOLUME_001_003'
    assert msg['user_message'] == ('schedule allocate volume:Could not find any available '
                                   'weighted backend.')
    assert (msg['message_level'], msg['resource_type']) == ('ERROR', 'VOLUME')
    assert msg['request_id'].startswith('req-')
    assert TIME.match(msg['created_at']) and TIME.match(msg['guaranteed_until'])
    created = datetime.datetime.fromisoformat(msg['created_at'])
    until = datetime.datetime.fromisoformat(msg['guaranteed_until'])
    assert until - created == datetime.timedelta(days=30) or \
        abs((until - created).total_seconds() - 30 * 86400) < 2
    assert msg['links'][0]['href'].endswith(f"/v3/{cloud.a_project}/messages/{msg['id']}")

    shown = cloud.v('GET', f"/messages/{msg['id']}", version='3.3')
    assert shown.status_int == 200 and shown.json == {'message': msg}
    # below 3.3 there are no messages (Cinder's 404)
    assert cloud.v('GET', '/messages', version='3.2').status_int == 404
    assert cloud.v('GET', f"/messages/{msg['id']}", version='3.0').status_int == 404

    # delete: 204, then gone
    r = cloud.v('DELETE', f"/messages/{msg['id']}", version='3.3')
    assert r.status_int == 204 and r.body == b'', r.body
    r = cloud.v('GET', f"/messages/{msg['id']}", version='3.3')
    assert r.status_int == 404 and 'itemNotFound' in r.json, r.body
    assert cloud.v('DELETE', f"/messages/{msg['id']}", version='3.3').status_int == 404
    assert _of(cloud, vol['id']) == []


def test_driver_failures_leave_messages(cloud, monkeypatch):
    good = cloud.create(name='good')
    cloud.wait_status(good['id'], 'available')

    def fail(*args, **kwargs):
        raise DriverError('the disk caught fire')
    monkeypatch.setattr(file_driver.FileDriver, 'create_volume', fail)
    monkeypatch.setattr(file_driver.FileDriver, 'create_snapshot', fail)
    monkeypatch.setattr(file_driver.FileDriver, 'extend_volume', fail)
    bad = cloud.create(name='bad')
    cloud.wait_status(bad['id'], 'error')
    snap = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': good['id']}}).json[
        'snapshot']
    cloud.wait_status(snap['id'], 'error', kind='snapshots')
    r = cloud.v('POST', f"/volumes/{good['id']}/action", {'os-extend': {'new_size': 2}})
    assert r.status_int == 202, r.body
    cloud.wait_status(good['id'], 'error_extending')

    assert [m['event_id'] for m in _of(cloud, bad['id'])] == ['VOLUME_VOLUME_008_012']
    [s] = _of(cloud, snap['id'])
    assert (s['event_id'], s['resource_type'], s['user_message']) == (
        'VOLUME_VOLUME_SNAPSHOT_009_013', 'VOLUME_SNAPSHOT',
        'create snapshot:Snapshot failed to create.')
    [e] = _of(cloud, good['id'])
    assert e['event_id'] == 'VOLUME_VOLUME_007_010'
    # filters, sort and paging
    everything = _messages(cloud)
    assert len(everything) == 3
    assert [m['id'] for m in _messages(cloud, '?resource_type=VOLUME_SNAPSHOT')] == [s['id']]
    assert [m['id'] for m in _messages(cloud, f"?resource_uuid={bad['id']}")] == \
        [m['id'] for m in _of(cloud, bad['id'])]
    assert _messages(cloud, '?event_id=VOLUME_VOLUME_001_003') == []
    asc = _messages(cloud, '?sort=created_at:asc')
    assert [m['id'] for m in asc] == [m['id'] for m in reversed(everything)]
    r = cloud.v('GET', '/messages?limit=2', version='3.5')
    first = r.json['messages']
    assert len(first) == 2 and 'marker=' in r.json['messages_links'][0]['href']
    rest = _messages(cloud, f"?limit=2&marker={first[-1]['id']}")
    assert [m['id'] for m in first + rest] == [m['id'] for m in everything]
    # bad input: 400/404 in Cinder's format, never 500
    for query, status in (('?sort=bogus:asc', 400), ('?limit=-1', 400),
                          ('?nonsense=1', 400), ('?marker=nope', 404)):
        r = _messages(cloud, query, status=status)
        assert ('badRequest' if status == 400 else 'itemNotFound') in r.json, (query, r.body)


def test_other_projects_do_not_see_them_admin_does(cloud):
    vol = _unplaceable(cloud)
    [msg] = _of(cloud, vol['id'])
    path = f"/messages/{msg['id']}"
    # bob, of another project, in his own project's path: not found
    assert _messages(cloud, token=cloud.bob, project=cloud.b_project) == []
    for method in ('GET', 'DELETE'):
        r = cloud.v(method, path, token=cloud.bob, project=cloud.b_project, version='3.3')
        assert r.status_int == 404, r.body
        # …and in alice's project's path: refused by the route's rule
        r = cloud.v(method, path, token=cloud.bob, version='3.3')
        assert r.status_int in (403, 404), r.body
    # alice's reader sees it but may not delete it
    assert cloud.v('GET', path, token=cloud.reader, version='3.3').status_int == 200
    assert cloud.v('DELETE', path, token=cloud.reader, version='3.3').status_int == 403
    # the admin sees every project's
    admin = {'token': cloud.admin, 'project': cloud.admin_project}
    assert msg['id'] in [m['id'] for m in _messages(cloud, **admin)]
    assert cloud.v('GET', path, version='3.3', **admin).status_int == 200
    assert cloud.v('GET', path, version='3.3').status_int == 200


def test_expired_messages_are_hidden_and_purged(cloud):
    vol = _unplaceable(cloud)
    [msg] = _of(cloud, vol['id'])
    old = db_messages.create({
        'project_id': cloud.a_project, 'resource_type': 'VOLUME', 'resource_uuid': vol['id'],
        'request_id': 'req-old', 'event_id': 'VOLUME_VOLUME_001_003', 'action_id': '001',
        'detail_id': '003', 'message_level': 'ERROR',
        'expires_at': utcnow() - datetime.timedelta(seconds=1)})
    assert cloud.v('GET', f"/messages/{old['uuid']}", version='3.3').status_int == 404
    assert [m['id'] for m in _of(cloud, vol['id'])] == [msg['id']]
    assert user_messages.purge_expired() == 1
    # 30 days on (message_ttl), the other one goes too
    assert db_messages.purge_expired(utcnow() + datetime.timedelta(days=30, seconds=5)) == 1
    assert _of(cloud, vol['id']) == []


@pytest.mark.parametrize('ttl', [60])
def test_message_ttl_is_configurable(cloud, conf, ttl):
    conf.set_override('message_ttl', ttl, group='volume')
    vol = _unplaceable(cloud)
    [msg] = _of(cloud, vol['id'])
    until = datetime.datetime.fromisoformat(msg['guaranteed_until'])
    created = datetime.datetime.fromisoformat(msg['created_at'])
    assert abs((until - created).total_seconds() - ttl) < 2
