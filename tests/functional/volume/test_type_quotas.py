"""Per-volume-type quotas (Cinder's volumes_<type>, gigabytes_<type>,
snapshots_<type>) through the Cinder-v3 REST API."""
import concurrent.futures

from tests.functional.volume.conftest import wait_for


def _admin(cloud):
    return {'token': cloud.admin, 'project': cloud.admin_project}


def _type(cloud, name):
    r = cloud.v('POST', '/types', {'volume_type': {'name': name}}, **_admin(cloud))
    assert r.status_int == 200, r.body
    return r.json['volume_type']


def _set(cloud, **values):
    r = cloud.v('PUT', f'/os-quota-sets/{cloud.a_project}', {'quota_set': values},
                **_admin(cloud))
    assert r.status_int == 200, r.body
    return r.json['quota_set']


def test_every_type_is_in_the_quota_sets(cloud):
    _type(cloud, 'gold')
    _type(cloud, 'with_under_score')
    for path in (f'/os-quota-sets/{cloud.a_project}',
                 f'/os-quota-sets/{cloud.a_project}/defaults'):
        q = cloud.v('GET', path).json['quota_set']
        for name in ('gold', 'with_under_score', '__DEFAULT__'):
            for kind in ('volumes', 'gigabytes', 'snapshots'):
                assert q[f'{kind}_{name}'] == -1, (path, kind, name, q)
    got = _set(cloud, volumes_gold=3, gigabytes_gold=30, snapshots_with_under_score=2)
    assert (got['volumes_gold'], got['gigabytes_gold'], got['snapshots_with_under_score']) \
        == (3, 30, 2)
    assert cloud.v('GET', f'/os-quota-sets/{cloud.b_project}', token=cloud.bob,
                   project=cloud.b_project).json['quota_set']['volumes_gold'] == -1
    # a key of no type, or of a deleted one: 400, nothing changed
    for body in ({'volumes_nope': 1}, {'gigabytes_': 1}, {'volumes_gold': -2},
                 {'volumes_gold': 'x'}):
        r = cloud.v('PUT', f'/os-quota-sets/{cloud.a_project}', {'quota_set': body},
                    **_admin(cloud))
        assert r.status_int == 400, (body, r.body)
    # members may not set them
    r = cloud.v('PUT', f'/os-quota-sets/{cloud.a_project}',
                {'quota_set': {'volumes_gold': 9}})
    assert r.status_int == 403
    assert cloud.v('GET', f'/os-quota-sets/{cloud.a_project}').json['quota_set'][
        'volumes_gold'] == 3
    # the default class sets every project's default of a type
    r = cloud.v('PUT', '/os-quota-class-sets/default',
                {'quota_class_set': {'gigabytes_with_under_score': 7}}, **_admin(cloud))
    assert r.status_int == 200 and r.json['quota_class_set']['volumes_gold'] == -1, r.body
    assert cloud.v('GET', f'/os-quota-sets/{cloud.b_project}/defaults', token=cloud.bob,
                   project=cloud.b_project).json['quota_set'][
        'gigabytes_with_under_score'] == 7
    # DELETE resets the per-type limits too
    assert cloud.v('DELETE', f'/os-quota-sets/{cloud.a_project}',
                   **_admin(cloud)).status_int == 200
    assert cloud.v('GET', f'/os-quota-sets/{cloud.a_project}').json['quota_set'][
        'volumes_gold'] == -1


def test_concurrent_creates_of_a_type_stop_at_its_quota(cloud):
    _type(cloud, 'fast')
    _set(cloud, volumes_fast=5)

    def one(i):
        return cloud.v('POST', '/volumes', {'volume': {'size': 1, 'name': f'f{i}',
                                                       'volume_type': 'fast'}})

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(one, range(10)))
    codes = sorted(r.status_int for r in answers)
    assert codes == [202] * 5 + [413] * 5, codes
    refused = next(r for r in answers if r.status_int == 413)
    assert refused.json['overLimit']['message'] == \
        "Maximum number of volumes allowed (5) exceeded for quota 'volumes_fast'."
    vols = cloud.v('GET', '/volumes/detail').json['volumes']
    assert len(vols) == 5 and {v['volume_type'] for v in vols} == {'fast'}
    # other types are not limited by it
    assert cloud.v('POST', '/volumes', {'volume': {'size': 1}}).status_int == 202
    q = cloud.v('GET', f'/os-quota-sets/{cloud.a_project}?usage=true').json['quota_set']
    assert q['volumes_fast'] == {'limit': 5, 'in_use': 5, 'reserved': 0, 'allocated': 0}
    assert q['gigabytes_fast']['in_use'] == 5 and q['volumes']['in_use'] == 6
    assert q['volumes___DEFAULT__']['in_use'] == 1


