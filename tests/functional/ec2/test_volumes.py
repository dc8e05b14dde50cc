"""Volumes and snapshots through EC2 with boto3 (a ``file`` volume host,
a fake compute host): create, describe (filters, pages, tags), attach and
detach to a server, snapshots and volumes from them, delete, errors,
another project's view and a reader's."""
import botocore.exceptions
import pytest

from iaas.ec2 import ids


def code_of(call, *args, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kw)
    return e.value.response['Error']['Code']


def volume(c, vid):
    return c.describe_volumes(VolumeIds=[vid])['Volumes'][0]


def snapshot(c, sid):
    return c.describe_snapshots(SnapshotIds=[sid])['Snapshots'][0]


def new_volume(ec2, c, size=1, **kw):
    vid = c.create_volume(Size=size, AvailabilityZone=zone(c), **kw)['VolumeId']
    ec2.wait(lambda: volume(c, vid)['State'] == 'available', what=f'{vid} available')
    return vid


def new_snapshot(ec2, c, vid, **kw):
    sid = c.create_snapshot(VolumeId=vid, **kw)['SnapshotId']
    ec2.wait(lambda: snapshot(c, sid)['State'] == 'completed', what=f'{sid} completed')
    return sid


def zone(c):
    return c.describe_availability_zones()['AvailabilityZones'][0]['ZoneName']


def gone(c, vid):
    try:
        return volume(c, vid)['State'] == 'deleted'
    except botocore.exceptions.ClientError as exc:
        return exc.response['Error']['Code'] == 'InvalidVolume.NotFound'


def server(ec2, user='alice'):
    """The i- id of a new ACTIVE server of ``user`` (through the compute API)."""
    img, _ami = ec2.image(user)
    tok = ec2.tokens[user]
    srv = ec2.os.ok('compute', 'POST', '/v2.1/servers', tok, {'server': {
        'name': 'vm', 'imageRef': img, 'flavorRef': '1', 'networks': 'none'}},
        headers={'OpenStack-API-Version': 'compute 2.37'}).json['server']
    ec2.wait(lambda: ec2.os.call('compute', 'GET', f"/v2.1/servers/{srv['id']}", tok).json[
        'server']['status'] == 'ACTIVE', timeout=60, what='server ACTIVE')
    return ids.one('instance', srv['id'])


def test_volume_and_snapshot_life_cycle(ec2):
    c = ec2.client('alice')
    az = zone(c)
    made = c.create_volume(Size=2, AvailabilityZone=az, VolumeType='gp2', TagSpecifications=[
        {'ResourceType': 'volume', 'Tags': [{'Key': 'Name', 'Value': 'data'}]}])
    vid = made['VolumeId']
    assert vid.startswith('vol-') and made['Size'] == 2 and made['AvailabilityZone'] == az
    assert made['State'] in ('creating', 'available') and made['Encrypted'] is False
    assert made['Tags'] == [{'Key': 'Name', 'Value': 'data'}] and made['CreateTime']
    ec2.wait(lambda: volume(c, vid)['State'] == 'available', what='available')
    v = volume(c, vid)
    assert v['Attachments'] == [] and v['VolumeType'] and v['SnapshotId'] == ''
    # the same volume through the volume API, named by its Name tag
    uuid = ids.to_uuid('volume', [vid])[vid]
    os_vol = ec2.os.ok('volume', 'GET', f"/v3/{ec2.project_ids['alpha']}/volumes/{uuid}",
                       ec2.tokens['alice']).json['volume']
    assert os_vol['name'] == 'data' and os_vol['size'] == 2
    snap = c.create_snapshot(VolumeId=vid, Description='nightly', TagSpecifications=[
        {'ResourceType': 'snapshot', 'Tags': [{'Key': 'k', 'Value': 'v'}]}])
    sid = snap['SnapshotId']
    assert sid.startswith('snap-') and snap['VolumeId'] == vid and snap['VolumeSize'] == 2
    assert snap['State'] in ('pending', 'completed') and snap['Description'] == 'nightly'
    assert snap['OwnerId'] == ec2.project_ids['alpha']
    ec2.wait(lambda: snapshot(c, sid)['State'] == 'completed', what='completed')
    s = snapshot(c, sid)
    assert s['Progress'] == '100%' and s['Tags'] == [{'Key': 'k', 'Value': 'v'}]
    # a volume from the snapshot: its size at least, the snapshot's id shown
    assert code_of(c.create_volume, SnapshotId=sid, Size=1, AvailabilityZone=az) == \
        'InvalidParameterValue'
    clone = c.create_volume(SnapshotId=sid, AvailabilityZone=az)['VolumeId']
    ec2.wait(lambda: volume(c, clone)['State'] == 'available', what='clone available')
    assert volume(c, clone)['SnapshotId'] == sid and volume(c, clone)['Size'] == 2
    # a volume with snapshots is not deleted before them (Cinder's rule)
    assert code_of(c.delete_volume, VolumeId=vid) == 'IncorrectState'
    assert c.delete_snapshot(SnapshotId=sid)['ResponseMetadata']['HTTPStatusCode'] == 200
    ec2.wait(lambda: not c.describe_snapshots(
        Filters=[{'Name': 'snapshot-id', 'Values': [sid]}])['Snapshots'], what='snap gone')
    assert code_of(c.describe_snapshots, SnapshotIds=[sid]) == 'InvalidSnapshot.NotFound'
    for x in (vid, clone):
        c.delete_volume(VolumeId=x)
    for x in (vid, clone):
        ec2.wait(lambda x=x: gone(c, x), what=f'{x} deleted')
    assert c.describe_volumes()['Volumes'] == []
    assert code_of(c.delete_volume, VolumeId=vid) == 'InvalidVolume.NotFound'


