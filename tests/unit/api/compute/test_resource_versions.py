"""The microversion branches of the other compute resources: key pairs,
quotas and limits, server groups, flavors, services and hypervisors."""
import pytest

from tests.unit.api.compute.conftest import wait_for


def before(v):
    major, minor = v.split('.')
    return f'{major}.{int(minor) - 1}'


# -- key pairs -------------------------------------------------------------------------

def test_keypair_type_and_statuses_from_2_2(cloud):
    r = cloud.c('POST', '/os-keypairs', {'keypair': {'name': 'kv21'}}, cloud.alice, v='2.1')
    assert r.status_int == 200, r.body
    assert 'type' not in r.json['keypair'] and 'private_key' in r.json['keypair']
    r = cloud.c('POST', '/os-keypairs', {'keypair': {'name': 'kv22'}}, cloud.alice, v='2.2')
    assert r.status_int == 201, r.body
    assert r.json['keypair']['type'] == 'ssh'
    assert 'type' not in cloud.ok('GET', '/os-keypairs/kv22', token=cloud.alice,
                                  v='2.1')['keypair']
    listed = cloud.ok('GET', '/os-keypairs', token=cloud.alice, v='2.2')['keypairs']
    assert {k['keypair']['name']: k['keypair']['type'] for k in listed}.items() >= \
        {'kv21': 'ssh', 'kv22': 'ssh'}.items()
    listed = cloud.ok('GET', '/os-keypairs', token=cloud.alice, v='2.1')['keypairs']
    assert listed and all('type' not in k['keypair'] for k in listed)
    assert cloud.c('DELETE', '/os-keypairs/kv21', token=cloud.alice, v='2.1').status_int == 202
    assert cloud.c('DELETE', '/os-keypairs/kv22', token=cloud.alice, v='2.2').status_int == 204


def test_keypair_generation_ends_at_2_92(cloud):
    r = cloud.c('POST', '/os-keypairs', {'keypair': {'name': 'gen91'}}, cloud.alice,
                v='2.91')
    assert r.status_int == 201, r.body
    public = r.json['keypair']['public_key']
    assert r.json['keypair']['private_key'].startswith('-----BEGIN')
    r = cloud.c('POST', '/os-keypairs', {'keypair': {'name': 'gen92'}}, cloud.alice,
                v='2.92')
    assert r.status_int == 400 and 'public_key is required' in r.body.decode()
    assert cloud.c('GET', '/os-keypairs/gen92', token=cloud.alice).status_int == 404
    r = cloud.c('POST', '/os-keypairs', {'keypair': {'name': 'imp92', 'public_key': public}},
                cloud.alice, v='2.92')
    assert r.status_int == 201, r.body
    assert 'private_key' not in r.json['keypair']


# -- quotas and limits --------------------------------------------------------------------

LEGACY = {'fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'}
INJECTED = {'injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'}


@pytest.mark.parametrize('sub', ['', '/detail', '/defaults'])
@pytest.mark.parametrize('names,since', [(LEGACY, '2.36'), (INJECTED, '2.57')],
                         ids=['network-2.36', 'injected-2.57'])
def test_quota_names_end_at_their_version(cloud, sub, names, since):
    path = f'/os-quota-sets/{cloud.a_project}{sub}'
    old = cloud.ok('GET', path, token=cloud.admin, v=before(since))['quota_set']
    assert names <= set(old)
    new = cloud.ok('GET', path, token=cloud.admin, v=since)['quota_set']
    assert not names & set(new)
    assert {'instances', 'cores', 'ram'} <= set(new)


@pytest.mark.parametrize('name,since', [('floating_ips', '2.36'), ('injected_files', '2.57')])
def test_quota_update_refuses_removed_names(cloud, name, since):
    path = f'/os-quota-sets/{cloud.b_project}'
    body = {'quota_set': {name: 5, 'instances': 7}}
    r = cloud.c('PUT', path, body, cloud.admin, v=before(since))
    assert r.status_int == 200, r.body
    assert r.json['quota_set']['instances'] == 7
    r = cloud.c('PUT', path, {'quota_set': {name: 5, 'instances': 8}}, cloud.admin, v=since)
    assert r.status_int == 400 and name in r.body.decode()
    assert cloud.ok('GET', path, token=cloud.admin)['quota_set']['instances'] == 7
    assert cloud.c('DELETE', path, token=cloud.admin).status_int == 202


