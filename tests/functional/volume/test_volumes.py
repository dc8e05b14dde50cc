"""Volumes, snapshots, types and quotas through the Cinder-v3 REST API with
the real scheduler, conductor and a volume host (fake backend) in process."""
import concurrent.futures

from tests.functional.volume.conftest import BACKEND, wait_for


def test_create_show_list_update_extend_delete(cloud):
    vol = cloud.create(name='data', size=2, metadata={'k': 'v'})
    assert vol['status'] == 'creating' and vol['size'] == 2
    got = cloud.wait_status(vol['id'], 'available')
    assert got['name'] == 'data' and got['metadata'] == {'k': 'v'}
    assert got['volume_type'] == '__DEFAULT__' and got['bootable'] == 'false'
    assert 'os-vol-host-attr:host' not in got          # admins only
    admin_view = cloud.v('GET', f"/volumes/{vol['id']}", token=cloud.admin).json['volume']
    assert admin_view['os-vol-host-attr:host'].startswith(f'fv1@{BACKEND}')
    names = [v['name'] for v in cloud.v('GET', '/volumes').json['volumes']]
    assert names == ['data']
    r = cloud.v('PUT', f"/volumes/{vol['id']}", {'volume': {'name': 'data2'}})
    assert r.status_int == 200 and r.json['volume']['name'] == 'data2'
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-extend': {'new_size': 3}})
    assert r.status_int == 202, r.body
    assert cloud.wait_status(vol['id'], 'available')['size'] == 3
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-extend': {'new_size': 2}})
    assert r.status_int == 400
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 202
    cloud.wait_status(vol['id'], 'deleted')
    assert cloud.v('GET', '/volumes').json['volumes'] == []


def test_snapshot_and_volume_from_it(cloud):
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id'], 'name': 's1'}})
    assert r.status_int == 202, r.body
    snap = r.json['snapshot']
    cloud.wait_status(snap['id'], 'available', kind='snapshots')
    # a volume with snapshots cannot be deleted (Cinder's 400)
    r = cloud.v('DELETE', f"/volumes/{vol['id']}")
    assert r.status_int == 400 and 'snapshots' in r.json['badRequest']['message']
    clone = cloud.create(snapshot_id=snap['id'])
    got = cloud.wait_status(clone['id'], 'available')
    assert got['snapshot_id'] == snap['id'] and got['size'] == 1
    src = cloud.create(source_volid=vol['id'], size=2)
    assert cloud.wait_status(src['id'], 'available')['source_volid'] == vol['id']
    assert cloud.v('DELETE', f"/snapshots/{snap['id']}").status_int == 202
    cloud.wait_status(snap['id'], 'deleted', kind='snapshots')
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 202
    cloud.wait_status(vol['id'], 'deleted')


def test_other_project_sees_nothing(cloud):
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    # bob, in his own project's URL: 404, never 403
    for method, path, body in (
            ('GET', f"/volumes/{vol['id']}", None),
            ('PUT', f"/volumes/{vol['id']}", {'volume': {'name': 'x'}}),
            ('DELETE', f"/volumes/{vol['id']}", None),
            ('POST', f"/volumes/{vol['id']}/action", {'os-extend': {'new_size': 5}}),
            ('GET', f"/volumes/{vol['id']}/metadata", None)):
        r = cloud.v(method, path, body, token=cloud.bob, project=cloud.b_project)
        assert r.status_int == 404, (method, path, r.status_int, r.body)
    r = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id']}},
                token=cloud.bob, project=cloud.b_project)
    assert r.status_int == 404
    r = cloud.v('POST', '/volumes', {'volume': {'source_volid': vol['id']}},
                token=cloud.bob, project=cloud.b_project)
    assert r.status_int == 404
    # bob in alice's project URL: the path's project is the policy target
    r = cloud.v('GET', '/volumes', token=cloud.bob, project=cloud.a_project)
    assert r.status_int == 403
    assert cloud.v('GET', '/volumes', token=cloud.bob,
                   project=cloud.b_project).json['volumes'] == []
    # a reader may look, not write
    assert cloud.v('GET', f"/volumes/{vol['id']}", token=cloud.reader).status_int == 200
    assert cloud.v('DELETE', f"/volumes/{vol['id']}", token=cloud.reader).status_int == 403
    assert cloud.wait_status(vol['id'], 'available')['name'] is None


