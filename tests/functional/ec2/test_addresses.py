"""EC2 Elastic IPs through boto3: the network API's floating IPs of the
caller's project on the external network, associated with instances,
with tags, filters, errors, isolation and the reader's limits."""
import time

import botocore.exceptions
import pytest

from iaas.ec2 import ids
from iaas.network.manager import NetworkManager
from iaas.service import Service
from tests.inprocess import running


def code_of(call, *args, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kw)
    return e.value.response['Error']['Code']


@pytest.fixture
def network_host(ec2):
    """The network host of the fixture's compute host (IPAM only): servers
    get their ports from it."""
    with running([Service('iaas-network', 'network', NetworkManager('ec2-c1'),
                          host='ec2-c1')]):
        yield


def _external(ec2, cidr='203.0.113.0/28', name='public'):
    net = ec2.os.ok('network', 'POST', '/v2.0/networks', ec2.os.admin, {'network': {
        'name': name, 'router:external': True}}).json['network']
    ec2.os.ok('network', 'POST', '/v2.0/subnets', ec2.os.admin, {'subnet': {
        'network_id': net['id'], 'cidr': cidr, 'ip_version': 4}})
    return net['id']


def _server(ec2, user, ext_id, cidr='10.60.0.0/24'):
    """An ACTIVE server of ``user`` on a network routed to ``ext_id``: (EC2 id, uuid)."""
    tok = ec2.tokens[user]
    net = ec2.os.ok('network', 'POST', '/v2.0/networks', tok,
                    {'network': {'name': f'{user}-net'}}).json['network']
    sub = ec2.os.ok('network', 'POST', '/v2.0/subnets', tok, {'subnet': {
        'network_id': net['id'], 'cidr': cidr, 'ip_version': 4}}).json['subnet']
    router = ec2.os.ok('network', 'POST', '/v2.0/routers', tok, {'router': {
        'name': f'{user}-router', 'external_gateway_info': {'network_id': ext_id}}}
    ).json['router']
    ec2.os.ok('network', 'PUT', f"/v2.0/routers/{router['id']}/add_router_interface", tok,
              {'subnet_id': sub['id']})
    img = ec2.os.ok('image', 'POST', '/v2/images', tok, {
        'name': f'{user}-image', 'disk_format': 'raw', 'container_format': 'bare'}).json
    _upload(ec2, tok, img['id'])
    srv = ec2.os.ok('compute', 'POST', '/v2.1/servers', tok, {'server': {
        'name': f'{user}-vm', 'imageRef': img['id'], 'flavorRef': '1',
        'networks': [{'uuid': net['id']}]}}).json['server']
    deadline = time.monotonic() + 60
    while True:
        status = ec2.os.ok('compute', 'GET', f"/v2.1/servers/{srv['id']}",
                           tok).json['server']['status']
        if status == 'ACTIVE':
            break
        assert status != 'ERROR' and time.monotonic() < deadline, status
        time.sleep(0.05)
    return ids.one('instance', srv['id']), srv['id']


def _upload(ec2, token, image_id):
    r = ec2.os.call('image', 'PUT', f'/v2/images/{image_id}/file', token,
                    raw=b'image-bytes' * 100,
                    headers={'Content-Type': 'application/octet-stream'})
    assert r.status == 204, r


