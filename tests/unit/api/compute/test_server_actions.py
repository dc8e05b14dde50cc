"""POST /servers/{id}/action and the server subresources at each
microversion (iaas/api/compute/server_actions.py, server_tags.py and the
instance actions of servers.py)."""
import uuid

import pytest

from iaas import states
from iaas.api.compute import servers
from iaas.image import upload as snapshot
from tests.unit.api.compute.conftest import wait_for

IMAGE_ID = str(uuid.uuid4())


def act(cloud, sid, body, v, token=None):
    return cloud.c('POST', f'/servers/{sid}/action', body, token or cloud.alice, v=v)


@pytest.fixture(scope='module')
def keypair(cloud):
    cloud.ok('POST', '/os-keypairs', {'keypair': {'name': 'k1'}}, cloud.alice, v='2.1')
    return 'k1'


# -- rebuild ----------------------------------------------------------------------

@pytest.fixture(scope='module')
def rebuilt(cloud):
    return cloud.boot(name='rebuilt')


def rebuild(cloud, sid, v, **arg):
    r = act(cloud, sid, {'rebuild': {'imageRef': cloud.image, **arg}}, v)
    if r.status_int == 202:
        cloud.wait_active(sid)
    return r


@pytest.mark.parametrize('field,value,since', [
    ('description', 'rebuilt words', '2.19'),
    ('key_name', 'k1', '2.54'),
    ('user_data', 'ZWNobw==', '2.57'),
])
def test_rebuild_fields_from_their_version(cloud, rebuilt, keypair, field, value, since):
    major, minor = since.split('.')
    r = rebuild(cloud, rebuilt, f'{major}.{int(minor) - 1}', **{field: value})
    assert r.status_int == 400 and f'from microversion {since}' in r.body.decode()
    r = rebuild(cloud, rebuilt, since, **{field: value})
    assert r.status_int == 202, r.body
    assert r.json['server'][field] == value
    assert 'adminPass' in r.json['server']


def test_rebuild_view_keys(cloud, rebuilt, keypair):
    """key_name answered from 2.54 and user_data from 2.57 even when not
    changed; the full view (OS-EXT-STS:…) only from 2.75."""
    shown = {v: set(rebuild(cloud, rebuilt, v).json['server'])
             for v in ('2.53', '2.54', '2.56', '2.57', '2.74', '2.75')}
    assert 'key_name' not in shown['2.53'] and 'key_name' in shown['2.54']
    assert 'user_data' not in shown['2.56'] and 'user_data' in shown['2.57']
    assert 'OS-EXT-STS:vm_state' not in shown['2.74']
    assert {'OS-EXT-STS:vm_state', 'config_drive', 'OS-SRV-USG:launched_at'} <= shown['2.75']


# -- lock ---------------------------------------------------------------------------

def test_locked_reason_from_2_73(cloud):
    sid = cloud.boot(name='locked')
    r = act(cloud, sid, {'lock': {'locked_reason': 'maintenance'}}, '2.72')
    assert r.status_int == 400 and 'from microversion 2.73' in r.body.decode()
    assert not cloud.instance(sid)['locked']
    assert act(cloud, sid, {'lock': None}, '2.72').status_int == 202
    s = cloud.ok('GET', f'/servers/{sid}', token=cloud.alice, v='2.73')['server']
    assert (s['locked'], s['locked_reason']) == (True, None)
    assert act(cloud, sid, {'unlock': None}, '2.73').status_int == 202
    assert act(cloud, sid, {'lock': {'locked_reason': 'maintenance'}}, '2.73').status_int \
        == 202
    s = cloud.ok('GET', f'/servers/{sid}', token=cloud.alice, v='2.73')['server']
    assert (s['locked'], s['locked_reason']) == (True, 'maintenance')
    assert act(cloud, sid, {'unlock': None}, '2.73').status_int == 202
    s = cloud.ok('GET', f'/servers/{sid}', token=cloud.alice, v='2.73')['server']
    assert (s['locked'], s['locked_reason']) == (False, None)


# -- createImage / createBackup -----------------------------------------------------

@pytest.fixture
def no_image_service(cloud, monkeypatch):
    """The image service's side of a snapshot stubbed: the API 'creates'
    IMAGE_ID and the compute host's upload stores nothing."""
    monkeypatch.setattr(servers.compute_api, '_create_snapshot_image',
                        lambda ctx, inst, name, metadata: IMAGE_ID)
    monkeypatch.setattr(servers.compute_api, '_delete_image', lambda ctx, image_id: None)
    monkeypatch.setattr(snapshot, 'uploader', lambda image_id: lambda chunks, fmt: None)


@pytest.fixture(scope='module')
def snapped(cloud):
    return cloud.boot(name='snapped')


def _idle(cloud, sid):
    wait_for(lambda: cloud.instance(sid)['task_state'] is None, what='snapshot done')


@pytest.mark.parametrize('action', [
    {'createImage': {'name': 'snap'}},
    {'createBackup': {'name': 'bak', 'backup_type': 'daily', 'rotation': 1}},
], ids=['createImage', 'createBackup'])
def test_snapshot_answers_image_id_from_2_45(cloud, snapped, no_image_service, action):
    r = act(cloud, snapped, action, '2.44')
    assert r.status_int == 202, r.body
    assert not r.body
    assert r.headers['Location'].endswith(f'/v2/images/{IMAGE_ID}')
    _idle(cloud, snapped)
    r = act(cloud, snapped, action, '2.45')
    assert r.status_int == 202, r.body
    assert r.json == {'image_id': IMAGE_ID} and 'Location' not in r.headers
    _idle(cloud, snapped)