def test_bad_input_is_a_clear_4xx(cloud):
    for body in ({'volume': {'size': 0}}, {'volume': {'size': -1}}, {'volume': {}},
                 {'volume': {'size': 'ten'}}, {'volume': {'size': 10 ** 9}},
                 {'volume': {'size': 1, 'volume_type': 'nope'}},
                 {'volume': {'size': 1, 'availability_zone': 'mars'}},
                 {'volume': {'size': 1, 'imageRef': 'no-such-image'}}, {'nope': 1}, []):
        r = cloud.v('POST', '/volumes', body)
        assert 400 <= r.status_int < 500, (body, r.status_int, r.body)
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-frobnicate': {}})
    assert r.status_int == 400 and 'no such action' in r.body.decode()   # not Cinder's
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-update_readonly_flag': {
        'readonly': True}})
    assert r.status_int == 501                  # Cinder's, not served here
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-migrate_volume': {'host': 'x'}})
    assert r.status_int == 403                  # admins only
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-reset_status': {
        'status': 'error'}})
    assert r.status_int == 403                        # admins only
    assert cloud.wait_status(vol['id'], 'available')['size'] == 1


def test_quota_is_exact_under_concurrency(cloud):
    r = cloud.v('PUT', f'/os-quota-sets/{cloud.a_project}',
                {'quota_set': {'volumes': 10, 'gigabytes': 100}}, token=cloud.admin,
                project=cloud.admin_project)
    assert r.status_int == 200, r.body
    assert r.json['quota_set']['volumes'] == 10

    def one(i):
        return cloud.v('POST', '/volumes', {'volume': {'size': 1, 'name': f'q{i}'}}).status_int

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(one, range(20)))
    assert sorted(codes) == [202] * 10 + [413] * 10, codes
    vols = cloud.v('GET', '/volumes/detail').json['volumes']
    assert len(vols) == 10
    wait_for(lambda: all(cloud.v('GET', f"/volumes/{v['id']}").json['volume']['status'] ==
                         'available' for v in vols), what='all available')
    q = cloud.v('GET', f'/os-quota-sets/{cloud.a_project}?usage=true').json['quota_set']
    assert q['volumes'] == {'limit': 10, 'in_use': 10, 'reserved': 0, 'allocated': 0}
    lim = cloud.v('GET', '/limits').json['limits']['absolute']
    assert lim['totalVolumesUsed'] == 10 and lim['maxTotalVolumes'] == 10
    r = cloud.v('POST', '/volumes', {'volume': {'size': 1}})
    assert r.status_int == 413 and 'volumes' in r.json['overLimit']['message']


def test_types_and_backend_selection(cloud):
    a = {'token': cloud.admin, 'project': cloud.admin_project}
    r = cloud.v('POST', '/types', {'volume_type': {'name': 'fast', 'extra_specs': {
        'volume_backend_name': BACKEND}}}, **a)
    assert r.status_int == 200, r.body
    r = cloud.v('POST', '/types', {'volume_type': {'name': 'nowhere', 'extra_specs': {
        'volume_backend_name': 'none-such'}}}, **a)
    assert r.status_int == 200
    names = {t['name'] for t in cloud.v('GET', '/types').json['volume_types']}
    assert {'fast', 'nowhere', '__DEFAULT__'} <= names
    assert cloud.v('POST', '/types', {'volume_type': {'name': 'x'}}).status_int == 403
    ok = cloud.create(volume_type='fast')
    assert cloud.wait_status(ok['id'], 'available')['volume_type'] == 'fast'
    bad = cloud.create(volume_type='nowhere')
    cloud.wait_status(bad['id'], 'error')
    assert cloud.v('DELETE', f"/volumes/{bad['id']}").status_int == 202
    cloud.wait_status(bad['id'], 'deleted')
    r = cloud.v('DELETE', '/types/fast', **a)
    assert r.status_int == 400                 # still used
    pools = cloud.v('GET', '/scheduler-stats/get_pools?detail=true', **a).json['pools']
    assert pools[0]['name'].startswith(f'fv1@{BACKEND}')
    svcs = cloud.v('GET', '/os-services', **a).json['services']
    assert any(s['binary'] == 'cinder-volume' and s['state'] == 'up' for s in svcs)


