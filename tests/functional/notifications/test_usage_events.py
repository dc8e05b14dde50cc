"""Every billable change emits its usage event on the bus, with the contract's
payload, exactly once: servers, volumes, snapshots, images and floating IPs
driven through their REST APIs, read by a consumer of the notifications
queue. And emitting never holds up a boot."""
import collections

import pytest

from iaas import notifications
from tests.functional.compute.conftest import wait_for
from tests.functional.notifications.conftest import check_envelope

INSTANCE = 'compute.instance.'


def _status(cloud, sid, status):
    def check():
        r = cloud.c('GET', f'/servers/{sid}', token=cloud.alice)
        if r.status_int == 404:
            return status == 'DELETED'
        return r.json['server']['status'] == status and r.json['server']
    return wait_for(check, what=f'server {sid} {status}')


def _action(cloud, sid, body):
    r = cloud.c('POST', f'/servers/{sid}/action', body, cloud.alice)
    assert r.status_int in (202, 204), r.body


def test_server_lifecycle(cloud):
    ev = cloud.events
    sid = cloud.server()
    created = ev.wait(sid, INSTANCE + 'create.end')
    p = check_envelope(created, 'instance')
    assert created['publisher_id'].startswith('conductor.')
    assert p['resource_id'] == sid and p['project_id'] == cloud.a_project
    assert p['user_id'] and p['state'] == 'active'
    assert (p['flavor_id'], p['flavor_name'], p['vcpus'], p['memory_mb'], p['root_gb']) == \
        ('n-1', 'n.small', 1, 128, 1)

    _action(cloud, sid, {'os-stop': None})
    _status(cloud, sid, 'SHUTOFF')
    assert check_envelope(ev.wait(sid, INSTANCE + 'power_off.end'),
                          'instance')['state'] == 'stopped'
    _action(cloud, sid, {'os-start': None})
    _status(cloud, sid, 'ACTIVE')
    assert check_envelope(ev.wait(sid, INSTANCE + 'power_on.end'),
                          'instance')['state'] == 'active'

    _action(cloud, sid, {'resize': {'flavorRef': cloud.flavor2}})
    _status(cloud, sid, 'VERIFY_RESIZE')
    # billed with the new flavor from the confirm, not before
    assert INSTANCE + 'resize.confirm.end' not in ev.types(sid)
    _action(cloud, sid, {'confirmResize': None})
    confirmed = check_envelope(ev.wait(sid, INSTANCE + 'resize.confirm.end'), 'instance')
    assert (confirmed['flavor_id'], confirmed['flavor_name'], confirmed['vcpus'],
            confirmed['memory_mb'], confirmed['root_gb']) == ('n-2', 'n.large', 2, 256, 2)
    assert confirmed['state'] == 'active'

    assert cloud.c('DELETE', f'/servers/{sid}', token=cloud.alice).status_int == 204
    _status(cloud, sid, 'DELETED')
    gone = check_envelope(ev.wait(sid, INSTANCE + 'delete.end'), 'instance')
    assert gone['state'] == 'deleted' and gone['flavor_name'] == 'n.large'

    ev.settled()
    assert collections.Counter(ev.types(sid)) == {
        INSTANCE + t: 1 for t in ('create.end', 'power_off.end', 'power_on.end',
                                  'resize.confirm.end', 'delete.end')}
    # in the order the changes happened, each with its own message id
    msgs = ev.of(sid)
    assert [m['event_type'] for m in msgs] == [
        INSTANCE + t for t in ('create.end', 'power_off.end', 'power_on.end',
                               'resize.confirm.end', 'delete.end')]
    assert len({m['message_id'] for m in msgs}) == len(msgs)
    ats = [m['payload']['at'] for m in msgs]
    assert ats == sorted(ats)


