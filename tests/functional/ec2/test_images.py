"""Images through EC2 with boto3: DescribeImages (own, public, shared;
Owner, ExecutableBy, filters, pages, tags), DeregisterImage,
RegisterImage's refusals (its successes: test_image_register), launch permissions and descriptions, and
another project's view and a reader's."""
import botocore.exceptions
import pytest

from iaas.ec2 import ids


def code_of(call, *args, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kw)
    return e.value.response['Error']['Code']


def ami_ids(c, **kw):
    return sorted(i['ImageId'] for i in c.describe_images(**kw)['Images'])


def admin_client(ec2):
    """A boto3 client of the cloud's admin (admin project)."""
    c = ec2.os
    uid = c.ok('identity', 'GET', '/v3/users?name=admin', c.admin).json['users'][0]['id']
    pid = c.ok('identity', 'GET', '/v3/projects?name=admin', c.admin).json['projects'][0]['id']
    cred = c.ok('identity', 'POST', f'/v3/users/{uid}/credentials/OS-EC2', c.admin,
                {'tenant_id': pid}).json['credential']
    return ec2.client(access=cred['access'], secret=cred['secret'])


def public_image(ec2, name='pub'):
    """(uuid, ami id) of an active public image of the admin project."""
    c = ec2.os
    img = c.ok('image', 'POST', '/v2/images', c.admin, {
        'name': name, 'disk_format': 'raw', 'container_format': 'bare',
        'visibility': 'public'}).json
    r = c.call('image', 'PUT', f"/v2/images/{img['id']}/file", c.admin, raw=b'x' * 64,
               headers={'Content-Type': 'application/octet-stream'})
    assert r.status == 204, r
    return img['id'], ids.one('image', img['id'])


def test_describe_own_public_and_others(ec2):
    c, b = ec2.client('alice'), ec2.client('bob')
    _u1, mine1 = ec2.image('alice', 'web')
    _u2, mine2 = ec2.image('alice', 'db')
    _u3, bobs = ec2.image('bob', 'bobs')
    _u4, pub = public_image(ec2)
    assert ami_ids(c) == sorted([mine1, mine2, pub])
    assert ami_ids(b) == sorted([bobs, pub])
    img = c.describe_images(ImageIds=[mine1])['Images'][0]
    assert img['Name'] == 'web' and img['State'] == 'available'
    assert img['OwnerId'] == ec2.project_ids['alpha'] and img['Public'] is False
    assert img['RootDeviceType'] == 'instance-store' and img['ImageType'] == 'machine'
    assert img['Architecture'] == 'x86_64' and img['CreationDate'].endswith('Z')
    assert img['RootDeviceName'] and img['BlockDeviceMappings'] == []
    assert c.describe_images(ImageIds=[pub])['Images'][0]['Public'] is True
    assert ami_ids(c, Owners=['self']) == sorted([mine1, mine2])
    assert ami_ids(c, Owners=[ec2.project_ids['alpha']]) == sorted([mine1, mine2])
    assert ami_ids(c, Owners=[ec2.project_ids['beta']]) == []
    assert ami_ids(c, Owners=['amazon']) == []
    assert ami_ids(c, ExecutableUsers=['all']) == [pub]
    assert ami_ids(c, ExecutableUsers=['self']) == sorted([mine1, mine2])
    assert code_of(c.describe_images, ImageIds=[bobs]) == 'InvalidAMIID.NotFound'
    assert code_of(c.describe_images, ImageIds=['ami-0123456789abcdef0']) == \
        'InvalidAMIID.NotFound'
    assert code_of(c.describe_images, ImageIds=['bogus']) == 'InvalidAMIID.Malformed'
    # an image without data is pending; a deactivated one disabled
    queued = ec2.os.ok('image', 'POST', '/v2/images', ec2.tokens['alice'], {
        'name': 'empty', 'disk_format': 'raw', 'container_format': 'bare'}).json['id']
    assert c.describe_images(ImageIds=[ids.one('image', queued)])['Images'][0]['State'] == \
        'pending'
    ec2.os.ok('image', 'POST', f'/v2/images/{_u2}/actions/deactivate', ec2.tokens['alice'])
    assert c.describe_images(ImageIds=[mine2])['Images'][0]['State'] == 'disabled'