@pytest.mark.parametrize('keys,since', [
    ({'maxTotalFloatingIps', 'maxSecurityGroups', 'maxSecurityGroupRules',
      'totalFloatingIpsUsed', 'totalSecurityGroupsUsed'}, '2.36'),
    ({'maxImageMeta'}, '2.39'),
    ({'maxPersonality', 'maxPersonalitySize'}, '2.57'),
])
def test_absolute_limits_end_at_their_version(cloud, keys, since):
    old = cloud.ok('GET', '/limits', token=cloud.alice, v=before(since))['limits']['absolute']
    assert keys <= set(old)
    new = cloud.ok('GET', '/limits', token=cloud.alice, v=since)['limits']['absolute']
    assert not keys & set(new)
    assert 'maxTotalInstances' in new


# -- server groups -------------------------------------------------------------------------

def test_server_group_owner_fields_from_2_13(cloud):
    g = cloud.ok('POST', '/os-server-groups', {'server_group': {
        'name': 'g12', 'policies': ['affinity']}}, cloud.alice, v='2.12')['server_group']
    assert 'project_id' not in g and 'user_id' not in g
    g = cloud.ok('GET', f'/os-server-groups/{g["id"]}', token=cloud.alice,
                 v='2.13')['server_group']
    assert g['project_id'] == cloud.a_project and g['user_id']
    listed = cloud.ok('GET', '/os-server-groups', token=cloud.alice, v='2.12')['server_groups']
    assert listed and all('project_id' not in x for x in listed)


def test_server_group_policy_and_rules_from_2_64(cloud):
    r = cloud.c('POST', '/os-server-groups', {'server_group': {
        'name': 'g', 'policy': 'affinity'}}, cloud.alice, v='2.63')
    assert r.status_int == 400, r.body
    g = cloud.ok('POST', '/os-server-groups', {'server_group': {
        'name': 'g63', 'policies': ['soft-affinity']}}, cloud.alice, v='2.63')['server_group']
    assert (g['policies'], g['metadata']) == (['soft-affinity'], {})
    assert 'policy' not in g and 'rules' not in g
    r = cloud.c('POST', '/os-server-groups', {'server_group': {
        'name': 'g', 'policies': ['affinity']}}, cloud.alice, v='2.64')
    assert r.status_int == 400, r.body
    g64 = cloud.ok('POST', '/os-server-groups', {'server_group': {
        'name': 'g64', 'policy': 'anti-affinity', 'rules': {'max_server_per_host': 2}}},
        cloud.alice, v='2.64')['server_group']
    assert (g64['policy'], g64['rules']) == ('anti-affinity', {'max_server_per_host': 2})
    assert 'policies' not in g64 and 'metadata' not in g64
    # the same group, shown at either version
    old = cloud.ok('GET', f'/os-server-groups/{g64["id"]}', token=cloud.alice,
                   v='2.63')['server_group']
    assert old['policies'] == ['anti-affinity'] and 'rules' not in old
    new = cloud.ok('GET', f'/os-server-groups/{g["id"]}', token=cloud.alice,
                   v='2.64')['server_group']
    assert (new['policy'], new['rules']) == ('soft-affinity', {})


# -- flavors -------------------------------------------------------------------------------------

def _flavor(cloud, v, path=None):
    return cloud.ok('GET', path or f'/flavors/{cloud.flavor}', token=cloud.alice, v=v)