def test_allocate_describe_release_with_tags_and_filters(ec2):
    c = ec2.client('alice')
    assert code_of(c.allocate_address, Domain='vpc') == 'Unsupported'
    ext = _external(ec2)
    a = c.allocate_address(Domain='vpc', TagSpecifications=[
        {'ResourceType': 'elastic-ip', 'Tags': [{'Key': 'role', 'Value': 'lb'}]}])
    b = c.allocate_address()
    assert a['AllocationId'].startswith('eipalloc-') and a['Domain'] == 'vpc'
    assert a['PublicIp'].startswith('203.0.113.') and a['PublicIpv4Pool'] == ext
    # the same floating IP in the network API
    fips = ec2.os.ok('network', 'GET', '/v2.0/floatingips',
                     ec2.tokens['alice']).json['floatingips']
    by_ip = {f['floating_ip_address']: f for f in fips}
    assert ids.one('address', by_ip[a['PublicIp']]['id']) == a['AllocationId']

    def ips(**kw):
        return sorted(x['PublicIp'] for x in c.describe_addresses(**kw)['Addresses'])

    assert ips() == sorted([a['PublicIp'], b['PublicIp']])
    got = c.describe_addresses(AllocationIds=[a['AllocationId']])['Addresses']
    assert got == [{'PublicIp': a['PublicIp'], 'AllocationId': a['AllocationId'],
                    'Domain': 'vpc', 'PublicIpv4Pool': ext, 'NetworkBorderGroup': 'RegionOne',
                    'Tags': [{'Key': 'role', 'Value': 'lb'}]}]
    assert ips(PublicIps=[b['PublicIp']]) == [b['PublicIp']]
    assert ips(Filters=[{'Name': 'tag:role', 'Values': ['lb']}]) == [a['PublicIp']]
    assert ips(Filters=[{'Name': 'allocation-id', 'Values': [b['AllocationId']]}]) == \
        [b['PublicIp']]
    assert ips(Filters=[{'Name': 'public-ip', 'Values': ['203.0.113.*']},
                        {'Name': 'domain', 'Values': ['vpc']}]) == ips()
    assert ips(Filters=[{'Name': 'association-id', 'Values': ['*']}]) == []
    assert code_of(c.describe_addresses, Filters=[{'Name': 'bogus', 'Values': ['x']}]) == \
        'InvalidParameterValue'
    c.create_tags(Resources=[b['AllocationId']], Tags=[{'Key': 'role', 'Value': 'db'}])
    assert ips(Filters=[{'Name': 'tag-value', 'Values': ['db']}]) == [b['PublicIp']]

    assert c.release_address(AllocationId=a['AllocationId'])['ResponseMetadata'][
        'HTTPStatusCode'] == 200
    c.release_address(PublicIp=b['PublicIp'])
    assert ips() == []
    assert code_of(c.release_address, AllocationId=a['AllocationId']) == \
        'InvalidAllocationID.NotFound'
    assert code_of(c.describe_addresses, AllocationIds=[a['AllocationId']]) == \
        'InvalidAllocationID.NotFound'


def test_errors_and_pool_exhaustion(ec2):
    c = ec2.client('alice')
    _external(ec2, cidr='203.0.113.64/30')          # two usable addresses at most
    assert code_of(c.describe_addresses, AllocationIds=['eipalloc-0123456789abcdef0']) == \
        'InvalidAllocationID.NotFound'
    assert code_of(c.describe_addresses, PublicIps=['192.0.2.1']) == 'InvalidAddress.NotFound'
    assert code_of(c.describe_addresses, PublicIps=['not-an-ip']) == 'InvalidParameterValue'
    assert code_of(c.release_address) == 'MissingParameter'
    assert code_of(c.release_address, AllocationId='eipalloc-nothex') == \
        'InvalidAllocationID.NotFound'
    assert code_of(c.allocate_address, Domain='classic') == 'InvalidParameterValue'
    assert code_of(c.allocate_address, PublicIpv4Pool='no-such-pool') == \
        'InvalidParameterValue'
    # a given address is the admin's to ask for
    assert code_of(c.allocate_address, Address='203.0.113.65') == 'UnauthorizedOperation'
    assert code_of(c.disassociate_address, AssociationId='eipassoc-0123456789abcdef0') == \
        'InvalidAssociationID.NotFound'
    assert code_of(c.disassociate_address) == 'MissingParameter'
    assert code_of(c.allocate_address, DryRun=True) == 'DryRunOperation'
    allocated = []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        for _ in range(10):
            allocated.append(c.allocate_address()['AllocationId'])
    assert e.value.response['Error']['Code'] == 'AddressLimitExceeded'
    assert 1 <= len(allocated) <= 4
    a = allocated[0]
    assert code_of(c.associate_address, AllocationId=a) == 'MissingParameter'
    assert code_of(c.associate_address, AllocationId=a, InstanceId='i-0123456789abcdef0') \
        == 'InvalidInstanceID.NotFound'
    assert code_of(c.associate_address, AllocationId=a, InstanceId='i-bad') == \
        'InvalidInstanceID.Malformed'


