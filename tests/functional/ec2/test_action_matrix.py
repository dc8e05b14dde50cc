"""Every EC2 action, enumerated from the action table, called by every kind
of attacker with parameters naming the victim's resources: nothing of the
victim's may be seen or changed.

An action missing from PARAMS fails ``test_every_action_is_classified``:
a new action cannot slip past. Attackers: a member of another project
(``bob``), a reader of the victim's project (writes refused), a disabled
user and a user whose role was removed (every action AuthFailure).
"""
from iaas.api import ec2_auth
from iaas.api.ec2 import actions
from iaas.api.ec2 import app as ec2_app  # noqa: F401  (loads every topic module)
from tests.functional.ec2.test_protocol import v2_request


def _perm(v):
    return {'GroupId': v['sg'], 'IpPermissions.1.IpProtocol': 'tcp',
            'IpPermissions.1.FromPort': '1', 'IpPermissions.1.ToPort': '65535',
            'IpPermissions.1.IpRanges.1.CidrIp': '0.0.0.0/0'}


def _tag(v):
    return {'ResourceId.1': v['instance'], 'ResourceId.2': v['key_id'],
            'Tag.1.Key': 'pwned', 'Tag.1.Value': 'yes'}


# action → function(victim) → request parameters naming the victim's resources
PARAMS = {
    'DescribeRegions': lambda v: {},
    'DescribeAvailabilityZones': lambda v: {},
    'DescribeAccountAttributes': lambda v: {},
    'DescribeInstanceTypes': lambda v: {},
    'CreateKeyPair': lambda v: {'KeyName': v['key_name']},
    'ImportKeyPair': lambda v: {'KeyName': v['key_name'],
                                'PublicKeyMaterial': v['public_key_b64']},
    'DescribeKeyPairs': lambda v: {'KeyPairId.1': v['key_id']},
    'DeleteKeyPair': lambda v: {'KeyPairId': v['key_id']},
    'CreateTags': _tag,
    'DeleteTags': lambda v: {'ResourceId.1': v['instance'], 'Tag.1.Key': 'Name'},
    'DescribeTags': lambda v: {'Filter.1.Name': 'resource-id',
                               'Filter.1.Value.1': v['instance']},
    'RunInstances': lambda v: {'ImageId': v['ami'], 'MinCount': '1', 'MaxCount': '1',
                               'InstanceType': 'm1.tiny', 'KeyName': v['key_name'],
                               'ClientToken': v['client_token']},
    'DescribeInstances': lambda v: {'InstanceId.1': v['instance']},
    'DescribeInstanceStatus': lambda v: {'InstanceId.1': v['instance']},
    'StopInstances': lambda v: {'InstanceId.1': v['instance']},
    'StartInstances': lambda v: {'InstanceId.1': v['instance']},
    'RebootInstances': lambda v: {'InstanceId.1': v['instance']},
    'TerminateInstances': lambda v: {'InstanceId.1': v['instance']},
    'GetConsoleOutput': lambda v: {'InstanceId': v['instance']},
    'DescribeInstanceAttribute': lambda v: {'InstanceId': v['instance'],
                                            'Attribute': 'instanceType'},
    'ModifyInstanceAttribute': lambda v: {'InstanceId': v['instance'],
                                          'InstanceType.Value': 'm1.small'},
    'CreateImage': lambda v: {'InstanceId': v['instance'], 'Name': 'stolen'},
    # security groups
    'CreateSecurityGroup': lambda v: {'GroupName': 'victim-sg', 'GroupDescription': 'x'},
    'DescribeSecurityGroups': lambda v: {'GroupId.1': v['sg']},
    'DeleteSecurityGroup': lambda v: {'GroupId': v['sg']},
    'AuthorizeSecurityGroupIngress': lambda v: _perm(v),
    'AuthorizeSecurityGroupEgress': lambda v: _perm(v),
    'RevokeSecurityGroupIngress': lambda v: dict(_perm(v), **{
        'IpPermissions.1.IpRanges.1.CidrIp': '192.0.2.0/24',
        'IpPermissions.1.FromPort': '22', 'IpPermissions.1.ToPort': '22'}),
    'RevokeSecurityGroupEgress': lambda v: dict(_perm(v), **{
        'IpPermissions.1.IpProtocol': '-1', 'IpPermissions.1.IpRanges.1.CidrIp': '0.0.0.0/0'}),
    # elastic IPs
    'AllocateAddress': lambda v: {'Domain': 'vpc', 'Address': v['public_ip']},
    'DescribeAddresses': lambda v: {'AllocationId.1': v['allocation']},
    'AssociateAddress': lambda v: {'AllocationId': v['allocation'],
                                   'InstanceId': v['instance'], 'AllowReassociation': 'true'},
    'DisassociateAddress': lambda v: {'PublicIp': v['public_ip']},
    'ReleaseAddress': lambda v: {'AllocationId': v['allocation']},
    # images
    'DescribeImages': lambda v: {'ImageId.1': v['ami']},
    'DeregisterImage': lambda v: {'ImageId': v['ami']},
    'RegisterImage': lambda v: {'Name': 'stolen', 'RootDeviceName': '/dev/vda',
                                'BlockDeviceMapping.1.DeviceName': '/dev/vda',
                                'BlockDeviceMapping.1.Ebs.SnapshotId': v['snapshot']},
    'DescribeImageAttribute': lambda v: {'ImageId': v['ami'], 'Attribute': 'launchPermission'},
    'ModifyImageAttribute': lambda v: {'ImageId': v['ami'],
                                       'LaunchPermission.Add.1.UserId': 'attacker'},
    # volumes and snapshots
    'CreateVolume': lambda v: {'Size': '1', 'SnapshotId': v['snapshot'],
                               'AvailabilityZone': 'nova'},
    'DescribeVolumes': lambda v: {'VolumeId.1': v['volume']},
    'DeleteVolume': lambda v: {'VolumeId': v['volume']},
    'AttachVolume': lambda v: {'VolumeId': v['volume'], 'InstanceId': v['instance'],
                               'Device': '/dev/vdb'},
    'DetachVolume': lambda v: {'VolumeId': v['volume'], 'Force': 'true'},
    'CreateSnapshot': lambda v: {'VolumeId': v['volume']},
    'DescribeSnapshots': lambda v: {'SnapshotId.1': v['snapshot']},
    'DeleteSnapshot': lambda v: {'SnapshotId': v['snapshot']},
}


