"""The compute API's 403 and 404 paths: a reader may look but not change,
a member is refused the admin routes, and another project's (or an
unknown) server, group, flavor or key pair answers 404 — never 403, which
would tell it exists."""
import uuid

import pytest

from iaas.compute import policies as P

MISSING = str(uuid.uuid4())

# a minimal valid body of each server action (one entry per ACTION_RULES key)
ACTION_BODIES = {
    'os-start': None, 'os-stop': None, 'reboot': {'type': 'SOFT'},
    'rebuild': {'imageRef': 'IMAGE'}, 'resize': {'flavorRef': 'FLAVOR'},
    'confirmResize': None, 'revertResize': None, 'createImage': {'name': 'snap'},
    'pause': None, 'unpause': None, 'suspend': None, 'resume': None, 'lock': None,
    'unlock': None, 'os-getConsoleOutput': {}, 'addSecurityGroup': {'name': 'default'},
    'removeSecurityGroup': {'name': 'default'},
    'createBackup': {'name': 'b', 'backup_type': 'daily', 'rotation': 1},
    'forceDelete': None, 'restore': None, 'shelve': None, 'shelveOffload': None,
    'unshelve': None, 'os-getSerialConsole': {'type': 'serial'},
    'evacuate': {}, 'migrate': None,
    'os-migrateLive': {'host': None, 'block_migration': False, 'disk_over_commit': False},
}


def test_every_action_has_a_body_here():
    assert set(ACTION_BODIES) == set(P.ACTION_RULES)


def _body(cloud, name):
    arg = ACTION_BODIES[name]
    if isinstance(arg, dict):
        arg = {k: {'IMAGE': cloud.image, 'FLAVOR': cloud.flavor}.get(v, v)
               for k, v in arg.items()}
    return {name: arg}


@pytest.fixture(scope='module')
def server(cloud):
    """alice's ACTIVE server with metadata {'k': 'v'} and tag 't'."""
    sid = cloud.boot(name='guarded', metadata={'k': 'v'})
    assert cloud.c('PUT', f'/servers/{sid}/tags/t', token=cloud.alice, v='2.26') \
        .status_int == 201
    return sid


@pytest.fixture(scope='module')
def group(cloud):
    return cloud.ok('POST', '/os-server-groups', {'server_group': {
        'name': 'ag', 'policy': 'affinity'}}, cloud.alice, v='2.64')['server_group']['id']


def _server_calls(sid):
    """(method, path, body, microversion) of every write on a server but the actions."""
    s = f'/servers/{sid}'
    return [
        ('PUT', s, {'server': {'name': 'renamed'}}, None),
        ('DELETE', s, None, None),
        ('POST', f'{s}/metadata', {'metadata': {'x': 'y'}}, None),
        ('PUT', f'{s}/metadata', {'metadata': {'x': 'y'}}, None),
        ('PUT', f'{s}/metadata/k', {'meta': {'k': 'changed'}}, None),
        ('DELETE', f'{s}/metadata/k', None, None),
        ('DELETE', f'{s}/os-server-password', None, None),
        ('PUT', f'{s}/tags/new', None, '2.26'),
        ('PUT', f'{s}/tags', {'tags': ['x']}, '2.26'),
        ('DELETE', f'{s}/tags/t', None, '2.26'),
        ('DELETE', f'{s}/tags', None, '2.26'),
    ]


def _server_reads(sid):
    s = f'/servers/{sid}'
    return [('GET', s, None), ('GET', f'{s}/metadata', None), ('GET', f'{s}/metadata/k', None),
            ('GET', f'{s}/ips', None), ('GET', f'{s}/os-server-password', None),
            ('GET', f'{s}/tags', '2.26'), ('GET', f'{s}/tags/t', '2.26'),
            ('GET', f'{s}/os-instance-actions', None)]


def _unchanged(cloud, sid):
    inst = cloud.instance(sid)
    assert (inst['display_name'], inst['vm_state'], inst['task_state'], inst['locked']) == \
        ('guarded', 'active', None, False)
    assert inst['metadata'] == {'k': 'v'}
    assert inst['system_metadata']['tags'] == ['t']


# -- 403: a reader may look, not change -------------------------------------------------------

def test_reader_reads(cloud, server):
    for method, path, v in _server_reads(server):
        r = cloud.c(method, path, token=cloud.reader, v=v)
        assert r.status_int in (200, 204), (path, r.body)


def test_reader_writes_are_403(cloud, server):
    for method, path, body, v in _server_calls(server):
        r = cloud.c(method, path, body, cloud.reader, v=v)
        assert r.status_int == 403, (method, path, r.body)
    r = cloud.c('POST', '/servers', {'server': {'name': 'r', 'imageRef': cloud.image,
                                                'flavorRef': cloud.flavor,
                                                'networks': 'none'}}, cloud.reader)
    assert r.status_int == 403, r.body
    _unchanged(cloud, server)