def test_describe_filters_pages_and_tags(ec2):
    c = ec2.client('alice')
    vids = [new_volume(ec2, c, size=1 + i % 2) for i in range(7)]
    c.create_tags(Resources=vids[:3], Tags=[{'Key': 'tier', 'Value': 'db'}])
    seen, token = [], None
    while True:
        page = c.describe_volumes(MaxResults=5, **({'NextToken': token} if token else {}))
        assert len(page['Volumes']) <= 5
        seen += [v['VolumeId'] for v in page['Volumes']]
        token = page.get('NextToken')
        if not token:
            break
    assert sorted(seen) == sorted(vids) and len(seen) == len(set(seen))

    def found(*filters):
        return sorted(v['VolumeId'] for v in c.describe_volumes(Filters=[
            {'Name': n, 'Values': vals} for n, vals in filters])['Volumes'])
    assert found(('tag:tier', ['d?'])) == sorted(vids[:3])
    assert found(('tag-key', ['tier']), ('size', ['2'])) == [vids[1]]
    assert found(('size', ['2'])) == sorted(vids[1::2])
    assert found(('status', ['available'])) == sorted(vids)
    assert found(('status', ['in-use'])) == []
    assert found(('volume-id', [vids[4][:8] + '*'])) == [vids[4]]
    assert found(('availability-zone', [zone(c)])) == sorted(vids)
    assert found(('create-time', ['20*'])) == sorted(vids)
    assert found(('attachment.status', ['attached'])) == []
    assert [v['VolumeId'] for v in c.describe_volumes(VolumeIds=vids[:2])['Volumes']] \
        == sorted(vids[:2])
    assert code_of(c.describe_volumes, Filters=[{'Name': 'bogus', 'Values': ['x']}]) == \
        'InvalidParameterValue'
    assert code_of(c.describe_volumes, VolumeIds=['vol-0123456789abcdef0']) == \
        'InvalidVolume.NotFound'
    assert code_of(c.describe_volumes, VolumeIds=['nope']) == 'InvalidVolumeID.Malformed'
    assert code_of(c.describe_volumes, MaxResults=5, VolumeIds=vids[:1]) == \
        'InvalidParameterCombination'
    # snapshots: pages, filters
    sids = [new_snapshot(ec2, c, vids[i], Description=f'd{i}') for i in range(6)]
    seen, token = [], None
    while True:
        page = c.describe_snapshots(MaxResults=5, **({'NextToken': token} if token else {}))
        seen += [s['SnapshotId'] for s in page['Snapshots']]
        token = page.get('NextToken')
        if not token:
            break
    assert sorted(seen) == sorted(sids) and len(seen) == len(set(seen))

    def snaps(**kw):
        return sorted(s['SnapshotId'] for s in c.describe_snapshots(**kw)['Snapshots'])
    assert snaps(Filters=[{'Name': 'volume-id', 'Values': [vids[0]]}]) == [sids[0]]
    assert snaps(Filters=[{'Name': 'description', 'Values': ['d[12]', 'd1']}]) == [sids[1]]
    assert snaps(Filters=[{'Name': 'status', 'Values': ['completed']},
                          {'Name': 'volume-size', 'Values': ['2']}]) == sorted(sids[1::2])
    assert snaps(Filters=[{'Name': 'progress', 'Values': ['100%']}]) == sorted(sids)
    assert snaps(OwnerIds=['self']) == sorted(sids)
    assert snaps(OwnerIds=[ec2.project_ids['alpha']]) == sorted(sids)
    assert snaps(OwnerIds=['amazon']) == []
    assert snaps(RestorableByUserIds=['all']) == sorted(sids)
    c.create_tags(Resources=sids[:2], Tags=[{'Key': 'keep', 'Value': 'yes'}])
    assert snaps(Filters=[{'Name': 'tag:keep', 'Values': ['yes']}]) == sorted(sids[:2])
    assert snaps(Filters=[{'Name': 'owner-id', 'Values': [ec2.project_ids['beta']]}]) == []
    assert code_of(c.describe_snapshots, SnapshotIds=['snap-x']) == \
        'InvalidSnapshotID.Malformed'


