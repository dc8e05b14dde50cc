"""Cinder's attachment API (/v3/{project}/attachments, 3.27+; os-complete
3.44; mode 3.54) against the in-process cloud (file backend, fake
hypervisor): reserve, export to a connector, complete, delete; the same
records as Nova's os-volume_attachments; versions, actions, isolation."""
import pytest

from iaas.volume.drivers import file as file_driver
from iaas.volume.drivers.base import DriverError

CONNECTOR = {'host': 'client-1', 'ip': '192.0.2.10', 'initiator': 'iqn.1993-08.org.x:01:c1',
             'multipath': False, 'platform': 'x86_64', 'os_type': 'linux2'}


def _available(cloud, token=None, project=None, **volume):
    vol = cloud.create(token, project, **volume)
    cloud.wait_status(vol['id'], 'available', token, project)
    return vol


def _create(cloud, body, status=200, version='3.60', token=None, project=None):
    r = cloud.v('POST', '/attachments', {'attachment': body}, token, project, version=version)
    assert r.status_int == status, r.body
    return r.json['attachment'] if status == 200 else r


def _volume(cloud, vid, token=None, project=None):
    return cloud.v('GET', f'/volumes/{vid}', token=token, project=project).json['volume']


def test_reserve_export_complete_delete(cloud):
    sid = cloud.server()
    vol = _available(cloud, name='data')
    att = _create(cloud, {'volume_uuid': vol['id'], 'instance_uuid': sid}, version='3.27')
    assert set(att) == {'id', 'status', 'instance', 'volume_id', 'attached_at', 'detached_at',
                        'attach_mode', 'connection_info'}
    assert (att['status'], att['instance'], att['volume_id']) == ('reserved', sid, vol['id'])
    assert (att['connection_info'], att['attached_at'], att['attach_mode']) == (None, '', 'rw')
    assert _volume(cloud, vol['id'])['status'] == 'reserved'
    # reserved: not deletable, not attachable again
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 400
    _create(cloud, {'volume_uuid': vol['id'], 'instance_uuid': sid}, status=400)

    r = cloud.v('PUT', f"/attachments/{att['id']}", {'attachment': {'connector': CONNECTOR}},
                version='3.27')
    assert r.status_int == 200, r.body
    got = r.json['attachment']
    assert got['status'] == 'attaching'
    info = got['connection_info']
    assert info['driver_volume_type'] == 'file'
    assert info['data']['volume_id'] == vol['id'] and info['data']['access_mode'] == 'rw'
    assert _volume(cloud, vol['id'])['status'] == 'attaching'

    r = cloud.v('POST', f"/attachments/{att['id']}/action", {'os-complete': None},
                version='3.44')
    assert r.status_int == 204 and r.body == b'', r.body
    shown = cloud.v('GET', f"/attachments/{att['id']}").json['attachment']
    assert shown['status'] == 'attached' and shown['attached_at']
    assert shown['connection_info'] == info
    v = _volume(cloud, vol['id'])
    assert v['status'] == 'in-use'
    assert [(a['server_id'], a['attachment_id']) for a in v['attachments']] == [(sid, att['id'])]
    # Nova's view of the server has it too (the same records)
    srv = cloud.c('GET', f'/servers/{sid}', token=cloud.alice,
                  headers={'OpenStack-API-Version': 'compute 2.79'}).json['server']
    assert [a['id'] for a in srv['os-extended-volumes:volumes_attached']] == [vol['id']]

    listed = cloud.v('GET', '/attachments').json['attachments']
    assert listed == [{'id': att['id'], 'status': 'attached', 'instance': sid,
                       'volume_id': vol['id']}]
    detail = cloud.v('GET', '/attachments/detail').json['attachments']
    assert [a['id'] for a in detail] == [att['id']] and detail[0]['connection_info'] == info
    for query, ids in ((f"volume_id={vol['id']}", [att['id']]), ('volume_id=nope', []),
                       (f'instance_id={sid}', [att['id']]), ('status=attached', [att['id']]),
                       ('status=reserved', [])):
        got = cloud.v('GET', f'/attachments?{query}').json['attachments']
        assert [a['id'] for a in got] == ids, query

    r = cloud.v('DELETE', f"/attachments/{att['id']}", version='3.27')
    assert r.status_int == 200 and r.json == {'attachments': []}, r.body
    v = _volume(cloud, vol['id'])
    assert v['status'] == 'available' and v['attachments'] == []
    assert cloud.v('GET', f"/attachments/{att['id']}").status_int == 404
    assert cloud.v('DELETE', f"/attachments/{att['id']}").status_int == 404
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 202


