"""Generic volume groups (Cinder 3.11+ group types, 3.13+ groups, 3.14+ group
snapshots and create-from-src, 3.19/3.20 reset_status) against the
in-process cloud (file backend): the whole life of a group, its snapshots
and clones, refusals, isolation between projects, the reaper."""
import datetime

from tests.functional.volume.conftest import wait_for


def _type(cloud, name='gt', **extra):
    r = cloud.v('POST', '/group_types', {'group_type': {'name': name, **extra}},
                token=cloud.admin, project=cloud.admin_project)
    assert r.status_int == 202, r.body
    return r.json['group_type']


def _vtype(cloud, name='vt'):
    r = cloud.v('POST', '/types', {'volume_type': {'name': name}}, token=cloud.admin,
                project=cloud.admin_project)
    assert r.status_int == 200, r.body
    return r.json['volume_type']


def _group(cloud, gtype, vtypes, token=None, project=None, **extra):
    r = cloud.v('POST', '/groups', {'group': {'group_type': gtype['id'],
                                              'volume_types': [t['id'] for t in vtypes],
                                              'name': 'g1', **extra}}, token, project)
    assert r.status_int == 202, r.body
    assert set(r.json['group']) == {'id', 'name'}
    cloud.wait_status(r.json['group']['id'], 'available', token, project, kind='groups')
    return r.json['group']


def _volume(cloud, vtype, group, token=None, project=None):
    vol = cloud.create(token, project, volume_type=vtype['id'], group_id=group['id'])
    assert vol['group_id'] == group['id']
    cloud.wait_status(vol['id'], 'available', token, project)
    return vol


def _members(cloud, group_id):
    vols = cloud.v('GET', '/volumes/detail').json['volumes']
    return sorted(v['id'] for v in vols if v['group_id'] == group_id)


def _delete(cloud, group_id, delete_volumes=True, status=202, token=None, project=None):
    r = cloud.v('POST', f'/groups/{group_id}/action',
                {'delete': {'delete-volumes': delete_volumes}}, token, project)
    assert r.status_int == status, r.body
    return r


def test_group_types_and_specs(cloud):
    gt = _type(cloud, 'gold', description='d', group_specs={'k': 'v'})
    assert gt == {'id': gt['id'], 'name': 'gold', 'description': 'd', 'is_public': True,
                  'group_specs': {'k': 'v'}}
    admin = {'token': cloud.admin, 'project': cloud.admin_project}
    assert cloud.v('GET', '/group_types', version='3.10', **admin).status_int == 404
    r = cloud.v('PUT', f'/group_types/{gt["id"]}', {'group_type': {'name': 'gold2'}}, **admin)
    assert r.status_int == 200 and r.json['group_type']['name'] == 'gold2'
    # members see public types without specs and may not write
    shown = cloud.v('GET', f'/group_types/{gt["id"]}').json['group_type']
    assert 'group_specs' not in shown and shown['name'] == 'gold2'
    assert cloud.v('POST', '/group_types', {'group_type': {'name': 'x'}}).status_int == 403
    priv = _type(cloud, 'private', is_public=False)
    assert cloud.v('GET', f'/group_types/{priv["id"]}').status_int == 404
    names = [t['name'] for t in cloud.v('GET', '/group_types?is_public=None&sort=name:asc',
                                        **admin).json['group_types']]
    assert names.index('gold2') < names.index('private')
    assert 'private' not in [t['name'] for t in cloud.v('GET', '/group_types').json[
        'group_types']]
    default = cloud.v('GET', '/group_types/default').json['group_type']
    assert default['name'] == 'default_group_type'
    # group specs
    base = f'/group_types/{gt["id"]}/group_specs'
    r = cloud.v('POST', base, {'group_specs': {'a': '1', 'b': '2'}}, **admin)
    assert r.status_int == 202 and r.json == {'group_specs': {'a': '1', 'b': '2'}}
    assert cloud.v('GET', base, **admin).json['group_specs'] == {'k': 'v', 'a': '1', 'b': '2'}
    assert cloud.v('GET', base).status_int == 403
    r = cloud.v('PUT', f'{base}/a', {'a': '3'}, **admin)
    assert r.status_int == 200 and r.json == {'a': '3'}
    assert cloud.v('PUT', f'{base}/a', {'b': '3'}, **admin).status_int == 400
    assert cloud.v('GET', f'{base}/a', **admin).json == {'a': '3'}
    assert cloud.v('DELETE', f'{base}/a', **admin).status_int == 202
    assert cloud.v('GET', f'{base}/a', **admin).status_int == 404
    assert cloud.v('DELETE', f'{base}/a', **admin).status_int == 404
    for bad in ({'group_type': {}}, {'group_type': {'name': 'n', 'x': 1}}, {'x': 1},
                {'group_type': {'name': 'n', 'group_specs': {'k': 1}}}):
        r = cloud.v('POST', '/group_types', bad, **admin)
        assert r.status_int == 400, (bad, r.body)
    assert cloud.v('POST', '/group_types', {'group_type': {'name': 'gold2'}},
                   **admin).status_int == 409
    assert cloud.v('DELETE', f'/group_types/{gt["id"]}', **admin).status_int == 202
    assert cloud.v('GET', f'/group_types/{gt["id"]}', **admin).status_int == 404


