"""Nova's response shapes and the server subresources Tempest drives (issue
#13): what each microversion shows, and nothing more (Tempest validates
bodies against Nova's schemas with additionalProperties false)."""
from iaas import states
from iaas.db import instances as db_instances
from tests.functional.compute.conftest import wait_for

MV = 'OpenStack-API-Version'


def _v(v):
    return {MV: f'compute {v}'}


def _create(api, v='2.1', **extra):
    body = {'server': {'name': 'shape', 'imageRef': api.image, 'flavorRef': api.flavor,
                       'networks': 'none', **extra}}
    return api.c('POST', '/servers', body, api.alice, headers=_v(v))


def _active(api, sid):
    def ok():
        inst = db_instances.get(sid)
        return inst['vm_state'] == states.ACTIVE and inst['task_state'] is None
    wait_for(ok, what=f'{sid} active')


BASIC = {'id', 'name', 'status', 'tenant_id', 'user_id', 'metadata', 'hostId', 'image',
         'flavor', 'created', 'updated', 'addresses', 'accessIPv4', 'accessIPv6',
         'links', 'OS-DCF:diskConfig', 'progress'}


def test_create_update_rebuild_shapes(api, compute_services):
    r = _create(api, accessIPv4='1.1.1.1',
                accessIPv6='0000:0000:0000:0000:0000:babe:220.12.22.2')
    assert r.status_int == 202, r.body
    # Nova's create view: no name (Tempest refuses every create otherwise)
    assert set(r.json['server']) == {'id', 'links', 'OS-DCF:diskConfig', 'security_groups',
                                     'adminPass'}
    sid = r.json['server']['id']
    _active(api, sid)
    s = api.c('GET', f'/servers/{sid}', token=api.alice).json['server']
    assert (s['accessIPv4'], s['accessIPv6']) == ('1.1.1.1', '::babe:dc0c:1602')
    assert 'security_groups' not in s        # no ports, no groups: no key, as Nova
    assert 'OS-EXT-STS:vm_state' in s and 'key_name' in s

    # update before 2.75: the basic view only
    r = api.c('PUT', f'/servers/{sid}', {'server': {'name': 'n2', 'accessIPv4': '2.2.2.2'}},
              api.alice)
    assert r.status_int == 200, r.body
    assert set(r.json['server']) == BASIC
    assert r.json['server']['accessIPv4'] == '2.2.2.2'
    r = api.c('PUT', f'/servers/{sid}', {'server': {'name': 'n3'}}, api.alice,
              headers=_v('2.75'))
    assert {'OS-EXT-STS:vm_state', 'key_name', 'config_drive', 'locked', 'tags',
            'server_groups', 'locked_reason'} <= set(r.json['server'])
    for bad in ({'accessIPv4': '1.1.1.1.1.1'}, {'accessIPv6': 'notvalid'},
                {'accessIPv4': '::1'}):
        assert api.c('PUT', f'/servers/{sid}', {'server': bad}, api.alice).status_int == 400
        assert _create(api, **bad).status_int == 400

    # rebuild: the update view + adminPass; key_name from 2.54, user_data from 2.57
    r = api.c('POST', f'/servers/{sid}/action', {'rebuild': {
        'imageRef': api.image, 'user_data': 'ZWNobw=='}}, api.alice, headers=_v('2.57'))
    assert r.status_int == 202, r.body
    assert set(r.json['server']) - {'progress'} == BASIC - {'progress'} | {
        'adminPass', 'key_name', 'user_data', 'locked', 'description', 'tags'}
    assert r.json['server']['user_data'] == 'ZWNobw=='
    r = api.c('POST', f'/servers/{sid}/action', {'rebuild': {
        'imageRef': api.image, 'user_data': 'ZWNobw=='}}, api.alice, headers=_v('2.56'))
    assert r.status_int == 400


