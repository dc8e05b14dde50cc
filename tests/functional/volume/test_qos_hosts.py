"""Cinder's QoS specs (/qos-specs) and volume hosts (/os-hosts), admin only,
against the in-process cloud (file backend): create, show, list, set and
unset keys, associations with volume types, delete (force); hosts listed
from the volume services and backends, one host's volumes and snapshots."""
QOS = '/qos-specs'


def _admin(cloud):
    return dict(token=cloud.admin, project=cloud.admin_project)


def _qos(cloud, name='gold-qos', **specs):
    r = cloud.v('POST', QOS, {'qos_specs': {'name': name, **specs}}, **_admin(cloud))
    assert r.status_int == 200, r.body
    return r.json['qos_specs']


def _type(cloud, name):
    r = cloud.v('POST', '/types', {'volume_type': {'name': name}}, **_admin(cloud))
    assert r.status_int == 200, r.body
    return r.json['volume_type']


def test_qos_specs_crud(cloud):
    admin = _admin(cloud)
    q = _qos(cloud, consumer='front-end', read_iops_sec='2000', total_bytes_sec=10)
    assert q['consumer'] == 'front-end' and q['name'] == 'gold-qos'
    assert q['specs'] == {'read_iops_sec': '2000', 'total_bytes_sec': '10'}
    assert _qos(cloud, 'plain')['consumer'] == 'back-end'
    shown = cloud.v('GET', f"{QOS}/{q['id']}", **admin)
    assert shown.status_int == 200 and shown.json['qos_specs'] == q
    assert shown.json['links'][0]['href'].endswith(f"/qos-specs/{q['id']}")
    listed = cloud.v('GET', QOS, **admin).json['qos_specs']
    assert {x['name'] for x in listed} == {'gold-qos', 'plain'}
    # set keys (and the consumer), then unset some
    r = cloud.v('PUT', f"{QOS}/{q['id']}", {'qos_specs': {'iops': '5', 'consumer': 'both'}},
                **admin)
    assert r.status_int == 200 and r.json['qos_specs'] == {'iops': '5', 'consumer': 'both'}
    got = cloud.v('GET', f"{QOS}/{q['id']}", **admin).json['qos_specs']
    assert got['consumer'] == 'both' and got['specs']['iops'] == '5'
    r = cloud.v('PUT', f"{QOS}/{q['id']}/delete_keys", {'keys': ['iops', 'read_iops_sec']},
                **admin)
    assert r.status_int == 202, r.body
    got = cloud.v('GET', f"{QOS}/{q['id']}", **admin).json['qos_specs']
    assert got['specs'] == {'total_bytes_sec': '10'}
    assert cloud.v('PUT', f"{QOS}/{q['id']}/delete_keys", {'keys': ['iops']},
                   **admin).status_int == 404
    # duplicate name: 409; delete: gone
    assert cloud.v('POST', QOS, {'qos_specs': {'name': 'plain'}}, **admin).status_int == 409
    assert cloud.v('DELETE', f"{QOS}/{q['id']}", **admin).status_int == 202
    assert cloud.v('GET', f"{QOS}/{q['id']}", **admin).status_int == 404


def test_qos_associations(cloud):
    admin = _admin(cloud)
    q, other = _qos(cloud), _qos(cloud, 'other')
    t1, t2 = _type(cloud, 'silver'), _type(cloud, 'bronze')
    assoc = f"{QOS}/{q['id']}/associations"
    assert cloud.v('GET', assoc, **admin).json == {'qos_associations': []}
    for t in (t1, t2):
        r = cloud.v('GET', f"{QOS}/{q['id']}/associate?vol_type_id={t['id']}", **admin)
        assert r.status_int == 202, r.body
    got = cloud.v('GET', assoc, **admin).json['qos_associations']
    assert sorted(a['id'] for a in got) == sorted([t1['id'], t2['id']])
    assert {a['association_type'] for a in got} == {'volume_type'}
    shown = cloud.v('GET', f"/types/{t1['id']}", **admin).json['volume_type']
    assert shown['qos_specs_id'] == q['id']
    # a type has one QoS specs at most
    assert cloud.v('GET', f"{QOS}/{other['id']}/associate?vol_type_id={t1['id']}",
                   **admin).status_int == 400
    # deleting associated specs: refused unless forced
    assert cloud.v('DELETE', f"{QOS}/{q['id']}", **admin).status_int == 400
    assert cloud.v('GET', f"{QOS}/{q['id']}/disassociate?vol_type_id={t1['id']}",
                   **admin).status_int == 202
    got = cloud.v('GET', assoc, **admin).json['qos_associations']
    assert [a['id'] for a in got] == [t2['id']]
    assert cloud.v('GET', f"{QOS}/{q['id']}/disassociate_all", **admin).status_int == 202
    assert cloud.v('GET', assoc, **admin).json == {'qos_associations': []}
    assert cloud.v('GET', f"{QOS}/{q['id']}/associate?vol_type_id={t1['id']}",
                   **admin).status_int == 202
    assert cloud.v('DELETE', f"{QOS}/{q['id']}?force=true", **admin).status_int == 202
    shown = cloud.v('GET', f"/types/{t1['id']}", **admin).json['volume_type']
    assert shown['qos_specs_id'] is None