@pytest.mark.parametrize('name', sorted(ACTION_BODIES))
def test_reader_actions_are_403(cloud, server, name):
    r = cloud.c('POST', f'/servers/{server}/action', _body(cloud, name), cloud.reader)
    assert r.status_int == 403, r.body
    _unchanged(cloud, server)


def test_reader_cannot_make_or_delete_groups(cloud, group):
    r = cloud.c('POST', '/os-server-groups', {'server_group': {
        'name': 'r', 'policy': 'affinity'}}, cloud.reader, v='2.64')
    assert r.status_int == 403, r.body
    assert cloud.c('DELETE', f'/os-server-groups/{group}', token=cloud.reader).status_int \
        == 403
    assert cloud.c('GET', f'/os-server-groups/{group}', token=cloud.reader).status_int == 200


# -- 403: a member on the admin routes ----------------------------------------------------------

def _admin_only(cloud):
    f = cloud.flavor
    return [
        ('GET', '/os-services', None), ('PUT', '/os-services/1', {'status': 'disabled'}),
        ('DELETE', '/os-services/1', None),
        ('GET', '/os-hypervisors', None), ('GET', '/os-hypervisors/detail', None),
        ('GET', '/os-hypervisors/statistics', None), ('GET', '/os-hypervisors/1', None),
        ('GET', '/os-hypervisors/1/servers', None),
        ('GET', '/os-availability-zone/detail', None),
        ('POST', '/flavors', {'flavor': {'name': 'x', 'ram': 64, 'vcpus': 1, 'disk': 0}}),
        ('DELETE', f'/flavors/{f}', None),
        ('POST', f'/flavors/{f}/action', {'addTenantAccess': {'tenant': cloud.b_project}}),
        ('GET', f'/flavors/{f}/os-flavor-access', None),
        ('POST', f'/flavors/{f}/os-extra_specs', {'extra_specs': {'a': 'b'}}),
        ('PUT', f'/flavors/{f}/os-extra_specs/a', {'a': 'b'}),
        ('DELETE', f'/flavors/{f}/os-extra_specs/a', None),
        ('PUT', f'/os-quota-sets/{cloud.a_project}', {'quota_set': {'instances': 99}}),
        ('DELETE', f'/os-quota-sets/{cloud.a_project}', None),
        ('GET', f'/os-quota-sets/{cloud.b_project}', None),
        ('GET', f'/os-quota-sets/{cloud.b_project}/detail', None),
        ('GET', f'/limits?tenant_id={cloud.b_project}', None),
        ('GET', '/os-simple-tenant-usage', None),
        ('GET', f'/os-simple-tenant-usage/{cloud.b_project}', None),
        ('GET', '/servers?all_tenants=1', None), ('GET', '/servers/detail?all_tenants=1', None),
        ('GET', f'/servers?tenant_id={cloud.b_project}', None),
        ('GET', '/os-keypairs?user_id=someone-else', None),
        ('GET', '/os-migrations', None), ('GET', f'/servers/{MISSING}/migrations', None),
    ]


def test_member_on_admin_routes_is_403(cloud):
    for method, path, body in _admin_only(cloud):
        r = cloud.c(method, path, body, cloud.alice, v='2.53')
        assert r.status_int == 403, (method, path, r.body)
    # nothing changed
    assert cloud.ok('GET', f'/os-quota-sets/{cloud.a_project}', token=cloud.alice)[
        'quota_set']['instances'] != 99
    assert cloud.c('GET', f'/flavors/{cloud.flavor}', token=cloud.alice).status_int == 200


def test_admin_passes_the_admin_routes(cloud):
    """The same routes are not refused to the admin (the 403 above is the policy)."""
    for method, path, body in _admin_only(cloud):
        if method != 'GET':
            continue
        r = cloud.c(method, path, body, cloud.admin, v='2.53')
        assert r.status_int != 403, (method, path, r.body)


def test_forced_host_is_admin_only(cloud):
    r = cloud.c('POST', '/servers', {'server': {
        'name': 'forced', 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
        'networks': 'none', 'availability_zone': 'nova:fc1'}}, cloud.alice, v='2.37')
    assert r.status_int == 403, r.body


# -- 404: another project's, or unknown --------------------------------------------------------

def test_other_projects_server_is_404(cloud, server):
    for method, path, _v in _server_reads(server):
        r = cloud.c(method, path, token=cloud.bob, v=_v)
        assert r.status_int == 404, (method, path, r.body)
    for method, path, body, v in _server_calls(server):
        r = cloud.c(method, path, body, cloud.bob, v=v)
        assert r.status_int == 404, (method, path, r.body)
    _unchanged(cloud, server)