def test_attach_and_detach(ec2):
    c = ec2.client('alice')
    iid = server(ec2)
    vid = new_volume(ec2, c)
    att = c.attach_volume(VolumeId=vid, InstanceId=iid, Device='/dev/sdf')
    assert att['VolumeId'] == vid and att['InstanceId'] == iid
    assert att['Device'] == '/dev/sdf' and att['State'] == 'attaching'
    ec2.wait(lambda: volume(c, vid)['Attachments'][0]['State'] == 'attached',
             what='attached')
    v = volume(c, vid)
    assert v['State'] == 'in-use'
    assert v['Attachments'][0]['InstanceId'] == iid and v['Attachments'][0]['AttachTime']
    assert [x['VolumeId'] for x in c.describe_volumes(Filters=[
        {'Name': 'attachment.instance-id', 'Values': [iid]}])['Volumes']] == [vid]
    assert code_of(c.delete_volume, VolumeId=vid) == 'VolumeInUse'
    assert code_of(c.attach_volume, VolumeId=vid, InstanceId=iid, Device='/dev/sdg') == \
        'VolumeInUse'
    # a snapshot of an attached volume is allowed, as EC2
    new_snapshot(ec2, c, vid)
    other = new_volume(ec2, c)
    assert code_of(c.attach_volume, VolumeId=other, InstanceId='i-0123456789abcdef0',
                   Device='/dev/sdg') == 'InvalidInstanceID.NotFound'
    assert code_of(c.attach_volume, VolumeId=other, InstanceId='bogus',
                   Device='/dev/sdg') == 'InvalidInstanceID.Malformed'
    assert code_of(c.detach_volume, VolumeId=other) == 'IncorrectState'
    # bob: neither alice's volume nor her instance
    b = ec2.client('bob')
    mine = new_volume(ec2, b)
    assert code_of(b.attach_volume, VolumeId=other, InstanceId=iid, Device='/dev/sdg') == \
        'InvalidVolume.NotFound'
    assert code_of(b.attach_volume, VolumeId=mine, InstanceId=iid, Device='/dev/sdg') == \
        'InvalidInstanceID.NotFound'
    assert code_of(b.detach_volume, VolumeId=vid) == 'InvalidVolume.NotFound'
    assert code_of(ec2.client('reader').detach_volume, VolumeId=vid) == \
        'UnauthorizedOperation'
    det = c.detach_volume(VolumeId=vid, InstanceId=iid)
    assert det['State'] == 'detaching' and det['InstanceId'] == iid
    ec2.wait(lambda: volume(c, vid)['State'] == 'available', what='detached')
    assert volume(c, vid)['Attachments'] == []
    assert code_of(c.detach_volume, VolumeId=vid) == 'IncorrectState'
    # attach again, detach without naming the instance
    c.attach_volume(VolumeId=vid, InstanceId=iid, Device='/dev/sdh')
    ec2.wait(lambda: volume(c, vid)['State'] == 'in-use' and
             volume(c, vid)['Attachments'][0]['State'] == 'attached', what='attached again')
    assert c.detach_volume(VolumeId=vid)['InstanceId'] == iid
    ec2.wait(lambda: volume(c, vid)['State'] == 'available', what='detached again')