def test_qos_admin_only_and_bad_input(cloud):
    admin = _admin(cloud)
    q = _qos(cloud)
    missing = '00000000-0000-0000-0000-000000000000'
    # members: 403 on every route
    assert cloud.v('GET', QOS).status_int == 403
    assert cloud.v('POST', QOS, {'qos_specs': {'name': 'x'}}).status_int == 403
    assert cloud.v('GET', f"{QOS}/{q['id']}").status_int == 403
    assert cloud.v('DELETE', f"{QOS}/{q['id']}").status_int == 403
    assert cloud.v('GET', f"{QOS}/{q['id']}/disassociate_all").status_int == 403
    # bad input: 4xx
    for body in ({}, {'qos_specs': {}}, {'qos_specs': {'name': ''}},
                 {'qos_specs': {'name': '  '}}, {'qos_specs': {'name': 'x', 'consumer': 'no'}},
                 {'qos_specs': {'name': 'x', 'k': {'nested': 1}}}, {'qos_specs': 'x'}):
        assert cloud.v('POST', QOS, body, **admin).status_int == 400, body
    assert cloud.v('PUT', f"{QOS}/{q['id']}", {'qos_specs': {}}, **admin).status_int == 400
    assert cloud.v('PUT', f"{QOS}/{q['id']}/delete_keys", {'keys': 'a'},
                   **admin).status_int == 400
    assert cloud.v('GET', f"{QOS}/{missing}", **admin).status_int == 404
    assert cloud.v('PUT', f"{QOS}/{missing}", {'qos_specs': {'a': 'b'}},
                   **admin).status_int == 404
    assert cloud.v('DELETE', f"{QOS}/{missing}", **admin).status_int == 404
    assert cloud.v('DELETE', f"{QOS}/{q['id']}?force=maybe", **admin).status_int == 400
    assert cloud.v('GET', f"{QOS}/{missing}/associations", **admin).status_int == 404
    assert cloud.v('GET', f"{QOS}/{q['id']}/associate", **admin).status_int == 400
    assert cloud.v('GET', f"{QOS}/{q['id']}/associate?vol_type_id={missing}",
                   **admin).status_int == 404
    assert cloud.v('GET', f"{QOS}/{q['id']}/disassociate?vol_type_id={missing}",
                   **admin).status_int == 404


def test_os_hosts(cloud):
    admin = _admin(cloud)
    vol = cloud.create(size=2)
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', '/snapshots', {'snapshot': {'volume_id': vol['id']}})
    assert r.status_int == 202, r.body
    cloud.wait_status(r.json['snapshot']['id'], 'available', kind='snapshots')
    hosts = cloud.v('GET', '/os-hosts', **admin).json['hosts']
    assert {h['service'] for h in hosts} >= {'cinder-volume', 'cinder-scheduler'}
    for h in hosts:
        assert set(h) == {'host_name', 'service', 'zone', 'service-status', 'service-state',
                          'last-update'}
    volume_hosts = [h['host_name'] for h in hosts if h['service'] == 'cinder-volume' and
                    h['service-status'] == 'available']
    assert volume_hosts
    placed = cloud.v('GET', f"/volumes/{vol['id']}", **admin).json['volume'][
        'os-vol-host-attr:host'].split('#')[0]
    assert placed in volume_hosts
    shown = cloud.v('GET', f'/os-hosts/{placed}', **admin).json['host']
    total, mine = shown[0]['resource'], shown[1]['resource']
    assert total['project'] == '(total)' and total['volume_count'] == '1'
    assert (total['total_volume_gb'], total['snapshot_count'], total['total_snapshot_gb']) == \
        ('2', '1', '2')
    assert mine['project'] == cloud.a_project and mine['volume_count'] == '1'
    assert cloud.v('GET', '/os-hosts/no-such-host', **admin).status_int == 404
    assert cloud.v('GET', '/os-hosts').status_int == 403
    assert cloud.v('GET', f'/os-hosts/{placed}').status_int == 403
