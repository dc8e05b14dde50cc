"""Instances through EC2 with boto3 (fake compute host): run, describe
(filters, pages, reservations), status, stop/start/reboot, console,
terminate (visible as terminated for a while), CreateImage, client-token
idempotency, tags, errors and another project's view."""
import base64

import botocore.exceptions
import pytest

from iaas.ec2 import ids


def code_of(call, *args, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kw)
    return e.value.response['Error']['Code']


def state_of(c, iid):
    res = c.describe_instances(InstanceIds=[iid])['Reservations']
    return res[0]['Instances'][0]['State']['Name']


def run(ec2, c, ami, n=1, **kw):
    r = c.run_instances(ImageId=ami, MinCount=n, MaxCount=n, InstanceType='m1.tiny', **kw)
    iids = [i['InstanceId'] for i in r['Instances']]
    for iid in iids:
        ec2.wait(lambda iid=iid: state_of(c, iid) == 'running', what=f'{iid} running')
    return r, iids


def test_life_cycle(ec2):
    c = ec2.client('alice')
    _img, ami = ec2.image()
    c.create_key_pair(KeyName='k')
    user_data = b'#!/bin/sh\necho hello\n'
    r, (iid,) = run(ec2, c, ami, KeyName='k', UserData=user_data.decode(),
                    TagSpecifications=[{'ResourceType': 'instance',
                                        'Tags': [{'Key': 'Name', 'Value': 'web'}]}])
    assert r['ReservationId'].startswith('r-') and iid.startswith('i-')
    assert r['Instances'][0]['State']['Name'] == 'pending'
    inst = c.describe_instances(InstanceIds=[iid])['Reservations'][0]['Instances'][0]
    assert inst['ImageId'] == ami and inst['KeyName'] == 'k'
    assert inst['InstanceType'] == 'm1.tiny'
    assert inst['Tags'] == [{'Key': 'Name', 'Value': 'web'}]
    # the same server through the compute API, user data included
    uuid = ids.to_uuid('instance', [iid])[iid]
    srv = ec2.os.ok('compute', 'GET', f'/v2.1/servers/{uuid}', ec2.os.admin,
                    headers={'OpenStack-API-Version': 'compute 2.3'}).json['server']
    assert srv['status'] == 'ACTIVE'
    assert base64.b64decode(srv['OS-EXT-SRV-ATTR:user_data']) == user_data
    status = c.describe_instance_status(InstanceIds=[iid])['InstanceStatuses']
    assert status[0]['InstanceState']['Name'] == 'running'
    assert 'Output' in c.get_console_output(InstanceId=iid) or True
    stop = c.stop_instances(InstanceIds=[iid])['StoppingInstances'][0]
    assert stop['PreviousState']['Name'] == 'running'
    ec2.wait(lambda: state_of(c, iid) == 'stopped', what='stopped')
    assert c.describe_instance_status(InstanceIds=[iid])['InstanceStatuses'] == []
    assert c.describe_instance_status(InstanceIds=[iid], IncludeAllInstances=True)[
        'InstanceStatuses'][0]['InstanceState']['Name'] == 'stopped'
    assert code_of(c.reboot_instances, InstanceIds=[iid]) == 'IncorrectInstanceState'
    c.start_instances(InstanceIds=[iid])
    ec2.wait(lambda: state_of(c, iid) == 'running', what='running again')
    c.reboot_instances(InstanceIds=[iid])
    ec2.wait(lambda: ec2.os.ok('compute', 'GET', f'/v2.1/servers/{uuid}', ec2.os.admin).json[
        'server']['OS-EXT-STS:task_state'] is None, what='reboot done')
    assert state_of(c, iid) == 'running'
    image_id = c.create_image(InstanceId=iid, Name='snap-of-web')['ImageId']
    assert image_id.startswith('ami-')
    term = c.terminate_instances(InstanceIds=[iid])['TerminatingInstances'][0]
    assert term['CurrentState']['Name'] in ('shutting-down', 'terminated')
    ec2.wait(lambda: state_of(c, iid) == 'terminated', what='terminated')
    # terminating again is fine; stopping a terminated one is not
    assert c.terminate_instances(InstanceIds=[iid])['TerminatingInstances'][0][
        'CurrentState']['Name'] == 'terminated'
    assert code_of(c.stop_instances, InstanceIds=[iid]) == 'IncorrectInstanceState'