def test_filters_pages_and_tags(ec2):
    c = ec2.client('alice')
    amis = [ec2.image('alice', f'img-{i}')[1] for i in range(7)]
    _pub_uuid, pub = public_image(ec2, 'img-pub')
    c.create_tags(Resources=amis[:2], Tags=[{'Key': 'role', 'Value': 'base'}])
    seen, token = [], None
    while True:
        page = c.describe_images(MaxResults=5, **({'NextToken': token} if token else {}))
        assert len(page['Images']) <= 5
        seen += [i['ImageId'] for i in page['Images']]
        token = page.get('NextToken')
        if not token:
            break
    assert sorted(seen) == sorted(amis + [pub]) and len(seen) == len(set(seen))

    def found(*filters):
        return ami_ids(c, Filters=[{'Name': n, 'Values': v} for n, v in filters])
    assert found(('tag:role', ['base'])) == sorted(amis[:2])
    assert found(('tag-key', ['ro*'])) == sorted(amis[:2])
    assert c.describe_images(ImageIds=[amis[0]])['Images'][0]['Tags'] == \
        [{'Key': 'role', 'Value': 'base'}]
    assert found(('name', ['img-?'])) == sorted(amis)
    assert found(('name', ['img-3', 'img-pub'])) == sorted([amis[3], pub])
    assert found(('is-public', ['true'])) == [pub]
    assert found(('is-public', ['false']), ('state', ['available'])) == sorted(amis)
    assert found(('owner-id', [ec2.project_ids['alpha']])) == sorted(amis)
    assert found(('image-id', [amis[5]])) == [amis[5]]
    assert found(('architecture', ['x86_64']), ('image-type', ['machine']),
                 ('root-device-type', ['instance-store'])) == sorted(amis + [pub])
    assert found(('root-device-type', ['ebs'])) == []
    assert code_of(c.describe_images, Filters=[{'Name': 'nonsense', 'Values': ['x']}]) == \
        'InvalidParameterValue'
    assert code_of(c.describe_images, NextToken='garbage') == 'InvalidNextToken'


def test_deregister(ec2):
    c, b, r = ec2.client('alice'), ec2.client('bob'), ec2.client('reader')
    uuid, ami = ec2.image('alice')
    _pub_uuid, pub = public_image(ec2)
    assert code_of(b.deregister_image, ImageId=ami) == 'InvalidAMIID.NotFound'
    assert code_of(b.deregister_image, ImageId=pub) == 'InvalidAMIID.NotFound'
    assert code_of(c.deregister_image, ImageId=pub) == 'InvalidAMIID.NotFound'
    assert code_of(r.deregister_image, ImageId=ami) == 'UnauthorizedOperation'
    assert code_of(c.deregister_image, ImageId='ami-x') == 'InvalidAMIID.Malformed'
    assert code_of(c.deregister_image, ImageId=ami, DryRun=True) == 'DryRunOperation'
    # a protected image stays
    ec2.os.ok('image', 'PATCH', f'/v2/images/{uuid}', ec2.tokens['alice'],
              [{'op': 'replace', 'path': '/protected', 'value': True}],
              headers={'Content-Type': 'application/openstack-images-v2.1-json-patch'})
    assert code_of(c.deregister_image, ImageId=ami) == 'OperationNotPermitted'
    ec2.os.ok('image', 'PATCH', f'/v2/images/{uuid}', ec2.tokens['alice'],
              [{'op': 'replace', 'path': '/protected', 'value': False}],
              headers={'Content-Type': 'application/openstack-images-v2.1-json-patch'})
    assert c.deregister_image(ImageId=ami)['ResponseMetadata']['HTTPStatusCode'] == 200
    assert ami_ids(c) == [pub]
    assert ec2.os.call('image', 'GET', f'/v2/images/{uuid}', ec2.tokens['alice']).status \
        == 404
    assert code_of(c.deregister_image, ImageId=ami) == 'InvalidAMIID.NotFound'
    assert ami_ids(b) == [pub]


