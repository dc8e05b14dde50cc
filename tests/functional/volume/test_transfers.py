"""Cinder's volume transfers (os-volume-transfer; volume-transfers 3.55+)
and quota classes against the in-process cloud (file backend) over the
``db_url`` database: create, list, show, accept, delete; wrong keys,
quotas of the receiving project, concurrent accepts, other projects."""
import threading

from iaas.volume import states

LEGACY = '/os-volume-transfer'
NEW = '/volume-transfers'
SUMMARY = {'id', 'name', 'volume_id', 'links'}
DETAIL = SUMMARY | {'created_at'}
# 3.57+ (cloud.v's default version is 3.60)
FULL = DETAIL | {'no_snapshots', 'source_project_id', 'destination_project_id', 'accepted'}


def _available(cloud, token=None, project=None, **volume):
    vol = cloud.create(token, project, **volume)
    cloud.wait_status(vol['id'], 'available', token, project)
    return vol


def _snapshot(cloud, vid, token=None, project=None):
    r = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vid}}, token, project)
    assert r.status_int == 202, r.body
    return cloud.wait_status(r.json['snapshot']['id'], 'available', token, project,
                             kind='snapshots')


def _transfer(cloud, vid, path=LEGACY, version='3.0', token=None, project=None, **extra):
    r = cloud.v('POST', path, {'transfer': {'volume_id': vid, **extra}}, token, project,
                version=version)
    assert r.status_int == 202, r.body
    return r.json['transfer']


def _accept(cloud, tid, key, path=LEGACY, version='3.0', token=None, project=None):
    return cloud.v('POST', f'{path}/{tid}/accept', {'accept': {'auth_key': key}},
                   token or cloud.bob, project or cloud.b_project, version=version)


def _volume(cloud, vid, token=None, project=None):
    r = cloud.v('GET', f'/volumes/{vid}', token=token, project=project)
    return r.json['volume'] if r.status_int == 200 else r.status_int


def _used(cloud, token, project):
    return cloud.v('GET', '/limits', token=token, project=project).json['limits']['absolute']


def test_create_show_list_accept(cloud):
    vol = _available(cloud, name='moving', size=2)
    snap = _snapshot(cloud, vol['id'])
    t = _transfer(cloud, vol['id'], name='to-bob')
    assert set(t) == DETAIL | {'auth_key'}
    assert (t['name'], t['volume_id']) == ('to-bob', vol['id']) and len(t['auth_key']) == 16
    assert _volume(cloud, vol['id'])['status'] == states.AWAITING_TRANSFER
    # awaiting a transfer: not deletable, not transferable again
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 400
    assert cloud.v('POST', LEGACY, {'transfer': {'volume_id': vol['id']}}).status_int == 400

    shown = cloud.v('GET', f"{LEGACY}/{t['id']}").json['transfer']
    assert set(shown) == FULL and shown['accepted'] is False
    assert cloud.v('GET', f"{LEGACY}/{t['id']}", token=cloud.reader).status_int == 200
    listed = cloud.v('GET', LEGACY).json['transfers']
    assert [(x['id'], set(x)) for x in listed] == [(t['id'], SUMMARY)]
    assert [x['volume_id'] for x in cloud.v('GET', f'{LEGACY}/detail').json['transfers']] \
        == [vol['id']]
    # another project neither sees it nor lists it; the admin lists it with all_tenants
    assert cloud.v('GET', f"{LEGACY}/{t['id']}", token=cloud.bob,
                   project=cloud.b_project).status_int == 404
    assert cloud.v('GET', LEGACY, token=cloud.bob,
                   project=cloud.b_project).json['transfers'] == []
    admin = dict(token=cloud.admin, project=cloud.admin_project)
    assert cloud.v('GET', LEGACY, **admin).json['transfers'] == []
    assert [x['id'] for x in cloud.v('GET', f'{LEGACY}?all_tenants=1',
                                     **admin).json['transfers']] == [t['id']]

    # a wrong key changes nothing
    r = _accept(cloud, t['id'], 'not-the-key')
    assert r.status_int == 400 and 'badRequest' in r.json, r.body
    assert _volume(cloud, vol['id'])['status'] == states.AWAITING_TRANSFER
    # a reader of bob's project may not accept
    rita_b, _ = cloud.member('ruth', 'proj-b', role='reader')
    assert _accept(cloud, t['id'], t['auth_key'], token=rita_b).status_int == 403

    r = _accept(cloud, t['id'], t['auth_key'])
    assert r.status_int == 202, r.body
    assert set(r.json['transfer']) == SUMMARY and r.json['transfer']['id'] == t['id']
    moved = _volume(cloud, vol['id'], cloud.bob, cloud.b_project)
    assert moved['status'] == 'available'
    assert moved['os-vol-tenant-attr:tenant_id'] == cloud.b_project
    assert _volume(cloud, vol['id']) == 404
    s = cloud.v('GET', f"/snapshots/{snap['id']}", token=cloud.bob, project=cloud.b_project)
    assert s.status_int == 200, s.body
    # the quota usage moved with them; the transfer is gone
    assert (_used(cloud, cloud.alice, cloud.a_project)['totalVolumesUsed'],
            _used(cloud, cloud.bob, cloud.b_project)['totalGigabytesUsed']) == (0, 4)
    assert cloud.v('GET', f"{LEGACY}/{t['id']}").status_int == 404
    assert _accept(cloud, t['id'], t['auth_key']).status_int == 404