def test_describe_filters_pages_and_reservations(ec2):
    c = ec2.client('alice')
    _img, ami = ec2.image()
    r1, ids1 = run(ec2, c, ami, n=3)
    r2, ids2 = run(ec2, c, ami, n=4, TagSpecifications=[
        {'ResourceType': 'instance', 'Tags': [{'Key': 'tier', 'Value': 'db'}]}])
    res = {x['ReservationId']: sorted(i['InstanceId'] for i in x['Instances'])
           for x in c.describe_instances()['Reservations']}
    assert res == {r1['ReservationId']: sorted(ids1), r2['ReservationId']: sorted(ids2)}
    seen, token = [], None
    while True:
        page = c.describe_instances(MaxResults=5, **({'NextToken': token} if token else {}))
        seen += [i['InstanceId'] for x in page['Reservations'] for i in x['Instances']]
        token = page.get('NextToken')
        if not token:
            break
    assert sorted(seen) == sorted(ids1 + ids2)
    by_tag = c.describe_instances(Filters=[{'Name': 'tag:tier', 'Values': ['d?']}])
    assert sorted(i['InstanceId'] for x in by_tag['Reservations'] for i in x['Instances']) \
        == sorted(ids2)
    by_res = c.describe_instances(Filters=[{'Name': 'reservation-id',
                                            'Values': [r1['ReservationId']]}])
    assert len(by_res['Reservations']) == 1
    assert c.describe_instances(Filters=[{'Name': 'instance-state-name',
                                          'Values': ['stopped']}])['Reservations'] == []
    assert code_of(c.describe_instances, Filters=[{'Name': 'nonsense', 'Values': ['x']}]) \
        == 'InvalidParameterValue'
    assert code_of(c.describe_instances, InstanceIds=['i-0123456789abcdef0']) == \
        'InvalidInstanceID.NotFound'
    assert code_of(c.describe_instances, InstanceIds=['bogus']) == \
        'InvalidInstanceID.Malformed'


def test_client_token_runs_once(ec2):
    c = ec2.client('alice')
    _img, ami = ec2.image()
    a = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                        ClientToken='once-1')
    b = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                        ClientToken='once-1')
    assert a['Instances'][0]['InstanceId'] == b['Instances'][0]['InstanceId']
    assert a['ReservationId'] == b['ReservationId']
    total = [i for x in c.describe_instances()['Reservations'] for i in x['Instances']]
    assert len(total) == 1
    # the same token with other parameters: refused, nothing made
    assert code_of(c.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
                   InstanceType='m1.small', ClientToken='once-1') == \
        'IdempotentParameterMismatch'
    # another project's token of the same name is its own
    b = ec2.client('bob')
    _img, bami = ec2.image('bob')
    assert b.run_instances(ImageId=bami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                           ClientToken='once-1')['Instances'][0]['InstanceId'] != \
        a['Instances'][0]['InstanceId']
    # a request that failed left the token free
    assert code_of(c.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
                   InstanceType='no.such', ClientToken='once-2') == 'InvalidParameterValue'
    c.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                    ClientToken='once-2')
    assert len([i for x in c.describe_instances()['Reservations']
                for i in x['Instances']]) == 2


