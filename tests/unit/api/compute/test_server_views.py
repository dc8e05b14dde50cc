"""The server views of each microversion (iaas/api/compute/views.py and
servers.py): below a branch's version the field or behaviour is absent,
from it on it is there."""
import pytest

# (key of GET /servers/{id}, the first microversion that shows it)
FROM_VERSION = [
    ('locked', '2.9'),
    ('description', '2.19'),
    ('tags', '2.26'),
    ('trusted_image_certificates', '2.63'),
    ('server_groups', '2.71'),
    ('locked_reason', '2.73'),
    ('pinned_availability_zone', '2.96'),
    ('OS-EXT-SRV-ATTR:hostname', '2.90'),    # to its owner; an admin sees it from 2.3
]

BASIC = {'id', 'name', 'status', 'tenant_id', 'user_id', 'metadata', 'hostId', 'image',
         'flavor', 'created', 'updated', 'addresses', 'accessIPv4', 'accessIPv6', 'links',
         'OS-DCF:diskConfig', 'progress'}
FULL_ONLY = {'OS-EXT-AZ:availability_zone', 'config_drive', 'key_name',
             'OS-SRV-USG:launched_at', 'OS-SRV-USG:terminated_at', 'OS-EXT-STS:task_state',
             'OS-EXT-STS:vm_state', 'OS-EXT-STS:power_state',
             'os-extended-volumes:volumes_attached'}


def before(v):
    major, minor = v.split('.')
    return f'{major}.{int(minor) - 1}'


@pytest.fixture(scope='module')
def server(cloud):
    """alice's server, ACTIVE, with a description (left unchanged by the tests)."""
    return cloud.boot(name='viewed', description='described')


def show(cloud, sid, v, token=None):
    return cloud.ok('GET', f'/servers/{sid}', token=token or cloud.alice, v=v)['server']


@pytest.mark.parametrize('key,since', FROM_VERSION, ids=[k for k, _ in FROM_VERSION])
def test_show_field_from_its_version(cloud, server, key, since):
    assert key not in show(cloud, server, before(since))
    assert key in show(cloud, server, since)
    assert key in show(cloud, server, 'latest')


def test_show_values_of_the_versioned_fields(cloud, server):
    s = show(cloud, server, 'latest')
    assert s['locked'] is False and s['locked_reason'] is None
    assert s['description'] == 'described'
    assert s['tags'] == [] and s['server_groups'] == []
    assert s['trusted_image_certificates'] is None and s['pinned_availability_zone'] is None
    assert s['OS-EXT-SRV-ATTR:hostname'] == 'viewed'
    # not the admin-only extended attributes
    assert 'OS-EXT-SRV-ATTR:host' not in s and 'OS-EXT-SRV-ATTR:user_data' not in s


def test_flavor_is_embedded_from_2_47(cloud, server):
    old = show(cloud, server, '2.46')['flavor']
    assert set(old) == {'id', 'links'} and old['id'] == cloud.flavor
    new = show(cloud, server, '2.47')['flavor']
    assert new == {'vcpus': 1, 'ram': 128, 'disk': 1, 'ephemeral': 0, 'swap': 0,
                   'original_name': 'unit.small', 'extra_specs': {}}


def test_admin_extended_attributes_grow_at_2_3(cloud, server):
    later = {'OS-EXT-SRV-ATTR:hostname', 'OS-EXT-SRV-ATTR:reservation_id',
             'OS-EXT-SRV-ATTR:launch_index', 'OS-EXT-SRV-ATTR:kernel_id',
             'OS-EXT-SRV-ATTR:ramdisk_id', 'OS-EXT-SRV-ATTR:root_device_name',
             'OS-EXT-SRV-ATTR:user_data'}
    s = show(cloud, server, '2.2', cloud.admin)
    assert s['OS-EXT-SRV-ATTR:host'] == 'fc1'
    assert {'OS-EXT-SRV-ATTR:hypervisor_hostname', 'OS-EXT-SRV-ATTR:instance_name'} <= set(s)
    assert not later & set(s)
    s = show(cloud, server, '2.3', cloud.admin)
    assert later <= set(s)
    assert s['OS-EXT-SRV-ATTR:launch_index'] == 0
    assert s['OS-EXT-SRV-ATTR:root_device_name'] == '/dev/vda'
    # the owner (not admin) sees none of them, at any version
    assert not any(k.startswith('OS-EXT-SRV-ATTR:') and k != 'OS-EXT-SRV-ATTR:hostname'
                   for k in show(cloud, server, 'latest'))


def test_list_detail_has_no_server_groups(cloud, server):
    """From 2.71 show has server_groups; the detailed list never has."""
    r = cloud.ok('GET', '/servers/detail', token=cloud.alice, v='latest')
    mine = [s for s in r['servers'] if s['id'] == server]
    assert len(mine) == 1
    assert 'server_groups' not in mine[0] and 'locked_reason' in mine[0]


def test_server_groups_names_the_group(cloud):
    g = cloud.ok('POST', '/os-server-groups', {'server_group': {
        'name': 'g', 'policy': 'anti-affinity'}}, cloud.alice, v='2.64')['server_group']
    body = {'server': {'name': 'grouped', 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
                       'networks': 'none'}, 'os:scheduler_hints': {'group': g['id']}}
    sid = cloud.ok('POST', '/servers', body, cloud.alice, v='2.71')['server']['id']
    cloud.wait_active(sid)
    assert show(cloud, sid, '2.71')['server_groups'] == [g['id']]
    assert 'server_groups' not in show(cloud, sid, '2.70')


# -- create ------------------------------------------------------------------------

def _create(cloud, v, **server):
    body = {'server': {'name': 'made', 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
                       **server}}
    return cloud.c('POST', '/servers', body, cloud.alice, v=v)


def test_networks_required_from_2_37(cloud):
    r = _create(cloud, '2.37')
    assert r.status_int == 400 and "'networks' is a required property" in r.body.decode()
    r = _create(cloud, '2.36')          # no network the project could use: no NIC
    assert r.status_int == 202, r.body
    cloud.wait_active(r.json['server']['id'])
    assert _create(cloud, '2.37', networks='none', return_reservation_id=True) \
        .status_int == 202


# -- update --------------------------------------------------------------------------

def test_update_description_from_2_19(cloud):
    sid = cloud.boot(name='upd')
    body = {'server': {'description': 'new words'}}
    r = cloud.c('PUT', f'/servers/{sid}', body, cloud.alice, v='2.18')
    assert r.status_int == 400 and 'from microversion 2.19' in r.body.decode()
    assert cloud.instance(sid)['display_description'] is None
    s = cloud.ok('PUT', f'/servers/{sid}', body, cloud.alice, v='2.19')['server']
    assert s['description'] == 'new words'
    assert cloud.instance(sid)['display_description'] == 'new words'


def test_update_answers_the_full_view_from_2_75(cloud, server):
    body = {'server': {'name': 'viewed'}}
    s = cloud.ok('PUT', f'/servers/{server}', body, cloud.alice, v='2.74')['server']
    assert not FULL_ONLY & set(s)
    assert set(s) - {'locked', 'description', 'tags', 'trusted_image_certificates',
                     'server_groups', 'locked_reason'} == BASIC
    s = cloud.ok('PUT', f'/servers/{server}', body, cloud.alice, v='2.75')['server']
    assert FULL_ONLY <= set(s)
    assert s['OS-EXT-STS:vm_state'] == 'active'