def test_delete_gives_the_volume_back(cloud):
    vol = _available(cloud)
    t = _transfer(cloud, vol['id'])
    assert cloud.v('DELETE', f"{LEGACY}/{t['id']}", token=cloud.bob,
                   project=cloud.b_project).status_int == 404
    assert cloud.v('DELETE', f"{LEGACY}/{t['id']}", token=cloud.reader).status_int == 403
    r = cloud.v('DELETE', f"{LEGACY}/{t['id']}")
    assert r.status_int == 202 and r.body == b'', r.body
    assert _volume(cloud, vol['id'])['status'] == 'available'
    assert cloud.v('GET', f"{LEGACY}/{t['id']}").status_int == 404
    assert _accept(cloud, t['id'], t['auth_key']).status_int == 404
    assert cloud.v('DELETE', f"{LEGACY}/{t['id']}").status_int == 404


def test_volume_transfers_api_and_versions(cloud):
    vol = _available(cloud)
    snap = _snapshot(cloud, vol['id'])
    assert cloud.v('GET', NEW, version='3.54').status_int == 404
    # the legacy path takes no no_snapshots
    assert cloud.v('POST', LEGACY, {'transfer': {'volume_id': vol['id'], 'no_snapshots': True}},
                   version='3.55').status_int == 400
    t = _transfer(cloud, vol['id'], NEW, '3.55', no_snapshots=True)
    assert set(t) == DETAIL | {'auth_key', 'no_snapshots'} and t['no_snapshots'] is True
    assert t['links'][0]['href'].endswith(f"/volume-transfers/{t['id']}")
    shown = cloud.v('GET', f"{NEW}/{t['id']}", version='3.57').json['transfer']
    assert set(shown) == DETAIL | {'no_snapshots', 'source_project_id',
                                   'destination_project_id', 'accepted'}
    assert (shown['source_project_id'], shown['destination_project_id'],
            shown['accepted']) == (cloud.a_project, None, False)
    # either path shows the transfers of either
    assert set(cloud.v('GET', f"{LEGACY}/{t['id']}", version='3.0').json['transfer']) == DETAIL
    r = _accept(cloud, t['id'], t['auth_key'], NEW, '3.57')
    assert r.status_int == 202, r.body
    assert _volume(cloud, vol['id'], cloud.bob, cloud.b_project)['status'] == 'available'
    # no_snapshots: the snapshot stays with its project
    assert cloud.v('GET', f"/snapshots/{snap['id']}").status_int == 200


def test_snapshots_must_be_available_unless_left_behind(cloud):
    vol = _available(cloud)
    snap = _snapshot(cloud, vol['id'])
    r = cloud.v('POST', f"/snapshots/{snap['id']}/action",
                {'os-reset_status': {'status': 'error'}}, cloud.admin)
    assert r.status_int == 202, r.body
    r = cloud.v('POST', LEGACY, {'transfer': {'volume_id': vol['id']}})
    assert r.status_int == 400 and 'not available' in r.body.decode(), r.body
    assert _volume(cloud, vol['id'])['status'] == 'available'
    _transfer(cloud, vol['id'], NEW, '3.55', no_snapshots=True)