def test_pause_suspend(cloud):
    ev = cloud.events
    sid = cloud.server()
    for action, status, event in (('pause', 'PAUSED', 'pause.end'),
                                  ('unpause', 'ACTIVE', 'unpause.end'),
                                  ('suspend', 'SUSPENDED', 'suspend.end'),
                                  ('resume', 'ACTIVE', 'resume.end')):
        _action(cloud, sid, {action: None})
        _status(cloud, sid, status)
        ev.wait(sid, INSTANCE + event)
    states = [m['payload']['state'] for m in ev.of(sid)]
    assert states == ['active', 'paused', 'active', 'suspended', 'active']


def test_volume_extend_snapshot_delete(cloud):
    ev = cloud.events
    vol = cloud.create(size=1, name='data')
    cloud.wait_status(vol['id'], 'available')
    created = ev.wait(vol['id'], 'volume.create.end')
    p = check_envelope(created, 'volume')
    assert (p['state'], p['size_gb'], p['project_id']) == ('available', 1, cloud.a_project)
    assert p['volume_type'] == '__DEFAULT__'

    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-extend': {'new_size': 2}})
    assert r.status_int == 202, r.body
    cloud.wait_status(vol['id'], 'available')
    resized = check_envelope(ev.wait(vol['id'], 'volume.resize.end'), 'volume')
    assert resized['size_gb'] == 2 and resized['state'] == 'available'

    r = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id'], 'name': 's'}})
    assert r.status_int == 202, r.body
    sid = r.json['snapshot']['id']
    cloud.wait_status(sid, 'available', kind='snapshots')
    snap = check_envelope(ev.wait(sid, 'snapshot.create.end'), 'snapshot')
    assert (snap['size_gb'], snap['volume_id'], snap['state']) == (2, vol['id'], 'available')
    assert cloud.v('DELETE', f'/snapshots/{sid}').status_int == 202
    cloud.wait_status(sid, 'deleted', kind='snapshots')
    assert check_envelope(ev.wait(sid, 'snapshot.delete.end'), 'snapshot')['state'] == \
        'deleted'

    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 202
    cloud.wait_status(vol['id'], 'deleted')
    gone = check_envelope(ev.wait(vol['id'], 'volume.delete.end'), 'volume')
    assert gone['state'] == 'deleted' and gone['size_gb'] == 2

    ev.settled()
    assert collections.Counter(ev.types(vol['id'])) == {
        'volume.create.end': 1, 'volume.resize.end': 1, 'volume.delete.end': 1}
    assert collections.Counter(ev.types(sid)) == {
        'snapshot.create.end': 1, 'snapshot.delete.end': 1}


def test_image_upload_and_delete(cloud):
    ev = cloud.events
    r = cloud.img('POST', '/v2/images', {'name': 'up', 'disk_format': 'raw',
                                         'container_format': 'bare'})
    assert r.status_int == 201, r.body
    iid = r.json_or_none['id']
    data = b'x' * 10_000
    r = cloud.img('PUT', f'/v2/images/{iid}/file', raw=data)
    assert r.status_int == 204, r.body
    up = check_envelope(ev.wait(iid, 'image.upload'), 'image')
    assert (up['size_bytes'], up['state'], up['project_id']) == \
        (len(data), 'active', cloud.a_project)
    assert cloud.img('DELETE', f'/v2/images/{iid}').status_int == 204
    gone = check_envelope(ev.wait(iid, 'image.delete'), 'image')
    assert gone['state'] == 'deleted' and gone['size_bytes'] == len(data)
    ev.settled()
    assert collections.Counter(ev.types(iid)) == {'image.upload': 1, 'image.delete': 1}