# writes that make (or, for EC2's DeleteKeyPair, quietly skip) the caller's own
# resource even with the victim's parameters: the victim's stay the same.
OWN_WRITES = {'CreateKeyPair', 'ImportKeyPair', 'DeleteKeyPair', 'CreateSecurityGroup'}
# reads of what belongs to a user, not to the project (Nova's key pairs): the
# victim's reader, another user, does not see them either
PER_USER = {'DescribeKeyPairs'}
# reads whose OpenStack rule is for members (Nova: os-console-output)
MEMBER_READS = {'GetConsoleOutput'}


def snapshot(ec2):
    """What alice has, as alice sees it (volatile fields dropped)."""
    c = ec2.client('alice')
    res = c.describe_instances()['Reservations']
    insts = sorted((i['InstanceId'], i['State']['Name'], i.get('KeyName'), i['InstanceType'],
                    tuple(sorted((t['Key'], t['Value']) for t in i.get('Tags', []))))
                   for x in res for i in x['Instances'])
    keys = sorted((k['KeyName'], k['KeyPairId'], k['KeyFingerprint'])
                  for k in c.describe_key_pairs()['KeyPairs'])
    tags = sorted((t['ResourceId'], t['Key'], t['Value']) for t in c.describe_tags()['Tags'])
    groups = sorted((g['GroupId'], g['GroupName'], repr(g.get('IpPermissions')),
                     repr(g.get('IpPermissionsEgress')))
                    for g in c.describe_security_groups()['SecurityGroups'])
    addresses = sorted((a.get('AllocationId'), a['PublicIp'], a.get('AssociationId'))
                       for a in c.describe_addresses()['Addresses'])
    volumes = sorted((x['VolumeId'], x['State'], x['Size'], repr(x.get('Attachments')))
                     for x in c.describe_volumes()['Volumes'])
    snaps = sorted((x['SnapshotId'], x['State'], x['VolumeId'])
                   for x in c.describe_snapshots(OwnerIds=['self'])['Snapshots'])
    images = sorted((x['ImageId'], x['State'], x.get('Public'), x.get('Name'))
                    for x in c.describe_images(Owners=['self'])['Images'])
    perms = c.describe_image_attribute(ImageId=ami_of(c), Attribute='launchPermission')[
        'LaunchPermissions']
    return insts, keys, tags, groups, addresses, volumes, snaps, images, perms