def test_quota_of_the_receiving_project(cloud):
    vol = _available(cloud)
    _snapshot(cloud, vol['id'])
    t = _transfer(cloud, vol['id'])
    quota = f'/os-quota-sets/{cloud.b_project}'
    for limits in ({'volumes': 0}, {'snapshots': 0}, {'gigabytes': 1}):
        r = cloud.v('PUT', quota, {'quota_set': {'volumes': 10, 'snapshots': 10,
                                                 'gigabytes': 100, **limits}}, cloud.admin)
        assert r.status_int == 200, r.body
        r = _accept(cloud, t['id'], t['auth_key'])
        assert r.status_int == 413, (limits, r.body)
        # nothing changed
        assert _volume(cloud, vol['id'])['status'] == states.AWAITING_TRANSFER
        assert cloud.v('GET', f"{LEGACY}/{t['id']}").status_int == 200
        assert _used(cloud, cloud.bob, cloud.b_project)['totalVolumesUsed'] == 0
        assert _used(cloud, cloud.alice, cloud.a_project)['totalSnapshotsUsed'] == 1
    r = cloud.v('PUT', quota, {'quota_set': {'volumes': 1, 'snapshots': 1, 'gigabytes': 2}},
                cloud.admin)
    assert _accept(cloud, t['id'], t['auth_key']).status_int == 202


def test_concurrent_accepts_one_wins(cloud):
    vol = _available(cloud)
    t = _transfer(cloud, vol['id'])
    carl, c_project = cloud.member('carl', 'proj-c')
    barrier, results = threading.Barrier(4), []

    def accept(token, project):
        barrier.wait()
        results.append((project, _accept(cloud, t['id'], t['auth_key'], token=token,
                                         project=project).status_int))
    threads = [threading.Thread(target=accept, args=args)
               for args in ((cloud.bob, cloud.b_project), (carl, c_project)) * 2]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    codes = sorted(code for _, code in results)
    assert codes[0] == 202 and codes.count(202) == 1 and \
        set(codes[1:]) <= {400, 404}, results
    winner = next(p for p, code in results if code == 202)
    got = cloud.v('GET', f"/volumes/{vol['id']}", token=cloud.admin).json['volume']
    assert (got['os-vol-tenant-attr:tenant_id'], got['status']) == (winner, 'available')


def test_bad_requests(cloud):
    vol = _available(cloud)
    for body in (None, {}, {'transfer': {}}, {'transfer': {'volume_id': vol['id'], 'x': 1}},
                 {'transfer': {'volume_id': 7}}, {'transfer': 'x'},
                 {'transfer': {'volume_id': vol['id'], 'name': 'n' * 256}}):
        r = cloud.v('POST', LEGACY, body)
        assert r.status_int == 400 and 'badRequest' in r.json, (body, r.body)
    missing = '00000000-0000-4000-8000-000000000000'
    assert cloud.v('POST', LEGACY, {'transfer': {'volume_id': missing}}).status_int == 404
    # another project's volume: not found
    assert cloud.v('POST', LEGACY, {'transfer': {'volume_id': vol['id']}}, cloud.bob,
                   cloud.b_project).status_int == 404
    t = _transfer(cloud, vol['id'])
    for body in (None, {}, {'accept': {}}, {'accept': {'auth_key': None}},
                 {'accept': {'auth_key': 'k', 'x': 1}}, {'accept': {'auth_key': 'k' * 300}}):
        r = cloud.v('POST', f"{LEGACY}/{t['id']}/accept", body, cloud.bob, cloud.b_project)
        assert r.status_int == 400, (body, r.body)
    assert _accept(cloud, missing, 'k').status_int == 404
    assert _accept(cloud, t['id'], 12345).status_int == 400
    assert cloud.v('GET', f'{LEGACY}?sort=bogus:asc').status_int == 400
    assert cloud.v('GET', f'{LEGACY}?marker={missing}').status_int == 404
    assert cloud.v('GET', f'{LEGACY}/{missing}').status_int == 404
    assert _volume(cloud, vol['id'])['status'] == states.AWAITING_TRANSFER