def test_gigabytes_snapshots_extend_and_retype(cloud):
    _type(cloud, 'gold')
    _type(cloud, 'silver')
    _set(cloud, gigabytes_gold=4, snapshots_gold=1, volumes_silver=1)
    r = cloud.v('POST', '/volumes', {'volume': {'size': 5, 'volume_type': 'gold'}})
    assert r.status_int == 413
    assert r.json['overLimit']['message'] == (
        'Requested volume or snapshot exceeds allowed gigabytes_gold quota. Requested 5G, '
        'quota is 4G and 0G has been consumed.')
    vol = cloud.create(size=2, volume_type='gold')
    cloud.wait_status(vol['id'], 'available')
    act = f"/volumes/{vol['id']}/action"
    r = cloud.v('POST', act, {'os-extend': {'new_size': 5}})
    assert r.status_int == 413 and 'gigabytes_gold' in r.json['overLimit']['message']
    # a snapshot counts in gigabytes_gold: 2 + 2 = 4 fits, a second one is over
    snap = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id']}})
    assert snap.status_int == 202, snap.body
    cloud.wait_status(snap.json['snapshot']['id'], 'available', kind='snapshots')
    r = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id']}})
    assert r.status_int == 413 and 'snapshots' in r.json['overLimit']['message']
    # retype into silver: its one volume is free, the volume (and its snapshot) move
    other = cloud.create(size=1, volume_type='silver')
    cloud.wait_status(other['id'], 'available')
    r = cloud.v('POST', act, {'os-retype': {'new_type': 'silver'}})
    assert r.status_int == 413 and 'volumes_silver' in r.json['overLimit']['message']
    assert cloud.v('GET', f"/volumes/{vol['id']}").json['volume']['volume_type'] == 'gold'
    _set(cloud, volumes_silver=2)
    assert cloud.v('POST', act, {'os-retype': {'new_type': 'silver'}}).status_int == 202
    q = cloud.v('GET', f'/os-quota-sets/{cloud.a_project}?usage=true').json['quota_set']
    assert q['gigabytes_gold']['in_use'] == 0 and q['snapshots_silver']['in_use'] == 1
    assert q['gigabytes_silver']['in_use'] == 5


def test_rename_and_delete_of_a_type_keep_its_quotas_consistent(cloud):
    t = _type(cloud, 'old-name')
    _set(cloud, **{'volumes_old-name': 1})
    r = cloud.v('PUT', f"/types/{t['id']}", {'volume_type': {'name': 'new-name'}},
                **_admin(cloud))
    assert r.status_int == 200, r.body
    q = cloud.v('GET', f'/os-quota-sets/{cloud.a_project}').json['quota_set']
    assert q['volumes_new-name'] == 1 and 'volumes_old-name' not in q
    vol = cloud.create(size=1, volume_type='new-name')
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', '/volumes', {'volume': {'size': 1, 'volume_type': 'new-name'}})
    assert r.status_int == 413 and 'volumes_new-name' in r.json['overLimit']['message']
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 202
    cloud.wait_status(vol['id'], 'deleted')
    assert cloud.v('DELETE', f"/types/{t['id']}", **_admin(cloud)).status_int == 202
    q = cloud.v('GET', f'/os-quota-sets/{cloud.a_project}').json['quota_set']
    assert not any(k.endswith('new-name') for k in q)
    # a new type of the old name starts unlimited
    _type(cloud, 'new-name')
    wait_for(lambda: cloud.v('GET', f'/os-quota-sets/{cloud.a_project}').json['quota_set'][
        'volumes_new-name'] == -1, what='fresh type unlimited')