@pytest.mark.parametrize('name', sorted(ACTION_BODIES))
def test_other_projects_server_actions_are_404(cloud, server, name):
    r = cloud.c('POST', f'/servers/{server}/action', _body(cloud, name), cloud.bob)
    assert r.status_int == 404, r.body
    _unchanged(cloud, server)


@pytest.mark.parametrize('who', ['alice', 'admin'])
def test_unknown_server_is_404(cloud, who):
    token = getattr(cloud, who)
    for method, path, _v in _server_reads(MISSING):
        assert cloud.c(method, path, token=token, v=_v).status_int == 404, path
    for method, path, body, v in _server_calls(MISSING):
        assert cloud.c(method, path, body, token, v=v).status_int == 404, path
    r = cloud.c('POST', f'/servers/{MISSING}/action', {'os-stop': None}, token)
    assert r.status_int == 404, r.body


def test_unknown_subresources_are_404(cloud, server):
    s = f'/servers/{server}'
    for path, v in ((f'{s}/metadata/nope', None), (f'{s}/tags/nope', '2.26'),
                    (f'{s}/ips/nonet', None),
                    (f'{s}/os-instance-actions/req-{MISSING}', None)):
        r = cloud.c('GET', path, token=cloud.alice, v=v)
        assert r.status_int == 404, (path, r.body)
    assert cloud.c('DELETE', f'{s}/tags/nope', token=cloud.alice, v='2.26').status_int == 404


def test_other_projects_group_is_404(cloud, group):
    for method in ('GET', 'DELETE'):
        r = cloud.c(method, f'/os-server-groups/{group}', token=cloud.bob)
        assert r.status_int == 404, r.body
    listed = cloud.ok('GET', '/os-server-groups', token=cloud.bob)['server_groups']
    assert group not in [g['id'] for g in listed]
    for method in ('GET', 'DELETE'):
        assert cloud.c(method, f'/os-server-groups/{MISSING}', token=cloud.alice) \
            .status_int == 404


def test_unknown_flavor_keypair_host_are_404(cloud):
    for path, token in (('/flavors/nope', cloud.alice),
                        ('/flavors/nope/os-extra_specs', cloud.alice),
                        (f'/flavors/{cloud.flavor}/os-extra_specs/nope', cloud.alice),
                        ('/os-keypairs/nope', cloud.alice),
                        (f'/os-hypervisors/{MISSING}', cloud.admin)):
        r = cloud.c('GET', path, token=token, v='2.53')
        assert r.status_int == 404, (path, r.body)
    # an integer hypervisor id: unknown before 2.53, not a uuid from 2.53 (as Nova)
    assert cloud.c('GET', '/os-hypervisors/99999', token=cloud.admin, v='2.52') \
        .status_int == 404
    assert cloud.c('GET', '/os-hypervisors/99999', token=cloud.admin, v='2.53') \
        .status_int == 400
    assert cloud.c('DELETE', '/os-keypairs/nope', token=cloud.alice).status_int == 404
    assert cloud.c('PUT', f'/os-services/{MISSING}', {'status': 'disabled'}, cloud.admin,
                   v='2.53').status_int == 404


def test_private_flavor_is_404_until_access_is_given(cloud):
    cloud.ok('POST', '/flavors', {'flavor': {'name': 'priv', 'ram': 64, 'vcpus': 1,
                                             'disk': 0, 'id': 'priv-1',
                                             'os-flavor-access:is_public': False}},
             cloud.admin)
    assert cloud.c('GET', '/flavors/priv-1', token=cloud.alice).status_int == 404
    assert 'priv-1' not in [f['id'] for f in cloud.ok('GET', '/flavors',
                                                      token=cloud.alice)['flavors']]
    cloud.ok('POST', '/flavors/priv-1/action', {'addTenantAccess': {
        'tenant': cloud.a_project}}, cloud.admin)
    assert cloud.c('GET', '/flavors/priv-1', token=cloud.alice).status_int == 200
    assert cloud.c('GET', '/flavors/priv-1', token=cloud.bob).status_int == 404


def test_other_users_keypair_is_404(cloud):
    cloud.ok('POST', '/os-keypairs', {'keypair': {'name': 'alices'}}, cloud.alice)
    assert cloud.c('GET', '/os-keypairs/alices', token=cloud.bob).status_int == 404
    assert cloud.c('DELETE', '/os-keypairs/alices', token=cloud.bob).status_int == 404
    assert cloud.c('GET', '/os-keypairs/alices', token=cloud.alice).status_int == 200


def test_lists_show_only_the_projects_own(cloud, server):
    for path in ('/servers', '/servers/detail'):
        assert server not in [s['id'] for s in cloud.ok('GET', path,
                                                        token=cloud.bob)['servers']]
        assert server in [s['id'] for s in cloud.ok('GET', path,
                                                    token=cloud.alice)['servers']]
    every = cloud.ok('GET', '/servers?all_tenants=1', token=cloud.admin)['servers']
    assert server in [s['id'] for s in every]