# -- quota classes ---------------------------------------------------------------------
def test_quota_class_default_is_every_projects_default(cloud):
    admin = dict(token=cloud.admin, project=cloud.admin_project)
    path = '/os-quota-class-sets/default'
    shown = cloud.v('GET', path, **admin).json['quota_class_set']
    assert shown['id'] == 'default' and shown['volumes'] == 10 and shown['groups'] == 10
    # members may neither read nor change it
    assert cloud.v('GET', path).status_int == 403
    assert cloud.v('PUT', path, {'quota_class_set': {'volumes': 1}}).status_int == 403

    vtype = cloud.v('POST', '/types', {'volume_type': {'name': 'gold'}}, **admin)
    assert vtype.status_int == 200, vtype.body
    r = cloud.v('PUT', path, {'quota_class_set': {'id': 'default', 'volumes': 1,
                                                  'snapshots': 7, 'volumes_gold': 3}}, **admin)
    assert r.status_int == 200, r.body
    got = r.json['quota_class_set']
    assert 'id' not in got and (got['volumes'], got['snapshots'], got['volumes_gold']) == \
        (1, 7, 3)
    for project in (cloud.a_project, cloud.b_project):
        d = cloud.v('GET', f'/os-quota-sets/{project}/defaults', **admin).json['quota_set']
        assert (d['volumes'], d['snapshots'], d['volumes_gold']) == (1, 7, 3), d
    assert cloud.v('GET', f'/os-quota-sets/{cloud.a_project}').json['quota_set'][
        'volumes'] == 1
    # enforced: alice's second volume is over the new default
    _available(cloud)
    r = cloud.v('POST', '/volumes', {'volume': {'size': 1}})
    assert r.status_int == 413, r.body
    # a project's own quota still wins over the class
    cloud.v('PUT', f'/os-quota-sets/{cloud.a_project}', {'quota_set': {'volumes': 5}},
            **admin)
    assert cloud.v('POST', '/volumes', {'volume': {'size': 1}}).status_int == 202
    # another class: the defaults under its own values, no effect on projects
    r = cloud.v('PUT', '/os-quota-class-sets/gold-class',
                {'quota_class_set': {'gigabytes': 5}}, **admin)
    assert r.status_int == 200 and r.json['quota_class_set']['volumes'] == 1, r.body
    assert cloud.v('GET', f'/os-quota-sets/{cloud.b_project}/defaults', **admin).json[
        'quota_set']['gigabytes'] == 1000


def test_quota_class_bad_requests(cloud):
    admin = dict(token=cloud.admin, project=cloud.admin_project)
    path = '/os-quota-class-sets/default'
    for body in (None, {}, {'quota_class_set': {'volumes': -2}},
                 {'quota_class_set': {'volumes': 'many'}}, {'quota_class_set': {'bogus': 1}},
                 {'quota_class_set': {'volumes_no-such-type': 1}},
                 {'quota_class_set': {'volumes': 2 ** 40}}, {'quota_class_set': []}):
        r = cloud.v('PUT', path, body, **admin)
        assert r.status_int == 400 and 'badRequest' in r.json, (body, r.body)
    assert cloud.v('GET', path, **admin).json['quota_class_set']['volumes'] == 10
    assert cloud.v('GET', '/os-quota-class-sets/' + 'x' * 300, **admin).status_int == 400


HOSTILE = (None, [], {}, 2 ** 64, -2 ** 63 - 1, 1e308, -1.5, True, '', 'x' * 70000, '\ud800')


def test_hostile_values_are_4xx(cloud):
    vol = _available(cloud)
    admin = dict(token=cloud.admin, project=cloud.admin_project)
    t = _transfer(cloud, vol['id'])
    for value in HOSTILE:
        calls = [('POST', NEW, {'transfer': {'volume_id': value}}, {}),
                 ('POST', NEW, {'transfer': {'volume_id': vol['id'], 'name': value}}, {}),
                 ('POST', NEW, {'transfer': {'volume_id': vol['id'], 'no_snapshots': value}},
                  {}),
                 ('POST', f"{NEW}/{t['id']}/accept", {'accept': {'auth_key': value}},
                  dict(token=cloud.bob, project=cloud.b_project)),
                 ('PUT', '/os-quota-class-sets/default', {'quota_class_set': {
                     'volumes': value}}, admin),
                 ('PUT', '/os-quota-class-sets/default', {'quota_class_set': {
                     'id': value, 'volumes': 3}}, admin)]
        for method, path, body, who in calls:
            r = cloud.v(method, path, body, **who)
            assert 400 <= r.status_int < 500 or (
                path.startswith('/os-quota') and r.status_int == 200), (body, r.status, r.body)
    assert _volume(cloud, vol['id'])['status'] == states.AWAITING_TRANSFER
    assert cloud.v('GET', f"{LEGACY}/{t['id']}").status_int == 200