def test_subresources_and_actions(api, compute_services):
    sid = _create(api).json['server']['id']
    _active(api, sid)
    a = api.alice
    r = api.c('GET', f'/servers/{sid}/ips', token=a)
    assert (r.status_int, r.json) == (200, {'addresses': {}})
    assert api.c('GET', f'/servers/{sid}/ips/private', token=a).status_int == 404
    r = api.c('GET', f'/servers/{sid}/os-server-password', token=a)
    assert (r.status_int, r.json) == (200, {'password': ''})
    assert api.c('DELETE', f'/servers/{sid}/os-server-password', token=a).status_int == 204
    assert api.c('GET', f'/servers/{sid}/ips', token=api.bob).status_int == 404

    # console output: Nova's tail (length=3 → three pieces at newlines)
    r = api.c('POST', f'/servers/{sid}/action', {'os-getConsoleOutput': {'length': 3}}, a)
    assert r.status_int == 200, r.body
    assert len(r.json['output'].split('\n')) <= 3
    r = api.c('POST', f'/servers/{sid}/action', {'os-getConsoleOutput': {'length': 0}}, a)
    assert r.json['output'] == ''

    # instance actions: updated_at only from 2.58
    acts = api.c('GET', f'/servers/{sid}/os-instance-actions', token=a).json
    assert acts['instanceActions'] and 'updated_at' not in acts['instanceActions'][0]
    acts = api.c('GET', f'/servers/{sid}/os-instance-actions', token=a,
                 headers=_v('2.58')).json
    assert 'updated_at' in acts['instanceActions'][0]

    # tags (2.26)
    assert api.c('GET', f'/servers/{sid}/tags', token=a).status_int == 404
    h = _v('2.26')
    assert api.c('PUT', f'/servers/{sid}/tags/t1', token=a, headers=h).status_int == 201
    assert api.c('PUT', f'/servers/{sid}/tags/t1', token=a, headers=h).status_int == 204
    assert api.c('GET', f'/servers/{sid}/tags/t1', token=a, headers=h).status_int == 204
    assert api.c('GET', f'/servers/{sid}', token=a, headers=h).json['server']['tags'] == ['t1']
    r = api.c('PUT', f'/servers/{sid}/tags', {'tags': ['a', 'b']}, a, headers=h)
    assert (r.status_int, r.json) == (200, {'tags': ['a', 'b']})
    assert api.c('PUT', f'/servers/{sid}/tags', {'tags': [f't{i}' for i in range(51)]}, a,
                 headers=h).status_int == 400
    assert api.c('DELETE', f'/servers/{sid}/tags/zz', token=a, headers=h).status_int == 404
    assert api.c('DELETE', f'/servers/{sid}/tags', token=a, headers=h).status_int == 204
    assert api.c('GET', f'/servers/{sid}/tags', token=a, headers=h).json == {'tags': []}

    # restore: nothing is soft-deleted here (409); unknown server 404
    r = api.c('POST', f'/servers/{sid}/action', {'restore': None}, a)
    assert r.status_int == 409, r.body
    assert api.c('POST', '/servers/00000000-0000-0000-0000-00000000dead/action',
                 {'forceDelete': None}, a).status_int == 404
    r = api.c('POST', f'/servers/{sid}/action', {'forceDelete': None}, a)
    assert r.status_int == 202, r.body
    wait_for(lambda: api.c('GET', f'/servers/{sid}', token=a).status_int == 404,
             what='force-deleted')
    # 2.21: a deleted server's actions stay readable
    assert api.c('GET', f'/servers/{sid}/os-instance-actions', token=a).status_int == 404
    r = api.c('GET', f'/servers/{sid}/os-instance-actions', token=a, headers=_v('2.21'))
    assert r.status_int == 200 and r.json['instanceActions']
    assert api.c('GET', f'/servers/{sid}/os-instance-actions', token=api.bob,
                 headers=_v('2.21')).status_int == 404