def test_snapshot_force_delete_and_versioned_views(cloud):
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id']}})
    snap = r.json['snapshot']
    cloud.wait_status(snap['id'], 'available', kind='snapshots')
    admin = {'token': cloud.admin}
    act = f"/snapshots/{snap['id']}/action"
    assert cloud.v('POST', act, {'os-reset_status': {'status': 'creating'}},
                   **admin).status_int == 202
    # a plain delete refuses 'creating'; the member may not force; the admin may
    assert cloud.v('DELETE', f"/snapshots/{snap['id']}").status_int == 400
    assert cloud.v('POST', act, {'os-force_delete': {}}).status_int == 403
    assert cloud.v('POST', act, {'os-force_delete': {}}, **admin).status_int == 202
    cloud.wait_status(snap['id'], 'deleted', kind='snapshots')
    # services: cluster from 3.7, backend_state from 3.49 (volume binaries)
    svc = cloud.v('GET', '/os-services', version='3.0', **admin).json['services']
    vol_svc = [s for s in svc if s['binary'] == 'cinder-volume']
    assert vol_svc and all('cluster' not in s and 'backend_state' not in s for s in svc)
    svc = cloud.v('GET', '/os-services', version='3.49', **admin).json['services']
    assert all('cluster' in s for s in svc)
    assert {s['backend_state'] for s in svc if s['binary'] == 'cinder-volume'} == {'up'}
    # a backend's capabilities, by host@backend (and #pool) as get_pools names it
    pools = cloud.v('GET', '/scheduler-stats/get_pools?detail=true', **admin).json['pools']
    caps = cloud.v('GET', f"/capabilities/{pools[0]['name']}", **admin).json
    assert {k: caps[k] for k in ('volume_backend_name', 'storage_protocol')} == {
        k: pools[0]['capabilities'][k] for k in ('volume_backend_name', 'storage_protocol')}
    assert cloud.v('GET', '/capabilities/nowhere@x', **admin).status_int == 404
    assert cloud.v('GET', f"/capabilities/{pools[0]['name']}").status_int == 403
    # the host filter takes the host part of host@backend, as Cinder's
    host = vol_svc[0]['host']
    for wanted in (host, host.split('@')[0]):
        got = cloud.v('GET', f'/os-services?host={wanted}&binary=cinder-volume',
                      **admin).json['services']
        assert [s['host'] for s in got] == [host]
    assert cloud.v('GET', f"/os-services?host={host.split('@')[0][:-1]}",
                   **admin).json['services'] == []
    # disable (with a reason) and enable a volume service; bad calls are 4xx
    short = host.split('@')[0]
    body = {'host': short, 'binary': 'cinder-volume', 'disabled_reason': 'maintenance'}
    r = cloud.v('PUT', '/os-services/disable-log-reason', body, **admin)
    assert r.status_int == 200 and r.json['disabled'] is True, r.body
    got = cloud.v('GET', '/os-services?binary=cinder-volume', **admin).json['services']
    assert {(s['status'], s['disabled_reason']) for s in got} == {('disabled', 'maintenance')}
    r = cloud.v('PUT', '/os-services/enable', {'host': short, 'binary': 'cinder-volume'},
                **admin)
    assert r.status_int == 200 and r.json['status'] == 'enabled'
    assert cloud.v('PUT', '/os-services/disable', {'host': short, 'binary': 'cinder-volume'}
                   ).status_int == 403                                  # admin only
    for action, b, code in (('enable', {'host': 'nope', 'binary': 'cinder-volume'}, 404),
                            ('disable', {'host': short, 'binary': 'nope'}, 404),
                            ('disable-log-reason', dict(body, disabled_reason=None), 400),
                            ('freeze', {'host': 'nope'}, 400), ('thaw', {'host': short}, 501),
                            ('reboot', {'host': short}, 404)):
        r = cloud.v('PUT', f'/os-services/{action}', b, **admin)
        assert r.status_int == code, (action, r.status_int, r.body)
    got = cloud.v('GET', '/os-services?binary=cinder-volume', **admin).json['services']
    assert {s['status'] for s in got} == {'enabled'}
    # types: create shows no qos_specs_id, update no access flag either
    t = cloud.v('POST', '/types', {'volume_type': {'name': 'fv-views'}}, **admin).json[
        'volume_type']
    assert 'qos_specs_id' not in t and t['os-volume-type-access:is_public'] is True
    u = cloud.v('PUT', f"/types/{t['id']}", {'volume_type': {'description': 'd'}},
                **admin).json['volume_type']
    assert 'qos_specs_id' not in u and 'os-volume-type-access:is_public' not in u
    shown = cloud.v('GET', f"/types/{t['id']}", **admin).json['volume_type']
    assert shown['qos_specs_id'] is None