def test_create_with_a_connector_and_a_mode(cloud):
    vol = _available(cloud)
    # mode is 3.54's: before, an unexpected property
    _create(cloud, {'volume_uuid': vol['id'], 'mode': 'ro'}, status=400, version='3.53')
    att = _create(cloud, {'volume_uuid': vol['id'], 'connector': CONNECTOR, 'mode': 'ro'},
                  version='3.54')
    assert att['instance'] is None and att['status'] == 'attaching'
    assert att['attach_mode'] == 'ro'
    assert att['connection_info']['data']['access_mode'] == 'ro'
    assert _volume(cloud, vol['id'])['status'] == 'attaching'
    assert cloud.v('POST', f"/attachments/{att['id']}/action",
                   {'os-complete': None}).status_int == 204
    assert _volume(cloud, vol['id'])['status'] == 'in-use'
    assert cloud.v('DELETE', f"/attachments/{att['id']}").status_int == 200
    assert _volume(cloud, vol['id'])['status'] == 'available'


def test_a_failed_export_leaves_the_volume_as_it_was(cloud, monkeypatch):
    vol = _available(cloud)

    def refuse(self, volume, connector):
        raise DriverError('no route to the initiator')
    monkeypatch.setattr(file_driver.FileDriver, 'initialize_connection', refuse)
    r = _create(cloud, {'volume_uuid': vol['id'], 'connector': CONNECTOR}, status=400)
    assert 'no route to the initiator' in r.json['badRequest']['message']
    v = _volume(cloud, vol['id'])
    assert v['status'] == 'available' and v['attachments'] == []
    assert cloud.v('GET', '/attachments').json['attachments'] == []
    # a reservation stays reserved when its update fails
    att = _create(cloud, {'volume_uuid': vol['id']})
    r = cloud.v('PUT', f"/attachments/{att['id']}", {'attachment': {'connector': CONNECTOR}})
    assert r.status_int == 400, r.body
    assert cloud.v('GET', f"/attachments/{att['id']}").json['attachment']['status'] == \
        'reserved'
    assert _volume(cloud, vol['id'])['status'] == 'reserved'