def test_backup_with_rotation_0_names_no_image(cloud, snapped, no_image_service):
    for v in ('2.44', '2.45'):
        r = act(cloud, snapped, {'createBackup': {'name': 'b', 'backup_type': 'weekly',
                                                  'rotation': 0}}, v)
        assert (r.status_int, r.body) == (202, b''), v
        assert 'Location' not in r.headers
        _idle(cloud, snapped)


# -- tags (2.26) --------------------------------------------------------------------------

def test_tags_routes_exist_from_2_26(cloud, snapped):
    base = f'/servers/{snapped}/tags'
    for method, path in (('GET', base), ('PUT', f'{base}/t1'), ('GET', f'{base}/t1'),
                         ('DELETE', f'{base}/t1'), ('DELETE', base)):
        r = cloud.c(method, path, token=cloud.alice, v='2.25')
        assert r.status_int == 404, (method, path, r.body)
    assert cloud.ok('GET', base, token=cloud.alice, v='2.26') == {'tags': []}
    r = cloud.c('PUT', f'{base}/t1', token=cloud.alice, v='2.26')
    assert r.status_int == 201 and r.headers['Location'].endswith(f'{base}/t1')
    assert cloud.c('PUT', f'{base}/t1', token=cloud.alice, v='2.26').status_int == 204
    s = cloud.ok('GET', f'/servers/{snapped}', token=cloud.alice, v='2.26')['server']
    assert s['tags'] == ['t1']
    assert cloud.c('DELETE', base, token=cloud.alice, v='2.26').status_int == 204
    assert cloud.ok('GET', base, token=cloud.alice, v='2.26') == {'tags': []}


# -- instance actions ------------------------------------------------------------------

@pytest.fixture(scope='module')
def create_action(cloud):
    """(server, request id of its create action) once the build's event finished."""
    sid = cloud.boot(name='acted')
    actions = cloud.ok('GET', f'/servers/{sid}/os-instance-actions', token=cloud.alice,
                       v='2.1')['instanceActions']
    assert [a['action'] for a in actions] == ['create']
    return sid, actions[0]['request_id']


def _action(cloud, create_action, v, token):
    sid, rid = create_action
    return cloud.ok('GET', f'/servers/{sid}/os-instance-actions/{rid}', token=token,
                    v=v)['instanceAction']


def test_action_updated_at_from_2_58(cloud, create_action):
    sid, _ = create_action
    for v, present in (('2.57', False), ('2.58', True)):
        listed = cloud.ok('GET', f'/servers/{sid}/os-instance-actions', token=cloud.alice,
                          v=v)['instanceActions'][0]
        assert ('updated_at' in listed) is present, v
        assert ('updated_at' in _action(cloud, create_action, v, cloud.alice)) is present


def test_events_shown_to_everyone_from_2_51(cloud, create_action):
    assert 'events' not in _action(cloud, create_action, '2.50', cloud.alice)
    events = _action(cloud, create_action, '2.51', cloud.alice)['events']
    assert [e['event'] for e in events] == ['compute_build_and_run_instance']
    assert events[0]['result'] == 'Success'
    assert 'traceback' not in events[0]
    # the admin (event details rule) sees them, with the traceback, before 2.51 too
    admin = _action(cloud, create_action, '2.50', cloud.admin)['events']
    assert 'traceback' in admin[0] and 'host' not in admin[0]


def test_event_host_id_from_2_62(cloud, create_action):
    e = _action(cloud, create_action, '2.61', cloud.alice)['events'][0]
    assert 'hostId' not in e
    e = _action(cloud, create_action, '2.62', cloud.alice)['events'][0]
    assert len(e['hostId']) == 56 and 'host' not in e
    e = _action(cloud, create_action, '2.62', cloud.admin)['events'][0]
    assert e['host'] == 'fc1' and len(e['hostId']) == 56


def test_deleted_server_actions_from_2_21(cloud):
    sid = cloud.boot(name='gone')
    assert cloud.c('DELETE', f'/servers/{sid}', token=cloud.alice).status_int == 204
    wait_for(lambda: cloud.c('GET', f'/servers/{sid}', token=cloud.alice).status_int == 404,
             what='server deleted')
    path = f'/servers/{sid}/os-instance-actions'
    assert cloud.c('GET', path, token=cloud.alice, v='2.20').status_int == 404
    actions = cloud.ok('GET', path, token=cloud.alice, v='2.21')['instanceActions']
    assert [a['action'] for a in actions] == ['delete', 'create']
    # still another project's: 404 for bob at any version
    assert cloud.c('GET', path, token=cloud.bob, v='2.21').status_int == 404
    rid = actions[0]['request_id']
    assert cloud.c('GET', f'{path}/{rid}', token=cloud.alice, v='2.20').status_int == 404
    assert cloud.ok('GET', f'{path}/{rid}', token=cloud.alice,
                    v='2.21')['instanceAction']['action'] == 'delete'
    assert cloud.c('GET', f'{path}/{rid}', token=cloud.bob, v='2.21').status_int == 404


def test_vm_state_after_actions_is_active(cloud, rebuilt, snapped):
    """The servers the tests above acted on are back to ACTIVE (the
    actions ran to completion on the compute host)."""
    for sid in (rebuilt, snapped):
        assert cloud.instance(sid)['vm_state'] == states.ACTIVE