def test_group_life(cloud):
    gt, vt, other = _type(cloud), _vtype(cloud), _vtype(cloud, 'other')
    g = _group(cloud, gt, [vt], description='first')
    shown = cloud.v('GET', f'/groups/{g["id"]}', version='3.13').json['group']
    assert shown == {'id': g['id'], 'name': 'g1', 'description': 'first',
                     'status': 'available', 'availability_zone': 'nova',
                     'created_at': shown['created_at'], 'group_type': gt['id'],
                     'volume_types': [vt['id']]}
    assert cloud.v('GET', f'/groups/{g["id"]}', version='3.12').status_int == 404
    v1, v2 = _volume(cloud, vt, g), _volume(cloud, vt, g)
    assert _members(cloud, g['id']) == sorted([v1['id'], v2['id']])
    got = cloud.v('GET', f'/groups/{g["id"]}?list_volume=true').json['group']
    assert sorted(got['volumes']) == sorted([v1['id'], v2['id']])
    assert got['project_id'] == cloud.a_project and got['group_snapshot_id'] is None
    # a volume of another type cannot join; a group's volume is not deleted alone
    r = cloud.v('POST', '/volumes', {'volume': {'size': 1, 'volume_type': other['id'],
                                                'group_id': g['id']}})
    assert r.status_int == 400, r.body
    assert cloud.v('DELETE', f'/volumes/{v1["id"]}').status_int == 400
    # update: rename, remove, add back
    r = cloud.v('PUT', f'/groups/{g["id"]}', {'group': {'name': 'new', 'description': 'x',
                                                        'remove_volumes': v2['id']}})
    assert r.status_int == 202, r.body
    got = cloud.v('GET', f'/groups/{g["id"]}').json['group']
    assert (got['name'], got['description'], got['status']) == ('new', 'x', 'available')
    assert _members(cloud, g['id']) == [v1['id']]
    for bad in ({'remove_volumes': v2['id']},               # not in the group
                {'add_volumes': f'{v2["id"]},nope'},        # unknown: nothing changes
                {}, {'nonsense': 1}):
        r = cloud.v('PUT', f'/groups/{g["id"]}', {'group': bad})
        assert r.status_int in (400, 404), (bad, r.body)
    assert _members(cloud, g['id']) == [v1['id']]
    plain = cloud.create(volume_type=other['id'])
    cloud.wait_status(plain['id'], 'available')
    r = cloud.v('PUT', f'/groups/{g["id"]}', {'group': {'add_volumes': plain['id']}})
    assert r.status_int == 400, r.body
    r = cloud.v('PUT', f'/groups/{g["id"]}', {'group': {'add_volumes': v2['id']}})
    assert r.status_int == 202, r.body
    assert _members(cloud, g['id']) == sorted([v1['id'], v2['id']])
    listed = cloud.v('GET', '/groups').json['groups']
    assert listed == [{'id': g['id'], 'name': 'new'}]
    # delete: with volumes only with the flag
    r = _delete(cloud, g['id'], delete_volumes=False, status=400)
    assert 'delete-volumes' in r.json['badRequest']['message']
    _delete(cloud, g['id'])
    for vid in (v1['id'], v2['id'], g['id']):
        cloud.wait_status(vid, 'deleted', kind='groups' if vid == g['id'] else 'volumes')
    assert cloud.v('GET', '/groups/detail').json['groups'] == []
    empty = _group(cloud, gt, [vt])
    _delete(cloud, empty['id'], delete_volumes=False)
    assert cloud.v('GET', f'/groups/{empty["id"]}').status_int == 404