def test_versions_bodies_and_actions(cloud):
    vol = _available(cloud)
    for method, path, body in (('GET', '/attachments', None),
                               ('GET', '/attachments/detail', None),
                               ('POST', '/attachments', {'attachment': {
                                   'volume_uuid': vol['id']}})):
        r = cloud.v(method, path, body, version='3.26')
        assert r.status_int == 404, (path, r.body)
        assert 'not supported on this method' in r.body.decode()
    assert _volume(cloud, vol['id'])['status'] == 'available'
    att = _create(cloud, {'volume_uuid': vol['id']})
    for method, path, body in (('GET', '', None), ('PUT', '', {'attachment': {
            'connector': CONNECTOR}}), ('DELETE', '', None),
            ('POST', '/action', {'os-complete': None})):
        r = cloud.v(method, f"/attachments/{att['id']}{path}", body, version='3.0')
        assert r.status_int == 404, (method, path, r.body)
    # os-complete is 3.44's
    r = cloud.v('POST', f"/attachments/{att['id']}/action", {'os-complete': None},
                version='3.43')
    assert r.status_int == 404, r.body
    r = cloud.v('POST', f"/attachments/{att['id']}/action", {'os-frobnicate': {}})
    assert r.status_int == 400 and 'There is no such action' in r.body.decode()
    for bad in ({}, {'os-complete': None, 'os-x': None}, []):
        r = cloud.v('POST', f"/attachments/{att['id']}/action", bad)
        assert r.status_int == 400, (bad, r.body)
    for bad in ({'attachment': {}}, {'attachment': {'volume_uuid': vol['id'], 'x': 1}},
                {'attachment': {'volume_uuid': vol['id'], 'connector': {'ip': '-x'}}},
                {'attachment': {'volume_uuid': vol['id'], 'connector': {
                    'initiator': 'iqn.x y'}}},
                {'attachment': {'volume_uuid': 'x' * 37}}, {'volume_uuid': vol['id']}):
        r = cloud.v('POST', '/attachments', bad)
        assert r.status_int == 400, (bad, r.body)
    for bad in ({'attachment': {}}, {'attachment': {'connector': {}}},
                {'attachment': {'connector': None}}):
        r = cloud.v('PUT', f"/attachments/{att['id']}", bad)
        assert r.status_int == 400, (bad, r.body)
    r = cloud.v('POST', '/attachments', {'attachment': {'volume_uuid': 'no-such-volume'}})
    assert r.status_int == 404, r.body
    assert cloud.v('GET', '/attachments/no-such-thing').status_int == 404
    # without the project in the path too
    r = cloud.volume.call('GET', f"/v3/attachments/{att['id']}", None, cloud.alice,
                          headers={'OpenStack-API-Version': 'volume 3.27'})
    assert r.status_int == 200 and r.json['attachment']['id'] == att['id']


def test_isolation_between_projects(cloud):
    vol = _available(cloud)
    sid = cloud.server()
    bobs_server = cloud.server(token=cloud.bob, name='bobs')
    att = _create(cloud, {'volume_uuid': vol['id'], 'instance_uuid': sid})
    bob, bp = cloud.bob, cloud.b_project
    # bob sees nothing of alice's, changes nothing
    assert cloud.v('GET', f"/attachments/{att['id']}", token=bob, project=bp).status_int == 404
    assert cloud.v('GET', '/attachments', token=bob, project=bp).json['attachments'] == []
    assert cloud.v('GET', '/attachments?all_tenants=1', token=bob,
                   project=bp).json['attachments'] == []
    for method, path, body in (('PUT', '', {'attachment': {'connector': CONNECTOR}}),
                               ('DELETE', '', None), ('POST', '/action', {'os-complete': None})):
        r = cloud.v(method, f"/attachments/{att['id']}{path}", body, token=bob, project=bp)
        assert r.status_int == 404, (method, path, r.body)
        # alice's project in the path: refused before anything is read
        r = cloud.v(method, f"/attachments/{att['id']}{path}", body, token=bob)
        assert r.status_int == 403, (method, path, r.body)
    _create(cloud, {'volume_uuid': vol['id']}, status=404, token=bob, project=bp)
    # bob's volume for alice's server, alice's volume for bob's server: refused
    bobs = _available(cloud, token=bob, project=bp)
    _create(cloud, {'volume_uuid': bobs['id'], 'instance_uuid': sid}, status=404, token=None)
    other = _available(cloud)
    r = _create(cloud, {'volume_uuid': other['id'], 'instance_uuid': bobs_server}, status=400)
    assert _volume(cloud, other['id'])['status'] == 'available'
    r = _create(cloud, {'volume_uuid': other['id'], 'instance_uuid': 'no-such-server'},
                status=400)
    # a reader reads, does not write
    assert cloud.v('GET', f"/attachments/{att['id']}", token=cloud.reader).status_int == 200
    assert cloud.v('DELETE', f"/attachments/{att['id']}", token=cloud.reader).status_int == 403
    r = cloud.v('POST', '/attachments', {'attachment': {'volume_uuid': other['id']}},
                token=cloud.reader)
    assert r.status_int == 403, r.body
    # the admin lists every project's with all_tenants
    r = cloud.v('GET', '/attachments?all_tenants=1', token=cloud.admin,
                project=cloud.admin_project)
    assert att['id'] in [a['id'] for a in r.json['attachments']]
    r = cloud.v('GET', '/attachments', token=cloud.admin, project=cloud.admin_project)
    assert att['id'] not in [a['id'] for a in r.json['attachments']]
    assert _volume(cloud, vol['id'])['status'] == 'reserved'