def test_register_image_refusals(ec2):
    c = ec2.client('alice')
    assert code_of(c.register_image, Name='xyz', ImageLocation='bucket/x.manifest.xml') == \
        'InvalidParameterValue'
    assert code_of(c.register_image, Name='xyz') == 'MissingParameter'
    mapping = [{'DeviceName': '/dev/sda1', 'Ebs': {'SnapshotId': 'snap-0123456789abcdef0'}}]
    assert code_of(c.register_image, Name='xyz', RootDeviceName='/dev/sda1',
                   BlockDeviceMappings=mapping) == 'InvalidSnapshot.NotFound'
    assert code_of(ec2.client('reader').register_image, Name='xyz',
                   ImageLocation='b/x') == 'UnauthorizedOperation'
    assert ami_ids(c) == []


def test_launch_permissions_and_description(ec2):
    c, b = ec2.client('alice'), ec2.client('bob')
    _uuid, ami = ec2.image('alice')
    beta = ec2.project_ids['beta']

    def perms():
        return c.describe_image_attribute(ImageId=ami, Attribute='launchPermission')[
            'LaunchPermissions']
    assert perms() == []
    c.modify_image_attribute(ImageId=ami, LaunchPermission={'Add': [{'UserId': beta}]})
    assert perms() == [{'UserId': beta}]
    assert ami in ami_ids(b) and ami_ids(b, ExecutableUsers=['self']) == [ami]
    assert ami_ids(c, ExecutableUsers=[beta]) == [ami]
    img = b.describe_images(ImageIds=[ami])['Images'][0]
    assert img['OwnerId'] == ec2.project_ids['alpha'] and img['Public'] is False
    # bob sees it but may not change it nor read its permissions
    assert code_of(b.modify_image_attribute, ImageId=ami,
                   Description={'Value': 'mine'}) == 'InvalidAMIID.NotFound'
    assert code_of(b.deregister_image, ImageId=ami) == 'InvalidAMIID.NotFound'
    assert code_of(b.describe_image_attribute, ImageId=ami,
                   Attribute='launchPermission') == 'UnauthorizedOperation'
    c.modify_image_attribute(ImageId=ami, Attribute='launchPermission',
                             OperationType='remove', UserIds=[beta])
    assert perms() == [] and ami not in ami_ids(b)
    assert code_of(b.describe_image_attribute, ImageId=ami, Attribute='description') == \
        'InvalidAMIID.NotFound'
    # public: the admin's to give (Glance's publicize_image)
    assert code_of(c.modify_image_attribute, ImageId=ami,
                   LaunchPermission={'Add': [{'Group': 'all'}]}) == 'UnauthorizedOperation'
    admin = admin_client(ec2)
    admin.modify_image_attribute(ImageId=ami, LaunchPermission={'Add': [{'Group': 'all'}]})
    assert perms() == [{'Group': 'all'}] and ami in ami_ids(b, ExecutableUsers=['all'])
    c.modify_image_attribute(ImageId=ami, LaunchPermission={'Remove': [{'Group': 'all'}]})
    assert perms() == [] and ami not in ami_ids(b)
    # description
    c.modify_image_attribute(ImageId=ami, Description={'Value': 'base image'})
    assert c.describe_image_attribute(ImageId=ami, Attribute='description')[
        'Description'] == {'Value': 'base image'}
    assert c.describe_images(ImageIds=[ami])['Images'][0]['Description'] == 'base image'
    assert code_of(c.describe_image_attribute, ImageId=ami, Attribute='nonsense') == \
        'InvalidParameterValue'
    assert code_of(ec2.client('reader').modify_image_attribute, ImageId=ami,
                   Description={'Value': 'x'}) == 'UnauthorizedOperation'
    assert ec2.client('reader').describe_image_attribute(
        ImageId=ami, Attribute='description')['Description'] == {'Value': 'base image'}