def test_group_snapshots_and_create_from_src(cloud):
    gt, vt = _type(cloud), _vtype(cloud)
    g = _group(cloud, gt, [vt])
    vols = sorted([_volume(cloud, vt, g)['id'], _volume(cloud, vt, g)['id']])
    r = cloud.v('POST', '/group_snapshots', {'group_snapshot': {'group_id': g['id'],
                                                                'name': 'gs'}}, version='3.14')
    assert r.status_int == 202, r.body
    gs = r.json['group_snapshot']
    assert gs == {'id': gs['id'], 'name': 'gs', 'group_type_id': gt['id']}
    cloud.wait_status(gs['id'], 'available', kind='group_snapshots')
    snaps = [s for s in cloud.v('GET', '/snapshots/detail').json['snapshots']
             if s['group_snapshot_id'] == gs['id']]
    assert sorted(s['volume_id'] for s in snaps) == vols
    assert {s['status'] for s in snaps} == {'available'}
    shown = cloud.v('GET', f'/group_snapshots/{gs["id"]}', version='3.14').json[
        'group_snapshot']
    assert set(shown) == {'id', 'name', 'status', 'description', 'created_at', 'group_id',
                          'group_type_id'} and shown['group_id'] == g['id']
    assert [x['id'] for x in cloud.v('GET', '/group_snapshots').json['group_snapshots']] == \
        [gs['id']]
    # a group with group snapshots is not deleted
    _delete(cloud, g['id'], status=400)

    # from the group snapshot, and from the group
    for src in ({'group_snapshot_id': gs['id']}, {'source_group_id': g['id']}):
        r = cloud.v('POST', '/groups/action', {'create-from-src': {'name': 'copy', **src}},
                    version='3.14')
        assert r.status_int == 202, r.body
        new = r.json['group']
        cloud.wait_status(new['id'], 'available', kind='groups')
        made = _members(cloud, new['id'])
        assert len(made) == 2
        for vid in made:
            cloud.wait_status(vid, 'available')
        got = cloud.v('GET', f'/groups/{new["id"]}').json['group']
        assert (got['group_snapshot_id'], got['source_group_id']) == \
            (src.get('group_snapshot_id'), src.get('source_group_id'))
        _delete(cloud, new['id'])
        cloud.wait_status(new['id'], 'deleted', kind='groups')
    for bad in ({}, {'group_snapshot_id': gs['id'], 'source_group_id': g['id']}):
        r = cloud.v('POST', '/groups/action', {'create-from-src': bad})
        assert r.status_int == 400, r.body
    assert cloud.v('POST', '/groups/action', {'create-from-src': {
        'source_group_id': g['id']}}, version='3.13').status_int == 404

    # reset_status: admins only, 3.19+
    base = f'/group_snapshots/{gs["id"]}/action'
    assert cloud.v('POST', base, {'reset_status': {'status': 'error'}}).status_int == 403
    admin = {'token': cloud.admin, 'project': cloud.a_project}
    assert cloud.v('POST', base, {'reset_status': {'status': 'error'}}, version='3.18',
                   **admin).status_int == 404
    assert cloud.v('POST', base, {'reset_status': {'status': 'bogus'}},
                   **admin).status_int == 400
    assert cloud.v('POST', base, {'reset_status': {'status': 'error'}},
                   **admin).status_int == 202
    assert cloud.v('GET', f'/group_snapshots/{gs["id"]}').json['group_snapshot'][
        'status'] == 'error'
    assert cloud.v('DELETE', f'/group_snapshots/{gs["id"]}').status_int == 202
    cloud.wait_status(gs['id'], 'deleted', kind='group_snapshots')
    for s in snaps:
        cloud.wait_status(s['id'], 'deleted', kind='snapshots')
    _delete(cloud, g['id'])
    cloud.wait_status(g['id'], 'deleted', kind='groups')