def test_nova_attachments_show_up_here(cloud):
    sid = cloud.server()
    vol = _available(cloud)
    r = cloud.c('POST', f'/servers/{sid}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': vol['id']}}, cloud.alice)
    assert r.status_int == 200, r.body
    cloud.wait_status(vol['id'], 'in-use')
    got = cloud.v('GET', f"/attachments/detail?volume_id={vol['id']}").json['attachments']
    assert len(got) == 1
    assert (got[0]['status'], got[0]['instance']) == ('attached', sid)
    assert got[0]['connection_info']['driver_volume_type'] == 'file'
    # not multiattach, attached to another server: no second attachment
    _create(cloud, {'volume_uuid': vol['id'], 'instance_uuid': cloud.server(name='vm2')},
            status=400)
    # the same server again (a move between hosts): a second attachment
    second = _create(cloud, {'volume_uuid': vol['id'], 'instance_uuid': sid})
    assert second['status'] == 'reserved'
    assert cloud.v('DELETE', f"/attachments/{second['id']}").json == {'attachments': [
        {'id': got[0]['id'], 'status': 'attached', 'instance': sid, 'volume_id': vol['id']}]}
    v = _volume(cloud, vol['id'])
    assert v['status'] == 'in-use' and len(v['attachments']) == 1


def test_multiattach_and_listing_pages(cloud):
    vol = _available(cloud, multiattach=True)
    ids = []
    for _ in range(3):
        att = _create(cloud, {'volume_uuid': vol['id'], 'connector': CONNECTOR})
        assert cloud.v('POST', f"/attachments/{att['id']}/action",
                       {'os-complete': None}).status_int == 204
        ids.append(att['id'])
    assert _volume(cloud, vol['id'])['status'] == 'in-use'
    r = cloud.v('GET', '/attachments?limit=2&sort=created_at:asc')
    page = r.json
    assert [a['id'] for a in page['attachments']] == ids[:2]
    assert 'marker=' + ids[1] in page['attachments_links'][0]['href']
    r = cloud.v('GET', f'/attachments?limit=2&sort=created_at:asc&marker={ids[1]}')
    assert [a['id'] for a in r.json['attachments']] == ids[2:]
    assert cloud.v('GET', '/attachments?sort=nope:asc').status_int == 400
    assert cloud.v('GET', '/attachments?marker=no-such').status_int == 404
    for i, att_id in enumerate(ids):
        left = cloud.v('DELETE', f'/attachments/{att_id}').json['attachments']
        assert sorted(a['id'] for a in left) == sorted(ids[i + 1:])
        assert _volume(cloud, vol['id'])['status'] == ('in-use' if left else 'available')


@pytest.mark.parametrize('action', ['complete', 'delete'])
def test_a_deleted_attachment_cannot_be_completed(cloud, action):
    vol = _available(cloud)
    att = _create(cloud, {'volume_uuid': vol['id']})
    assert cloud.v('DELETE', f"/attachments/{att['id']}").status_int == 200
    if action == 'complete':
        r = cloud.v('POST', f"/attachments/{att['id']}/action", {'os-complete': None})
    else:
        r = cloud.v('PUT', f"/attachments/{att['id']}", {'attachment': {'connector': CONNECTOR}})
    assert r.status_int == 404, r.body
    assert _volume(cloud, vol['id'])['status'] == 'available'