def test_flavor_description_from_2_55(cloud):
    assert 'description' not in _flavor(cloud, '2.54')['flavor']
    assert _flavor(cloud, '2.55')['flavor']['description'] == 'small one'
    for path in ('/flavors', '/flavors/detail'):
        mine = [f for f in _flavor(cloud, '2.54', path)['flavors'] if f['id'] == cloud.flavor]
        assert 'description' not in mine[0]
        mine = [f for f in _flavor(cloud, '2.55', path)['flavors'] if f['id'] == cloud.flavor]
        assert mine[0]['description'] == 'small one'


@pytest.fixture(scope='module')
def private_flavor(cloud):
    made = cloud.ok('POST', '/flavors', {'flavor': {'name': 'upd', 'ram': 64, 'vcpus': 1,
                                                    'disk': 0, 'id': 'upd-1'}},
                    cloud.admin, v='2.55')['flavor']
    assert made['description'] is None
    return made['id']


def test_flavor_description_update_at_2_55(cloud, private_flavor):
    f = cloud.ok('PUT', f'/flavors/{private_flavor}', {'flavor': {'description': 'd'}},
                 cloud.admin, v='2.55')['flavor']
    assert f['description'] == 'd'
    assert _flavor(cloud, '2.55', f'/flavors/{private_flavor}')['flavor']['description'] \
        == 'd'


def test_flavor_update_does_not_exist_before_2_55(cloud, private_flavor):
    r = cloud.c('PUT', f'/flavors/{private_flavor}', {'flavor': {'description': 'old'}},
                cloud.admin, v='2.54')
    assert r.status_int == 404, r.body
    assert _flavor(cloud, '2.55', f'/flavors/{private_flavor}')['flavor']['description'] \
        != 'old'


def test_flavor_extra_specs_from_2_61(cloud):
    assert 'extra_specs' not in _flavor(cloud, '2.60')['flavor']
    assert _flavor(cloud, '2.61')['flavor']['extra_specs'] == {}


def test_flavor_swap_zero_from_2_75(cloud):
    assert _flavor(cloud, '2.74')['flavor']['swap'] == ''
    assert _flavor(cloud, '2.75')['flavor']['swap'] == 0


# -- services and hypervisors ------------------------------------------------------------------

def _compute_service(cloud, v):
    services = cloud.ok('GET', '/os-services?binary=iaas-compute', token=cloud.admin,
                        v=v)['services']
    return next(s for s in services if s['host'] == 'fc1')


def test_service_ids_are_uuids_from_2_53(cloud):
    assert isinstance(_compute_service(cloud, '2.52')['id'], int)
    s = _compute_service(cloud, '2.53')
    assert isinstance(s['id'], str) and len(s['id']) == 36
    r = cloud.ok('PUT', f'/os-services/{s["id"]}', {'status': 'disabled',
                                                     'disabled_reason': 'unit'},
                 cloud.admin, v='2.53')['service']
    assert (r['id'], r['status'], r['disabled_reason']) == (s['id'], 'disabled', 'unit')
    r = cloud.ok('PUT', f'/os-services/{s["id"]}', {'status': 'enabled'}, cloud.admin,
                 v='2.53')['service']
    assert (r['status'], r['disabled_reason']) == ('enabled', None)


def _hypervisor(cloud, v, path='/os-hypervisors/detail'):
    wait_for(lambda: cloud.ok('GET', '/os-hypervisors', token=cloud.admin)['hypervisors'],
             what='fc1 reported')
    return cloud.ok('GET', path, token=cloud.admin, v=v)['hypervisors'][0]


def test_hypervisor_ids_are_uuids_from_2_53(cloud):
    old = _hypervisor(cloud, '2.52')
    assert isinstance(old['id'], int) and isinstance(old['service']['id'], int)
    new = _hypervisor(cloud, '2.53')
    assert isinstance(new['id'], str) and isinstance(new['service']['id'], str)
    for v, ident in (('2.52', old['id']), ('2.53', new['id'])):
        shown = cloud.ok('GET', f'/os-hypervisors/{ident}', token=cloud.admin,
                         v=v)['hypervisor']
        assert shown['id'] == ident
    brief = _hypervisor(cloud, '2.53', '/os-hypervisors')
    assert brief['id'] == new['id'] and 'service' not in brief