def test_another_project_and_a_reader(ec2):
    c = ec2.client('alice')
    vid = new_volume(ec2, c)
    sid = new_snapshot(ec2, c, vid)
    b = ec2.client('bob')
    assert b.describe_volumes()['Volumes'] == []
    assert b.describe_snapshots()['Snapshots'] == []
    assert b.describe_snapshots(OwnerIds=[ec2.project_ids['alpha']])['Snapshots'] == []
    assert code_of(b.describe_volumes, VolumeIds=[vid]) == 'InvalidVolume.NotFound'
    assert code_of(b.delete_volume, VolumeId=vid) == 'InvalidVolume.NotFound'
    assert code_of(b.create_snapshot, VolumeId=vid) == 'InvalidVolume.NotFound'
    assert code_of(b.describe_snapshots, SnapshotIds=[sid]) == 'InvalidSnapshot.NotFound'
    assert code_of(b.delete_snapshot, SnapshotId=sid) == 'InvalidSnapshot.NotFound'
    assert code_of(b.create_volume, SnapshotId=sid, AvailabilityZone=zone(b)) == \
        'InvalidSnapshot.NotFound'
    assert code_of(b.create_tags, Resources=[vid], Tags=[{'Key': 'a', 'Value': 'b'}]) == \
        'InvalidVolume.NotFound'
    r = ec2.client('reader')
    assert [v['VolumeId'] for v in r.describe_volumes()['Volumes']] == [vid]
    assert [s['SnapshotId'] for s in r.describe_snapshots()['Snapshots']] == [sid]
    for call, kw in ((r.create_volume, {'Size': 1, 'AvailabilityZone': zone(r)}),
                     (r.delete_volume, {'VolumeId': vid}),
                     (r.create_snapshot, {'VolumeId': vid}),
                     (r.delete_snapshot, {'SnapshotId': sid})):
        assert code_of(call, **kw) == 'UnauthorizedOperation', call
    # carol, of the same project, sees and may change them
    assert [v['VolumeId'] for v in ec2.client('carol').describe_volumes()['Volumes']] == [vid]
    assert volume(c, vid)['State'] == 'available'
    assert snapshot(c, sid)['State'] == 'completed'


def test_create_errors_and_dry_run(ec2):
    c = ec2.client('alice')
    az = zone(c)
    assert code_of(c.create_volume, AvailabilityZone=az) == 'MissingParameter'
    assert code_of(c.create_volume, Size=1, AvailabilityZone=az, Encrypted=True) == \
        'InvalidParameterValue'
    assert code_of(c.create_volume, Size=1, AvailabilityZone='nowhere-9z') == \
        'InvalidParameterValue'
    assert code_of(c.create_volume, Size=0, AvailabilityZone=az) == 'InvalidParameterValue'
    assert code_of(c.create_volume, Size=1, AvailabilityZone=az, SnapshotId='snap-0123456789abcdef0') \
        == 'InvalidSnapshot.NotFound'
    assert code_of(c.create_volume, Size=1, AvailabilityZone=az, TagSpecifications=[
        {'ResourceType': 'instance', 'Tags': [{'Key': 'a', 'Value': 'b'}]}]) == \
        'InvalidParameterValue'
    assert code_of(c.create_volume, Size=1, AvailabilityZone=az, DryRun=True) == \
        'DryRunOperation'
    assert code_of(c.create_snapshot, VolumeId='vol-0123456789abcdef0') == \
        'InvalidVolume.NotFound'
    assert code_of(c.delete_snapshot, SnapshotId='snap-0123456789abcdef0') == \
        'InvalidSnapshot.NotFound'
    assert c.describe_volumes()['Volumes'] == []
