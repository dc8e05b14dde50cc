"""EC2 security groups through boto3: the network API's groups of the
caller's project, their rules as IpPermissions, tags, filters, errors,
isolation between projects and the reader's limits."""
import botocore.exceptions
import pytest

from iaas.ec2 import ids


def code_of(call, *args, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kw)
    return e.value.response['Error']['Code']


def _group(c, gid):
    return c.describe_security_groups(GroupIds=[gid])['SecurityGroups'][0]


SSH = {'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22,
       'IpRanges': [{'CidrIp': '10.0.0.0/8', 'Description': 'admins'}]}


def test_security_group_life_cycle_and_rules(ec2):
    c = ec2.client('alice')
    alpha = ec2.project_ids['alpha']
    made = c.create_security_group(GroupName='web', Description='web servers', TagSpecifications=[
        {'ResourceType': 'security-group', 'Tags': [{'Key': 'tier', 'Value': 'front'}]}])
    gid = made['GroupId']
    assert gid.startswith('sg-') and made['Tags'] == [{'Key': 'tier', 'Value': 'front'}]
    g = _group(c, gid)
    assert (g['GroupName'], g['Description'], g['OwnerId']) == ('web', 'web servers', alpha)
    assert g['IpPermissions'] == []
    assert g['IpPermissionsEgress'] == [{
        'IpProtocol': '-1', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}],
        'Ipv6Ranges': [{'CidrIpv6': '::/0'}], 'PrefixListIds': [], 'UserIdGroupPairs': []}]
    # the same group through the network API
    sg = ec2.os.ok('network', 'GET', '/v2.0/security-groups?name=web',
                   ec2.tokens['alice']).json['security_groups'][0]
    assert ids.one('security_group', sg['id']) == gid

    r = c.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        SSH, {'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1,
              'Ipv6Ranges': [{'CidrIpv6': '2001:db8::/32'}]},
        {'IpProtocol': 'udp', 'FromPort': 53, 'ToPort': 53,
         'UserIdGroupPairs': [{'GroupId': gid}]}])
    assert r['Return'] is True
    assert {(x['IpProtocol'], x.get('CidrIpv4'), x['IsEgress']) for x in
            r['SecurityGroupRules']} >= {('tcp', '10.0.0.0/8', False)}
    # legacy flat form
    c.authorize_security_group_ingress(GroupName='web', IpProtocol='tcp', FromPort=80,
                                       ToPort=80, CidrIp='0.0.0.0/0')
    perms = {(x['IpProtocol'], x.get('FromPort'), x.get('ToPort')): x
             for x in _group(c, gid)['IpPermissions']}
    assert perms[('tcp', 22, 22)]['IpRanges'] == [{'CidrIp': '10.0.0.0/8',
                                                   'Description': 'admins'}]
    assert perms[('tcp', 80, 80)]['IpRanges'] == [{'CidrIp': '0.0.0.0/0'}]
    assert perms[('icmp', -1, -1)]['Ipv6Ranges'] == [{'CidrIpv6': '2001:db8::/32'}]
    assert perms[('udp', 53, 53)]['UserIdGroupPairs'] == [{'UserId': alpha, 'GroupId': gid}]
    rules = ec2.os.ok('network', 'GET', f"/v2.0/security-group-rules?security_group_id="
                      f"{sg['id']}", ec2.tokens['alice']).json['security_group_rules']
    assert {(x['protocol'], x['port_range_min'], x['remote_ip_prefix'])
            for x in rules if x['direction'] == 'ingress'} >= {
        ('tcp', 22, '10.0.0.0/8'), ('tcp', 80, '0.0.0.0/0'), ('icmp', None, '2001:db8::/32')}

    assert code_of(c.authorize_security_group_ingress, GroupId=gid,
                   IpPermissions=[SSH]) == 'InvalidPermission.Duplicate'
    # egress: all of it was allowed; revoke it and allow HTTPS only
    c.revoke_security_group_egress(GroupId=gid, IpPermissions=[{
        'IpProtocol': '-1', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}],
        'Ipv6Ranges': [{'CidrIpv6': '::/0'}]}])
    c.authorize_security_group_egress(GroupId=gid, IpPermissions=[{
        'IpProtocol': '6', 'FromPort': 443, 'ToPort': 443,
        'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
    assert _group(c, gid)['IpPermissionsEgress'] == [{
        'IpProtocol': 'tcp', 'FromPort': 443, 'ToPort': 443,
        'IpRanges': [{'CidrIp': '0.0.0.0/0'}], 'Ipv6Ranges': [], 'PrefixListIds': [],
        'UserIdGroupPairs': []}]

    c.revoke_security_group_ingress(GroupId=gid, IpPermissions=[SSH])
    c.revoke_security_group_ingress(GroupId=gid, IpPermissions=[{
        'IpProtocol': 'udp', 'FromPort': 53, 'ToPort': 53,
        'UserIdGroupPairs': [{'GroupId': gid}]}])
    assert code_of(c.revoke_security_group_ingress, GroupId=gid,
                   IpPermissions=[SSH]) == 'InvalidPermission.NotFound'
    left = {(x['IpProtocol'], x.get('FromPort')) for x in _group(c, gid)['IpPermissions']}
    assert left == {('tcp', 80), ('icmp', -1)}

    assert c.delete_security_group(GroupId=gid)['Return'] is True
    assert code_of(c.describe_security_groups, GroupIds=[gid]) == 'InvalidGroup.NotFound'
    assert code_of(c.delete_security_group, GroupId=gid) == 'InvalidGroup.NotFound'


def test_default_group_names_filters_and_pages(ec2):
    c = ec2.client('alice')
    groups = c.describe_security_groups()['SecurityGroups']
    default = [g for g in groups if g['GroupName'] == 'default']
    assert len(default) == 1
    assert default[0]['IpPermissions'][0]['UserIdGroupPairs'][0]['GroupId'] == \
        default[0]['GroupId']
    assert c.describe_security_groups(GroupNames=['default'])['SecurityGroups'][0][
        'GroupId'] == default[0]['GroupId']
    assert code_of(c.delete_security_group, GroupName='default') == 'CannotDelete'
    assert code_of(c.create_security_group, GroupName='default',
                   Description='x') == 'InvalidGroup.Reserved'

    a = c.create_security_group(GroupName='app-a', Description='first',
                                TagSpecifications=[{'ResourceType': 'security-group',
                                                    'Tags': [{'Key': 'env', 'Value': 'prod'}]}])
    b = c.create_security_group(GroupName='app-b', Description='second')['GroupId']
    assert code_of(c.create_security_group, GroupName='app-a',
                   Description='again') == 'InvalidGroup.Duplicate'
    c.authorize_security_group_ingress(GroupId=b, IpPermissions=[SSH])

    def names(**kw):
        return sorted(g['GroupName'] for g in c.describe_security_groups(**kw)['SecurityGroups'])

    assert names(Filters=[{'Name': 'group-name', 'Values': ['app-*']}]) == ['app-a', 'app-b']
    assert names(Filters=[{'Name': 'description', 'Values': ['sec?nd']}]) == ['app-b']
    assert names(Filters=[{'Name': 'tag:env', 'Values': ['prod']}]) == ['app-a']
    assert names(Filters=[{'Name': 'tag-key', 'Values': ['env']}]) == ['app-a']
    assert names(Filters=[{'Name': 'group-id', 'Values': [a['GroupId']]}]) == ['app-a']
    assert names(Filters=[{'Name': 'owner-id', 'Values': [ec2.project_ids['alpha']]}]) == \
        ['app-a', 'app-b', 'default']
    assert names(Filters=[{'Name': 'ip-permission.cidr', 'Values': ['10.0.0.0/8']},
                          {'Name': 'ip-permission.from-port', 'Values': ['22']}]) == ['app-b']
    assert names(Filters=[{'Name': 'ip-permission.group-name', 'Values': ['default']}]) \
        == ['default']
    assert names(Filters=[{'Name': 'egress.ip-permission.protocol', 'Values': ['-1']}]) == \
        ['app-a', 'app-b', 'default']
    assert names(GroupNames=['app-b', 'app-a']) == ['app-a', 'app-b']
    assert code_of(c.describe_security_groups,
                   Filters=[{'Name': 'no-such', 'Values': ['x']}]) == 'InvalidParameterValue'
    # CreateTags on a group, seen by DescribeTags
    c.create_tags(Resources=[b], Tags=[{'Key': 'env', 'Value': 'dev'}])
    assert names(Filters=[{'Name': 'tag:env', 'Values': ['*']}]) == ['app-a', 'app-b']
    # pages
    first = c.describe_security_groups(MaxResults=5)
    assert len(first['SecurityGroups']) == 3 and 'NextToken' not in first
    for i in range(4):
        c.create_security_group(GroupName=f'many-{i}', Description='x')
    p1 = c.describe_security_groups(MaxResults=5)
    p2 = c.describe_security_groups(MaxResults=5, NextToken=p1['NextToken'])
    seen = [g['GroupId'] for g in p1['SecurityGroups'] + p2['SecurityGroups']]
    assert len(seen) == len(set(seen)) == 7 and 'NextToken' not in p2


def test_errors(ec2):
    c = ec2.client('alice')
    gid = c.create_security_group(GroupName='errs', Description='x')['GroupId']
    assert code_of(c.describe_security_groups, GroupIds=['sg-0123456789abcdef0']) == \
        'InvalidGroup.NotFound'
    assert code_of(c.describe_security_groups, GroupIds=['sg-nothex']) == \
        'InvalidGroupId.Malformed'
    assert code_of(c.describe_security_groups, GroupNames=['nope']) == 'InvalidGroup.NotFound'
    assert code_of(c.delete_security_group, GroupName='nope') == 'InvalidGroup.NotFound'
    assert code_of(c.delete_security_group) == 'MissingParameter'
    assert code_of(c.create_security_group, GroupName='x', Description='y',
                   VpcId='vpc-12345678') == 'InvalidVpcID.NotFound'
    assert code_of(c.create_security_group, GroupName='sg-bad',
                   Description='y') == 'InvalidParameterValue'
    assert code_of(c.create_security_group, GroupName='nodesc',
                   Description='') == 'MissingParameter'

    def auth(**perm):
        return code_of(c.authorize_security_group_ingress, GroupId=gid, IpPermissions=[perm])
    assert auth(IpProtocol='bogus', IpRanges=[{'CidrIp': '1.2.3.0/24'}]) == \
        'InvalidParameterValue'
    assert auth(IpProtocol='tcp', FromPort=30, ToPort=20,
                IpRanges=[{'CidrIp': '1.2.3.0/24'}]) == 'InvalidParameterValue'
    assert auth(IpProtocol='tcp', FromPort=1, ToPort=70000,
                IpRanges=[{'CidrIp': '1.2.3.0/24'}]) == 'InvalidParameterValue'
    assert auth(IpProtocol='tcp', FromPort=22, ToPort=22,
                IpRanges=[{'CidrIp': 'not-a-cidr'}]) == 'InvalidParameterValue'
    assert auth(IpProtocol='tcp', FromPort=22, ToPort=22,
                IpRanges=[{'CidrIp': '2001:db8::/32'}]) == 'InvalidParameterValue'
    assert auth(IpProtocol='icmp', FromPort=-1, ToPort=3,
                IpRanges=[{'CidrIp': '1.2.3.0/24'}]) == 'InvalidParameterValue'
    assert auth(IpProtocol='tcp', FromPort=22, ToPort=22) == 'MissingParameter'
    assert auth(IpProtocol='tcp', FromPort=22, ToPort=22,
                UserIdGroupPairs=[{'GroupId': 'sg-0123456789abcdef0'}]) == \
        'InvalidGroup.NotFound'
    # a group other groups' rules name cannot go
    other = c.create_security_group(GroupName='errs-user', Description='x')['GroupId']
    c.authorize_security_group_ingress(GroupId=other, IpPermissions=[{
        'IpProtocol': '-1', 'UserIdGroupPairs': [{'GroupId': gid}]}])
    assert code_of(c.delete_security_group, GroupId=gid) == 'DependencyViolation'
    c.delete_security_group(GroupId=other)
    # one duplicate in a request makes nothing
    assert code_of(c.authorize_security_group_ingress, GroupId=gid, IpPermissions=[
        SSH, SSH]) == 'InvalidPermission.Duplicate'
    assert _group(c, gid)['IpPermissions'] == []
    # a group in use by a port cannot go
    net = ec2.os.ok('network', 'POST', '/v2.0/networks', ec2.tokens['alice'],
                    {'network': {'name': 'sgnet'}}).json['network']
    sg_uuid = ids.to_uuid('security_group', [gid])[gid]
    port = ec2.os.ok('network', 'POST', '/v2.0/ports', ec2.tokens['alice'], {'port': {
        'network_id': net['id'], 'security_groups': [sg_uuid]}}).json['port']
    assert code_of(c.delete_security_group, GroupId=gid) == 'InvalidGroup.InUse'
    ec2.os.ok('network', 'DELETE', f"/v2.0/ports/{port['id']}", ec2.tokens['alice'])
    c.delete_security_group(GroupId=gid)
    # DryRun
    assert code_of(c.create_security_group, GroupName='dry', Description='x',
                   DryRun=True) == 'DryRunOperation'
    # an invalid permission anywhere in a request makes nothing
    ok = c.create_security_group(GroupName='atomic', Description='x')['GroupId']
    assert code_of(c.authorize_security_group_ingress, GroupId=ok, IpPermissions=[
        SSH, {'IpProtocol': 'tcp', 'FromPort': 0, 'ToPort': 5,
              'IpRanges': [{'CidrIp': '1.2.3.0/24'}]}]) == 'InvalidParameterValue'
    assert _group(c, ok)['IpPermissions'] == []


def test_isolation_and_reader(ec2):
    alice, bob, reader = ec2.client('alice'), ec2.client('bob'), ec2.client('reader')
    gid = alice.create_security_group(GroupName='private', Description='x')['GroupId']
    assert 'private' not in {g['GroupName'] for g in
                             bob.describe_security_groups()['SecurityGroups']}
    assert code_of(bob.describe_security_groups, GroupIds=[gid]) == 'InvalidGroup.NotFound'
    assert code_of(bob.describe_security_groups, GroupNames=['private']) == \
        'InvalidGroup.NotFound'
    assert code_of(bob.delete_security_group, GroupId=gid) == 'InvalidGroup.NotFound'
    assert code_of(bob.authorize_security_group_ingress, GroupId=gid,
                   IpPermissions=[SSH]) == 'InvalidGroup.NotFound'
    assert code_of(bob.revoke_security_group_egress, GroupId=gid, IpPermissions=[{
        'IpProtocol': '-1', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}]) == \
        'InvalidGroup.NotFound'
    bobs = bob.create_security_group(GroupName='bobs', Description='x')['GroupId']
    # bob cannot point his rules at alice's group, nor tag it
    assert code_of(bob.authorize_security_group_ingress, GroupId=bobs, IpPermissions=[{
        'IpProtocol': '-1', 'UserIdGroupPairs': [{'GroupId': gid}]}]) == \
        'InvalidGroup.NotFound'
    assert code_of(bob.create_tags, Resources=[gid], Tags=[{'Key': 'k', 'Value': 'v'}]) == \
        'InvalidGroup.NotFound'
    # the reader sees alpha's groups but changes nothing
    assert gid in {g['GroupId'] for g in reader.describe_security_groups()['SecurityGroups']}
    assert code_of(reader.create_security_group, GroupName='r', Description='x') == \
        'UnauthorizedOperation'
    assert code_of(reader.authorize_security_group_ingress, GroupId=gid,
                   IpPermissions=[SSH]) == 'UnauthorizedOperation'
    assert code_of(reader.delete_security_group, GroupId=gid) == 'UnauthorizedOperation'
    # carol (same project) shares alice's groups
    ec2.client('carol').authorize_security_group_ingress(GroupId=gid, IpPermissions=[SSH])
    assert _group(alice, gid)['IpPermissions'][0]['FromPort'] == 22