def test_hypervisor_usage_fields_end_at_2_88(cloud):
    usage = {'vcpus', 'vcpus_used', 'memory_mb', 'memory_mb_used', 'local_gb',
             'free_ram_mb', 'running_vms', 'cpu_info', 'disk_available_least'}
    old = _hypervisor(cloud, '2.87')
    assert usage <= set(old) and 'uptime' not in old
    new = _hypervisor(cloud, '2.88')
    assert not usage & set(new) and new['uptime'] is None


def test_hypervisor_statistics_removed_at_2_88(cloud):
    stats = cloud.ok('GET', '/os-hypervisors/statistics', token=cloud.admin,
                     v='2.87')['hypervisor_statistics']
    assert stats['count'] >= 1 and stats['vcpus'] >= 1
    r = cloud.c('GET', '/os-hypervisors/statistics', token=cloud.admin, v='2.88')
    assert r.status_int == 404


# Nova's os-services update routes by microversion: before 2.53 the path names
# an action (enable, disable, disable-log-reason, force-down from 2.11) and
# the body the host and binary; from 2.53 the path is the service's uuid
# (anything else: 400) and the legacy actions are gone.

@pytest.fixture
def compute_service(cloud):
    """fc1's iaas-compute service, enabled and up again after the test."""
    s = _compute_service(cloud, '2.53')
    yield s
    cloud.ok('PUT', f'/os-services/{s["id"]}', {'status': 'enabled', 'forced_down': False},
             cloud.admin, v='2.53')


def _disabled(cloud):
    return _compute_service(cloud, '2.53')['status'] == 'disabled'


def test_service_update_by_id_does_not_exist_before_2_53(cloud, compute_service):
    old_id = _compute_service(cloud, '2.52')['id']
    r = cloud.c('PUT', f'/os-services/{old_id}', {'status': 'disabled'}, cloud.admin,
                v='2.52')
    assert r.status_int == 404, r.body
    assert not _disabled(cloud)


def test_legacy_service_actions_end_at_2_53(cloud, compute_service):
    body = {'host': 'fc1', 'binary': 'iaas-compute'}
    r = cloud.c('PUT', '/os-services/disable', body, cloud.admin, v='2.53')
    assert r.status_int == 400, r.body
    assert not _disabled(cloud)


def test_legacy_service_actions_before_2_53(cloud, compute_service):
    body = {'host': 'fc1', 'binary': 'iaas-compute'}
    r = cloud.c('PUT', '/os-services/disable', body, cloud.admin, v='2.52')
    assert r.status_int == 200, r.body
    assert r.json['service']['status'] == 'disabled' and _disabled(cloud)
    r = cloud.c('PUT', '/os-services/enable', body, cloud.admin, v='2.52')
    assert r.json['service']['status'] == 'enabled' and not _disabled(cloud)


def test_force_down_action_from_2_11(cloud, compute_service):
    body = {'host': 'fc1', 'binary': 'iaas-compute', 'forced_down': True}
    r = cloud.c('PUT', '/os-services/force-down', body, cloud.admin, v='2.10')
    assert r.status_int == 404, r.body
    assert not _compute_service(cloud, '2.53')['forced_down']


def test_hypervisor_integer_id_refused_from_2_53(cloud):
    old = _hypervisor(cloud, '2.52')
    r = cloud.c('GET', f'/os-hypervisors/{old["id"]}', token=cloud.admin, v='2.53')
    assert r.status_int == 400, r.body


def test_hypervisor_servers_route_ends_at_2_53(cloud):
    new = _hypervisor(cloud, '2.53')
    old = _hypervisor(cloud, '2.52')
    r = cloud.c('GET', f'/os-hypervisors/{old["id"]}/servers', token=cloud.admin, v='2.52')
    assert r.status_int == 200, r.body
    r = cloud.c('GET', f'/os-hypervisors/{new["id"]}/servers', token=cloud.admin, v='2.53')
    assert r.status_int == 404, r.body