def test_retype_without_migration_and_snapshot_status_updates(cloud):
    admin = {'token': cloud.admin}
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    backend = cloud.v('GET', f"/volumes/{vol['id']}", **admin).json['volume'][
        'os-vol-host-attr:host'].split('@')[1].split('#')[0]
    same = cloud.v('POST', '/types', {'volume_type': {
        'name': 'fv-here', 'extra_specs': {'volume_backend_name': backend}}}, **admin)
    other = cloud.v('POST', '/types', {'volume_type': {
        'name': 'fv-elsewhere', 'extra_specs': {'volume_backend_name': 'nowhere'}}}, **admin)
    assert same.status_int == other.status_int == 200
    act = f"/volumes/{vol['id']}/action"
    # a type the volume's backend suits: changed in place
    r = cloud.v('POST', act, {'os-retype': {'new_type': 'fv-here'}})
    assert r.status_int == 202, r.body
    assert cloud.v('GET', f"/volumes/{vol['id']}").json['volume']['volume_type'] == 'fv-here'
    # one that would need another backend (no migration here), or the same type: 400
    for body in ({'new_type': 'fv-elsewhere', 'migration_policy': 'on-demand'},
                 {'new_type': 'fv-elsewhere'}, {'new_type': 'fv-here'}, {'new_type': 'nope'},
                 {'new_type': 'fv-here', 'migration_policy': 'always'}):
        r = cloud.v('POST', act, {'os-retype': body})
        assert r.status_int in (400, 404), (body, r.status_int, r.body)
    assert cloud.v('GET', f"/volumes/{vol['id']}").json['volume']['volume_type'] == 'fv-here'

    snap = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id']}}).json[
        'snapshot']
    cloud.wait_status(snap['id'], 'available', kind='snapshots')
    sact = f"/snapshots/{snap['id']}/action"
    upd = {'os-update_snapshot_status': {'status': 'error', 'progress': '80%'}}
    assert cloud.v('POST', sact, upd).status_int == 400          # not from available
    assert cloud.v('POST', sact, {'os-reset_status': {'status': 'creating'}},
                   **admin).status_int == 202
    assert cloud.v('POST', sact, upd).status_int == 202
    got = cloud.v('GET', f"/snapshots/{snap['id']}").json['snapshot']
    assert got['status'] == 'error' and got['os-extended-snapshot-attributes:progress'] == '80%'