def ami_of(c):
    return next(x['ImageId'] for x in c.describe_images(Owners=['self'])['Images']
                if x.get('Name') == 'victim-image')


def call(ec2, who, action, params):
    access, secret = ec2.cred[who]
    return v2_request(ec2.url, access, secret, dict(params, Action=action))


def test_every_action_is_classified():
    missing = sorted(set(actions.ACTIONS) - set(PARAMS))
    assert not missing, 'classify these EC2 actions in PARAMS: ' + ', '.join(missing)


def test_other_project_sees_and_changes_nothing(ec2, victim):
    before = snapshot(ec2)
    for name in sorted(actions.ACTIONS):
        r = call(ec2, 'bob', name, PARAMS[name](victim))
        assert r.status_code < 500, (name, r.text)
        for secret in victim['secret_ids']:
            if name == 'RunInstances' and secret == victim['ami']:
                continue        # refused with the id it was given
            assert secret not in r.text or r.status_code >= 400 and \
                secret in r.text.split('<Message>')[1], (name, secret, r.text)
        if actions.ACTIONS[name].write and name not in OWN_WRITES:
            assert r.status_code >= 400, (name, r.text)
    assert snapshot(ec2) == before


def test_reader_may_not_write(ec2, victim):
    before = snapshot(ec2)
    for name, act in sorted(actions.ACTIONS.items()):
        r = call(ec2, 'reader', name, PARAMS[name](victim))
        if act.write or name in MEMBER_READS:
            assert r.status_code == 403 and '<Code>UnauthorizedOperation</Code>' in r.text, \
                (name, r.text)
        elif name in PER_USER:
            assert r.status_code == 400 and '.NotFound</Code>' in r.text, (name, r.text)
        else:
            assert r.status_code == 200, (name, r.text)
    assert snapshot(ec2) == before


def test_dead_credentials_do_nothing(ec2, victim):
    before = snapshot(ec2)
    os_ = ec2.os
    uid = ec2.user_ids['carol']
    os_.ok('identity', 'PATCH', f'/v3/users/{uid}', os_.admin, {'user': {'enabled': False}})
    ec2_auth.forget()
    for name in sorted(actions.ACTIONS):
        r = call(ec2, 'carol', name, PARAMS[name](victim))
        assert r.status_code == 401 and '<Code>AuthFailure</Code>' in r.text, (name, r.text)
    os_.ok('identity', 'PATCH', f'/v3/users/{uid}', os_.admin, {'user': {'enabled': True}})
    os_.ok('identity', 'DELETE', f"/v3/projects/{ec2.project_ids['alpha']}/users/{uid}/roles/"
           f"{os_.role_id('member')}", os_.admin)
    ec2_auth.forget()
    for name in sorted(actions.ACTIONS):
        r = call(ec2, 'carol', name, PARAMS[name](victim))
        assert r.status_code == 401 and '<Code>AuthFailure</Code>' in r.text, (name, r.text)
    assert snapshot(ec2) == before
