"""RegisterImage with boto3: an EBS-backed AMI from a volume snapshot, run
(its root a new volume of the snapshot, deleted on termination), seen the
same way by the image and compute APIs; refusals change nothing."""
from iaas.ec2 import ids
from tests.functional.ec2.test_instances import code_of, state_of
from tests.functional.ec2.test_protocol import v2_request
from tests.functional.ec2.test_volumes import gone, new_snapshot, new_volume, snapshot, volume


def test_register_a_snapshot_and_run_it(ec2):
    c = ec2.client('alice')
    vid = new_volume(ec2, c, size=1)
    sid = new_snapshot(ec2, c, vid)
    ami = c.register_image(
        Name='from-snap', Description='registered', RootDeviceName='/dev/sda1',
        Architecture='x86_64', VirtualizationType='hvm',
        BlockDeviceMappings=[{'DeviceName': '/dev/sda1', 'Ebs': {
            'SnapshotId': sid, 'VolumeSize': 2, 'DeleteOnTermination': True}}])['ImageId']
    assert ami.startswith('ami-')
    img = c.describe_images(ImageIds=[ami])['Images'][0]
    assert img['State'] == 'available' and img['RootDeviceType'] == 'ebs'
    assert img['RootDeviceName'] == '/dev/sda1' and img['Description'] == 'registered'
    assert img['BlockDeviceMappings'] == [{'DeviceName': '/dev/sda1', 'Ebs': {
        'SnapshotId': sid, 'VolumeSize': 2, 'DeleteOnTermination': True,
        'Encrypted': False}}]
    # the same image through the image API
    uuid = ids.to_uuid('image', [ami])[ami]
    os_img = ec2.os.ok('image', 'GET', f'/v2/images/{uuid}', ec2.tokens['alice']).json
    assert os_img['status'] == 'active' and os_img['bdm_v2'] == 'True'

    before = {v['VolumeId'] for v in c.describe_volumes()['Volumes']}
    r = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny')
    iid = r['Instances'][0]['InstanceId']
    ec2.wait(lambda: state_of(c, iid) == 'running', what='running from the AMI')
    inst = c.describe_instances(InstanceIds=[iid])['Reservations'][0]['Instances'][0]
    assert inst['ImageId'] == ami and inst['RootDeviceType'] == 'ebs'
    (root,) = {v['VolumeId'] for v in c.describe_volumes()['Volumes']} - before
    made = volume(c, root)
    assert made['SnapshotId'] == sid and made['Size'] == 2
    assert made['Attachments'][0]['InstanceId'] == iid
    c.terminate_instances(InstanceIds=[iid])
    ec2.wait(lambda: state_of(c, iid) == 'terminated', what='terminated')
    ec2.wait(lambda: gone(c, root), what='root volume deleted on termination')
    assert volume(c, vid)['State'] == 'available'          # the source is untouched

    # seen as EBS-backed by filters and the image's attributes
    ebs = c.describe_images(Owners=['self'], Filters=[
        {'Name': 'root-device-type', 'Values': ['ebs']},
        {'Name': 'block-device-mapping.snapshot-id', 'Values': [sid]}])['Images']
    assert [i['ImageId'] for i in ebs] == [ami]
    assert c.describe_image_attribute(ImageId=ami, Attribute='blockDeviceMapping')[
        'BlockDeviceMappings'] == img['BlockDeviceMappings']
    # another project can neither see nor deregister it; its owner can
    b = ec2.client('bob')
    assert code_of(b.describe_images, ImageIds=[ami]) == 'InvalidAMIID.NotFound'
    assert code_of(b.deregister_image, ImageId=ami) == 'InvalidAMIID.NotFound'
    c.deregister_image(ImageId=ami)
    assert code_of(c.describe_images, ImageIds=[ami]) == 'InvalidAMIID.NotFound'
    assert ec2.os.call('image', 'GET', f'/v2/images/{uuid}', ec2.tokens['alice']).status == 404
    assert code_of(c.run_instances, ImageId=ami, MinCount=1, MaxCount=1) == \
        'InvalidAMIID.NotFound'
    assert snapshot(c, sid)['State'] == 'completed'         # the snapshot stays


def test_register_refusals(ec2):
    c, b = ec2.client('alice'), ec2.client('bob')
    vid = new_volume(ec2, c, size=2)
    sid = new_snapshot(ec2, c, vid)
    root = {'DeviceName': '/dev/sda1', 'Ebs': {'SnapshotId': sid}}
    count = len(c.describe_images(Owners=['self'])['Images'])
    assert code_of(b.register_image, Name='xyz', RootDeviceName='/dev/sda1',
                   BlockDeviceMappings=[root]) == 'InvalidSnapshot.NotFound'
    assert code_of(c.register_image, Name='xyz', RootDeviceName='/dev/sda1',
                   BlockDeviceMappings=[{'DeviceName': '/dev/sda1', 'Ebs': {
                       'SnapshotId': sid, 'VolumeSize': 1}}]) == 'InvalidParameterValue'
    assert code_of(c.register_image, Name='xyz',
                   BlockDeviceMappings=[]) == 'MissingParameter'
    assert code_of(c.register_image, Name='xyz', RootDeviceName='/dev/sda1', BlockDeviceMappings=[
        {'DeviceName': '/dev/sda1', 'Ebs': {'VolumeSize': 1}}]) == 'InvalidParameterValue'
    assert code_of(c.register_image, Name='xyz', ImageLocation='bucket/x.manifest.xml') == \
        'InvalidParameterValue'
    assert code_of(c.register_image, Name='xyz', RootDeviceName='/dev/sda1',
                   BlockDeviceMappings=[{'DeviceName': '/dev/sda1', 'Ebs': {
                       'SnapshotId': 'snap-0000000000000000f'}}]) == 'InvalidSnapshot.NotFound'
    assert len(c.describe_images(Owners=['self'])['Images']) == count
    # no Name (which boto3 would not send): MissingParameter, as EC2 answers
    r = v2_request(ec2.url, *ec2.cred['alice'], {
        'Action': 'RegisterImage', 'BlockDeviceMapping.1.DeviceName': '/dev/sda1',
        'BlockDeviceMapping.1.Ebs.SnapshotId': sid})
    assert r.status_code == 400 and '<Code>MissingParameter</Code>' in r.text, r.text
    assert len(c.describe_images(Owners=['self'])['Images']) == count
    c.register_image(Name='once', BlockDeviceMappings=[root])
    assert code_of(c.register_image, Name='once', BlockDeviceMappings=[root]) == \
        'InvalidAMIName.Duplicate'
    # the name is the project's: another project may use it for its own snapshot
    bsid = new_snapshot(ec2, b, new_volume(ec2, b, size=1))
    b.register_image(Name='once', BlockDeviceMappings=[
        {'DeviceName': '/dev/sda1', 'Ebs': {'SnapshotId': bsid}}])