def test_a_repeat_answers_what_the_first_request_made(ec2, conf):
    """The token is looked up when a request cannot make its instances: a
    repeat is answered the first request's instances even when the same
    request would now be refused (its image deregistered); once they are no
    longer shown, the token makes new ones."""
    c = ec2.client('alice')
    _img, ami = ec2.image()
    first = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                            ClientToken='repeat-1')
    c.deregister_image(ImageId=ami)
    again = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                            ClientToken='repeat-1')
    assert again['ReservationId'] == first['ReservationId']
    assert code_of(c.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
                   InstanceType='m1.tiny', ClientToken='repeat-2') == 'InvalidAMIID.NotFound'

    _img, ami = ec2.image(name='img-2')
    kw = dict(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
              ClientToken='repeat-3')
    iid = c.run_instances(**kw)['Instances'][0]['InstanceId']
    c.terminate_instances(InstanceIds=[iid])
    ec2.wait(lambda: state_of(c, iid) == 'terminated', what='terminated')
    assert c.run_instances(**kw)['Instances'][0]['InstanceId'] == iid
    conf.set_override('terminated_visible', 0, group='ec2')
    assert code_of(c.describe_instances, InstanceIds=[iid]) == 'InvalidInstanceID.NotFound'
    assert c.run_instances(**kw)['Instances'][0]['InstanceId'] != iid


def test_one_client_token_concurrently_makes_one_instance(ec2):
    import concurrent.futures
    c = ec2.client('alice')
    _img, ami = ec2.image()
    clients = [ec2.client('alice') for _ in range(4)]

    def run(cl):
        return cl.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                                ClientToken='race-1')['Instances'][0]['InstanceId']
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        made = set(pool.map(run, clients))
    assert len(made) == 1
    assert len([i for x in c.describe_instances()['Reservations']
                for i in x['Instances']]) == 1


def test_errors(ec2):
    c = ec2.client('alice')
    _img, ami = ec2.image()
    assert code_of(c.run_instances, ImageId='ami-0123456789abcdef0', MinCount=1, MaxCount=1) \
        == 'InvalidAMIID.NotFound'
    assert code_of(c.run_instances, ImageId='nope', MinCount=1, MaxCount=1) == \
        'InvalidAMIID.Malformed'
    assert code_of(c.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
                   InstanceType='x9.huge') == 'InvalidParameterValue'
    assert code_of(c.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
                   InstanceType='m1.tiny', KeyName='missing') == 'InvalidKeyPair.NotFound'
    assert code_of(c.run_instances, ImageId=ami, MinCount=2, MaxCount=1) == \
        'InvalidParameterValue'
    assert code_of(c.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
                   InstanceType='m1.tiny', SecurityGroupIds=['sg-0123456789abcdef0']) == \
        'InvalidGroup.NotFound'
    # quota: 10 instances by default; 11 at least cannot start
    assert code_of(c.run_instances, ImageId=ami, MinCount=11, MaxCount=11,
                   InstanceType='m1.tiny') == 'InstanceLimitExceeded'
    assert c.describe_instances()['Reservations'] == []


def test_another_project_sees_and_touches_nothing(ec2):
    c = ec2.client('alice')
    _img, ami = ec2.image()
    _r, (iid,) = run(ec2, c, ami)
    b = ec2.client('bob')
    assert b.describe_instances()['Reservations'] == []
    for call in (b.describe_instances, b.stop_instances, b.start_instances,
                 b.reboot_instances, b.terminate_instances):
        assert code_of(call, InstanceIds=[iid]) == 'InvalidInstanceID.NotFound', call
    assert code_of(b.get_console_output, InstanceId=iid) == 'InvalidInstanceID.NotFound'
    assert code_of(b.create_image, InstanceId=iid, Name='xyz') == 'InvalidInstanceID.NotFound'
    assert code_of(b.create_tags, Resources=[iid], Tags=[{'Key': 'a', 'Value': 'b'}]) == \
        'InvalidInstanceID.NotFound'
    # bob cannot boot alice's private image either
    assert code_of(b.run_instances, ImageId=ami, MinCount=1, MaxCount=1,
                   InstanceType='m1.tiny') == 'InvalidAMIID.NotFound'
    r = ec2.client('reader')
    assert r.describe_instances()['Reservations'][0]['Instances'][0]['InstanceId'] == iid
    assert code_of(r.terminate_instances, InstanceIds=[iid]) == 'UnauthorizedOperation'
    assert state_of(c, iid) == 'running'