def test_group_reset_status_and_isolation(cloud):
    gt, vt = _type(cloud), _vtype(cloud)
    g = _group(cloud, gt, [vt])
    admin = {'token': cloud.admin, 'project': cloud.a_project}
    base = f'/groups/{g["id"]}/action'
    assert cloud.v('POST', base, {'reset_status': {'status': 'error'}}).status_int == 403
    for status in ('creating', 'available', 'error'):
        assert cloud.v('POST', base, {'reset_status': {'status': status}},
                       **admin).status_int == 202
        assert cloud.v('GET', f'/groups/{g["id"]}').json['group']['status'] == status
    assert cloud.v('POST', base, {'nope': {}}).status_int == 400
    assert cloud.v('POST', base, {'reset_status': {'status': 'error'}}, version='3.19',
                   **admin).status_int == 404
    # bob (another project) sees nothing of alice's group, cannot add his volume to it
    bob = {'token': cloud.bob, 'project': cloud.b_project}
    assert cloud.v('GET', f'/groups/{g["id"]}', **bob).status_int == 404
    assert cloud.v('PUT', f'/groups/{g["id"]}', {'group': {'name': 'x'}}, **bob).status_int \
        == 404
    _delete(cloud, g['id'], status=404, **bob)
    r = cloud.v('POST', '/volumes', {'volume': {'size': 1, 'group_id': g['id']}}, **bob)
    assert r.status_int == 404, r.body
    cloud.v('POST', base, {'reset_status': {'status': 'available'}}, **admin)
    bobs = cloud.create(cloud.bob, cloud.b_project, volume_type=vt['id'])
    cloud.wait_status(bobs['id'], 'available', cloud.bob, cloud.b_project)
    r = cloud.v('PUT', f'/groups/{g["id"]}', {'group': {'add_volumes': bobs['id']}})
    assert r.status_int == 404, r.body
    assert cloud.v('GET', '/volumes/' + bobs['id'], **bob).json['volume']['group_id'] is None
    # the reader may look, not write
    assert cloud.v('GET', f'/groups/{g["id"]}', token=cloud.reader).status_int == 200
    r = cloud.v('POST', '/groups', {'group': {'group_type': gt['id'],
                                              'volume_types': [vt['id']]}},
                token=cloud.reader)
    assert r.status_int == 403
    # bad bodies are 400, unknown types 404
    for bad in ({'group': {'group_type': gt['id']}}, {'group': {'volume_types': [vt['id']]}},
                {'group': {'group_type': gt['id'], 'volume_types': []}},
                {'group': {'group_type': gt['id'], 'volume_types': ['x'] * 33}}):
        assert cloud.v('POST', '/groups', bad).status_int == 400, bad
    r = cloud.v('POST', '/groups', {'group': {'group_type': 'nope', 'volume_types': [vt['id']]}})
    assert r.status_int == 404


def test_reaper_ends_stuck_groups(cloud):
    from iaas.volume import groups
    gt, vt = _type(cloud), _vtype(cloud)
    g = _group(cloud, gt, [vt])
    admin = {'token': cloud.admin, 'project': cloud.a_project}
    cloud.v('POST', f'/groups/{g["id"]}/action', {'reset_status': {'status': 'creating'}},
            **admin)
    future = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + \
        datetime.timedelta(seconds=5)
    assert groups.reap(future) == [('group', g['id'])]
    wait_for(lambda: cloud.v('GET', f'/groups/{g["id"]}').json['group']['status'] == 'error',
             what='group in error')


def test_groups_quota(cloud):
    """``groups`` is a quota of its own (default [quota] groups = 10)."""
    admin = dict(token=cloud.admin, project=cloud.admin_project)
    qpath = f'/os-quota-sets/{cloud.a_project}'
    assert cloud.v('GET', f'{qpath}/defaults', **admin).json['quota_set']['groups'] == 10
    r = cloud.v('PUT', qpath, {'quota_set': {'groups': 1}}, **admin)
    assert r.status_int == 200 and r.json['quota_set']['groups'] == 1, r.body
    gtype, vtype = _type(cloud), _vtype(cloud)
    _group(cloud, gtype, [vtype])
    usage = cloud.v('GET', f'{qpath}?usage=true').json['quota_set']['groups']
    assert (usage['limit'], usage['in_use']) == (1, 1)
    r = cloud.v('POST', '/groups', {'group': {'group_type': gtype['id'],
                                              'volume_types': [vtype['id']]}})
    assert r.status_int == 413, r.body
    assert cloud.v('PUT', qpath, {'quota_set': {'groups': 'x'}}, **admin).status_int == 400