def test_floating_ip_allocate_associate_release(cloud):
    ev = cloud.events
    admin = cloud.admin
    ext = cloud.n('POST', '/v2.0/networks', {'network': {
        'name': 'public', 'router:external': True}}, admin)
    assert ext.status_int == 201, ext.body
    ext_id = ext.json['network']['id']
    assert cloud.n('POST', '/v2.0/subnets', {'subnet': {
        'network_id': ext_id, 'cidr': '203.0.113.0/24', 'ip_version': 4}},
        admin).status_int == 201
    net = cloud.n('POST', '/v2.0/networks', {'network': {'name': 'priv'}}).json['network']
    sub = cloud.n('POST', '/v2.0/subnets', {'subnet': {
        'network_id': net['id'], 'cidr': '10.9.0.0/24', 'ip_version': 4}}).json['subnet']
    router = cloud.n('POST', '/v2.0/routers', {'router': {
        'name': 'r', 'external_gateway_info': {'network_id': ext_id}}}).json['router']
    assert cloud.n('PUT', f"/v2.0/routers/{router['id']}/add_router_interface",
                   {'subnet_id': sub['id']}).status_int == 200
    port = cloud.n('POST', '/v2.0/ports', {'port': {'network_id': net['id']}}).json['port']

    r = cloud.n('POST', '/v2.0/floatingips', {'floatingip': {'floating_network_id': ext_id}})
    assert r.status_int == 201, r.body
    fip = r.json['floatingip']
    made = check_envelope(ev.wait(fip['id'], 'floatingip.create.end'), 'floating_ip')
    assert (made['state'], made['port_id'], made['floating_ip_address'],
            made['project_id']) == ('allocated', None, fip['floating_ip_address'],
                                    cloud.a_project)

    r = cloud.n('PUT', f"/v2.0/floatingips/{fip['id']}", {'floatingip': {
        'port_id': port['id']}})
    assert r.status_int == 200, r.body
    wait_for(lambda: [m for m in ev.of(fip['id']) if m['payload']['port_id'] == port['id']],
             what='associated')
    r = cloud.n('PUT', f"/v2.0/floatingips/{fip['id']}", {'floatingip': {'port_id': None}})
    assert r.status_int == 200, r.body
    wait_for(lambda: ev.types(fip['id']).count('floatingip.update.end') == 2,
             what='disassociated')
    assert cloud.n('DELETE', f"/v2.0/floatingips/{fip['id']}").status_int == 204
    gone = check_envelope(ev.wait(fip['id'], 'floatingip.delete.end'), 'floating_ip')
    assert gone['state'] == 'deleted'

    ev.settled()
    msgs = ev.of(fip['id'])
    assert [(m['event_type'], m['payload']['port_id']) for m in msgs] == [
        ('floatingip.create.end', None), ('floatingip.update.end', port['id']),
        ('floatingip.update.end', None), ('floatingip.delete.end', None)]
    for m in msgs:
        check_envelope(m, 'floating_ip')


class _Blocking:
    def __init__(self):
        import threading
        self.release = threading.Event()
        self.calls = 0

    def send(self, message, topic):
        self.calls += 1
        self.release.wait(60)


class _Failing:
    calls = 0

    def send(self, message, topic):
        self.calls += 1
        raise ConnectionError('the broker refused the publish')


@pytest.mark.parametrize('driver', [_Blocking, _Failing])
def test_a_stuck_or_failing_bus_never_holds_up_a_boot(cloud, monkeypatch, driver):
    """With a publish that never returns (or always fails), servers still go
    ACTIVE within the usual deadline, and delete, as with a healthy bus."""
    notifications.reset()
    bus = driver()
    monkeypatch.setitem(notifications.DRIVERS, 'messaging', bus)
    try:
        sids = [cloud.server(name=f'vm{i}') for i in range(3)]   # each waits for ACTIVE
        wait_for(lambda: bus.calls >= 1, what='a publish attempted')
        for sid in sids:
            assert cloud.c('DELETE', f'/servers/{sid}', token=cloud.alice).status_int == 204
        for sid in sids:
            _status(cloud, sid, 'DELETED')
    finally:
        if isinstance(bus, _Blocking):
            bus.release.set()
        notifications.flush(15)
        notifications.reset()