def test_associate_disassociate_and_isolation(ec2, network_host):
    alice, bob, reader = ec2.client('alice'), ec2.client('bob'), ec2.client('reader')
    ext = _external(ec2)
    iid, server_uuid = _server(ec2, 'alice', ext)
    a = alice.allocate_address(Domain='vpc')
    b = alice.allocate_address(Domain='vpc')
    assoc = alice.associate_address(AllocationId=a['AllocationId'], InstanceId=iid)[
        'AssociationId']
    assert assoc.startswith('eipassoc-')
    # associating again with the same instance changes nothing
    assert alice.associate_address(PublicIp=a['PublicIp'], InstanceId=iid)[
        'AssociationId'] == assoc
    got = alice.describe_addresses(AllocationIds=[a['AllocationId']])['Addresses'][0]
    assert (got['InstanceId'], got['AssociationId']) == (iid, assoc)
    assert got['PrivateIpAddress'].startswith('10.60.0.')
    assert got['NetworkInterfaceOwnerId'] == ec2.project_ids['alpha']
    assert [x['PublicIp'] for x in alice.describe_addresses(Filters=[
        {'Name': 'instance-id', 'Values': [iid]}])['Addresses']] == [a['PublicIp']]
    assert [x['PublicIp'] for x in alice.describe_addresses(Filters=[
        {'Name': 'private-ip-address', 'Values': [got['PrivateIpAddress']]}])['Addresses']] \
        == [a['PublicIp']]
    assert [x['PublicIp'] for x in alice.describe_addresses(Filters=[
        {'Name': 'association-id', 'Values': [assoc]}])['Addresses']] == [a['PublicIp']]
    # the server shows the floating address in the compute API
    addrs = ec2.os.ok('compute', 'GET', f'/v2.1/servers/{server_uuid}',
                      ec2.tokens['alice']).json['server']['addresses']
    assert a['PublicIp'] in {x['addr'] for v in addrs.values() for x in v}

    # an associated address is not released
    assert code_of(alice.release_address, AllocationId=a['AllocationId']) == \
        'InvalidIPAddress.InUse'
    # bob sees none of it and changes none of it
    assert bob.describe_addresses()['Addresses'] == []
    assert code_of(bob.describe_addresses, AllocationIds=[a['AllocationId']]) == \
        'InvalidAllocationID.NotFound'
    assert code_of(bob.describe_addresses, PublicIps=[a['PublicIp']]) == \
        'InvalidAddress.NotFound'
    assert code_of(bob.release_address, AllocationId=b['AllocationId']) == \
        'InvalidAllocationID.NotFound'
    assert code_of(bob.disassociate_address, AssociationId=assoc) == \
        'InvalidAssociationID.NotFound'
    assert code_of(bob.disassociate_address, PublicIp=a['PublicIp']) == \
        'InvalidAddress.NotFound'
    bobs = bob.allocate_address()
    assert code_of(bob.associate_address, AllocationId=bobs['AllocationId'],
                   InstanceId=iid) == 'InvalidInstanceID.NotFound'
    assert code_of(bob.associate_address, AllocationId=b['AllocationId'],
                   InstanceId=iid) == 'InvalidAllocationID.NotFound'
    assert [x['PublicIp'] for x in bob.describe_addresses()['Addresses']] == \
        [bobs['PublicIp']]
    # the reader sees alpha's addresses and changes nothing
    assert len(reader.describe_addresses()['Addresses']) == 2
    assert code_of(reader.allocate_address) == 'UnauthorizedOperation'
    assert code_of(reader.disassociate_address, AssociationId=assoc) == \
        'UnauthorizedOperation'
    assert code_of(reader.release_address, AllocationId=b['AllocationId']) == \
        'UnauthorizedOperation'

    # a second address takes the place of the instance's first (still allocated)
    assoc_b = alice.associate_address(AllocationId=b['AllocationId'], InstanceId=iid)[
        'AssociationId']
    by_id = {x['AllocationId']: x for x in alice.describe_addresses()['Addresses']}
    assert by_id[b['AllocationId']]['AssociationId'] == assoc_b
    assert 'AssociationId' not in by_id[a['AllocationId']]       # replaced, still allocated
    alice.associate_address(AllocationId=a['AllocationId'], InstanceId=iid)
    assert code_of(alice.associate_address, AllocationId=a['AllocationId'],
                   InstanceId=iid, PrivateIpAddress='10.60.0.250') == \
        'Resource.AlreadyAssociated'
    assert code_of(alice.associate_address, AllocationId=a['AllocationId'],
                   InstanceId=iid, PrivateIpAddress='10.60.0.250',
                   AllowReassociation=True) == 'InvalidParameterValue'

    # disassociate by association id, then by address; then release
    assoc_a = alice.describe_addresses(AllocationIds=[a['AllocationId']])['Addresses'][0][
        'AssociationId']
    alice.disassociate_address(AssociationId=assoc_a)
    assert code_of(alice.disassociate_address, AssociationId=assoc_a) == \
        'InvalidAssociationID.NotFound'
    alice.disassociate_address(PublicIp=a['PublicIp'])          # not associated: fine
    alice.release_address(AllocationId=a['AllocationId'])
    alice.release_address(AllocationId=b['AllocationId'])
    assert alice.describe_addresses()['Addresses'] == []