def test_quota_and_limit_fields_per_microversion(api):
    pid = api.a_project
    q = api.c('GET', f'/os-quota-sets/{pid}', token=api.alice).json['quota_set']
    assert {'floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules',
            'injected_files'} <= set(q)
    q = api.c('GET', f'/os-quota-sets/{pid}', token=api.alice,
              headers=_v('2.36')).json['quota_set']
    assert 'floating_ips' not in q and 'injected_files' in q
    q = api.c('GET', f'/os-quota-sets/{pid}', token=api.alice,
              headers=_v('2.57')).json['quota_set']
    assert 'injected_files' not in q and 'instances' in q
    lim = api.c('GET', '/limits', token=api.alice).json['limits']['absolute']
    assert {'maxTotalFloatingIps', 'maxImageMeta', 'maxPersonality'} <= set(lim)
    lim = api.c('GET', '/limits', token=api.alice, headers=_v('2.57')).json['limits'][
        'absolute']
    assert not {'maxTotalFloatingIps', 'maxImageMeta', 'maxPersonality'} & set(lim)
    r = api.c('PUT', f'/os-quota-sets/{pid}', {'quota_set': {'floating_ips': 5}}, api.admin,
              headers=_v('2.36'))
    assert r.status_int == 400, r.body
    r = api.c('PUT', f'/os-quota-sets/{pid}', {'quota_set': {'instances': 7}}, api.admin)
    assert r.status_int == 200 and 'id' not in r.json['quota_set']


def test_metadata_over_quota_is_403_and_ip_filter(api, monkeypatch):
    sid = _create(api).json['server']['id']
    md = {f'k{i}': 'v' for i in range(129)}
    r = api.c('PUT', f'/servers/{sid}/metadata', {'metadata': md}, api.alice)
    assert r.status_int == 403, r.body
    for bad in ({'': 'v'}, {'k' * 256: 'v'}):
        assert _create(api, metadata=bad).status_int == 400
    other = _create(api).json['server']['id']
    from iaas.network import api as network_api
    monkeypatch.setattr(network_api, 'addresses_for_instances', lambda uuids: {
        u: ({'net': [{'addr': '10.0.0.5', 'version': 4}]} if u == sid else {})
        for u in uuids})
    ids = [s['id'] for s in api.c('GET', '/servers?ip=10.0.0', token=api.alice).json[
        'servers']]
    assert ids == [sid] and other not in ids
    assert api.c('GET', '/servers?ip=10.9', token=api.alice).json['servers'] == []
    assert api.c('GET', '/servers?limit=0', token=api.alice).json['servers'] == []


def test_rebuild_keeps_a_stopped_server_stopped(api, compute_services):
    sid = _create(api).json['server']['id']
    _active(api, sid)
    assert api.c('POST', f'/servers/{sid}/action', {'os-stop': None},
                 api.alice).status_int == 202
    wait_for(lambda: db_instances.get(sid)['vm_state'] == states.STOPPED, what='stopped')
    r = api.c('POST', f'/servers/{sid}/action', {'rebuild': {'imageRef': api.image}},
              api.alice)
    assert r.status_int == 202, r.body
    wait_for(lambda: db_instances.get(sid)['task_state'] is None, what='rebuilt')
    assert db_instances.get(sid)['vm_state'] == states.STOPPED


def test_server_group_264_has_no_metadata(api):
    body = {'server_group': {'name': 'g', 'policy': 'affinity'}}
    r = api.c('POST', '/os-server-groups', body, api.alice, headers=_v('2.64'))
    assert r.status_int == 200, r.body
    assert 'metadata' not in r.json['server_group'] and 'policies' not in r.json[
        'server_group']
    body = {'server_group': {'name': 'g', 'policies': ['affinity']}}
    r = api.c('POST', '/os-server-groups', body, api.alice)
    assert r.json['server_group']['metadata'] == {}


def test_disk_config_is_kept(api, compute_services):
    r = _create(api, **{'OS-DCF:diskConfig': 'AUTO'})
    assert r.json['server']['OS-DCF:diskConfig'] == 'AUTO'
    sid = r.json['server']['id']
    _active(api, sid)
    assert api.c('GET', f'/servers/{sid}', token=api.alice).json['server'][
        'OS-DCF:diskConfig'] == 'AUTO'
    r = api.c('PUT', f'/servers/{sid}', {'server': {'OS-DCF:diskConfig': 'MANUAL'}},
              api.alice)
    assert r.json['server']['OS-DCF:diskConfig'] == 'MANUAL'
    r = api.c('POST', f'/servers/{sid}/action', {'rebuild': {
        'imageRef': api.image, 'OS-DCF:diskConfig': 'AUTO'}}, api.alice)
    assert r.json['server']['OS-DCF:diskConfig'] == 'AUTO'
    assert api.c('PUT', f'/servers/{sid}', {'server': {'OS-DCF:diskConfig': 'SOME'}},
                 api.alice).status_int == 400
