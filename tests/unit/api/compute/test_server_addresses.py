"""A server's addresses in the views of each microversion: update and
rebuild answer only ``addr`` and ``version`` of each address before 2.75
(Nova's basic view), the OS-EXT-IPS extensions from 2.75 on; show, the
detailed list and /ips are the same at every version."""
import pytest

EXTENDED = {'addr', 'version', 'OS-EXT-IPS:type', 'OS-EXT-IPS-MAC:mac_addr'}


@pytest.fixture(scope='module')
def server(cloud):
    """alice's server with one port on her network 'anet' (10.70.0.0/24)."""
    r = cloud.network.call('POST', '/v2.0/networks', {'network': {'name': 'anet'}},
                           cloud.alice)
    assert r.status_int == 201, r.body
    net = r.json['network']['id']
    r = cloud.network.call('POST', '/v2.0/subnets', {'subnet': {
        'network_id': net, 'cidr': '10.70.0.0/24', 'ip_version': 4}}, cloud.alice)
    assert r.status_int == 201, r.body
    return cloud.boot(name='addressed', networks=[{'uuid': net}])


def _addresses(server_view):
    assert list(server_view['addresses']) == ['anet'], server_view['addresses']
    (address,) = server_view['addresses']['anet']
    assert address['addr'].startswith('10.70.0.') and address['version'] == 4
    return set(address)


@pytest.mark.parametrize('v', ['2.1', '2.74', '2.75', 'latest'])
def test_show_and_list_extend_at_every_version(cloud, server, v):
    assert _addresses(cloud.ok('GET', f'/servers/{server}', token=cloud.alice,
                               v=v)['server']) == EXTENDED
    listed = cloud.ok('GET', '/servers/detail', token=cloud.alice, v=v)['servers']
    assert _addresses(next(s for s in listed if s['id'] == server)) == EXTENDED
    ips = cloud.ok('GET', f'/servers/{server}/ips', token=cloud.alice, v=v)['addresses']
    assert set(ips['anet'][0]) == {'addr', 'version'}
    net = cloud.ok('GET', f'/servers/{server}/ips/anet', token=cloud.alice, v=v)
    assert net == {'anet': ips['anet']}


def test_update_extends_from_2_75(cloud, server):
    body = {'server': {'name': 'addressed'}}
    old = cloud.ok('PUT', f'/servers/{server}', body, cloud.alice, v='2.74')['server']
    assert _addresses(old) == {'addr', 'version'}
    new = cloud.ok('PUT', f'/servers/{server}', body, cloud.alice, v='2.75')['server']
    assert _addresses(new) == EXTENDED


def test_rebuild_extends_from_2_75(cloud, server):
    for v, expected in (('2.74', {'addr', 'version'}), ('2.75', EXTENDED)):
        r = cloud.c('POST', f'/servers/{server}/action', {'rebuild': {
            'imageRef': cloud.image}}, cloud.alice, v=v)
        assert r.status_int == 202, r.body
        assert _addresses(r.json['server']) == expected
        cloud.wait_active(server)


def test_rebuild_hides_user_data_from_the_admin_view(cloud, server):
    """The admin's extended attributes of a rebuild have no user_data
    (Nova's rebuild view), show has it from 2.3."""
    r = cloud.c('POST', f'/servers/{server}/action', {'rebuild': {
        'imageRef': cloud.image}}, cloud.admin, v='2.75')
    assert r.status_int == 202, r.body
    assert 'OS-EXT-SRV-ATTR:hostname' in r.json['server']
    assert 'OS-EXT-SRV-ATTR:user_data' not in r.json['server']
    cloud.wait_active(server)
    shown = cloud.ok('GET', f'/servers/{server}', token=cloud.admin, v='2.75')['server']
    assert 'OS-EXT-SRV-ATTR:user_data' in shown
