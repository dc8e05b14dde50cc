"""DescribeInstanceAttribute and ModifyInstanceAttribute with boto3: the
type of a stopped instance changes in place (a resize confirmed at once),
the instance stays stopped, and StartInstances runs it with the new type."""
import base64

from iaas.ec2 import ids
from tests.functional.ec2.test_instances import code_of, run, state_of


def _type(c, iid):
    return c.describe_instance_attribute(InstanceId=iid, Attribute='instanceType')[
        'InstanceType']['Value']


def test_type_of_a_stopped_instance_changes_in_place(ec2, conf):
    conf.set_override('allow_resize_to_same_host', True, group='compute')
    c = ec2.client('alice')
    _img, ami = ec2.image()
    user_data = b'#cloud-config\n'
    _r, (iid,) = run(ec2, c, ami, UserData=user_data.decode())
    assert _type(c, iid) == 'm1.tiny'
    got = c.describe_instance_attribute(InstanceId=iid, Attribute='userData')
    assert base64.b64decode(got['UserData']['Value']) == user_data
    got = c.describe_instance_attribute(InstanceId=iid, Attribute='rootDeviceName')
    assert got['RootDeviceName']['Value'] == '/dev/vda'
    groups = c.describe_instance_attribute(InstanceId=iid, Attribute='groupSet')
    assert groups['Groups'] == [
        {'GroupId': g['GroupId'], 'GroupName': g['GroupName']} for g in c.describe_instances(
            InstanceIds=[iid])['Reservations'][0]['Instances'][0]['SecurityGroups']]
    assert c.describe_instance_attribute(InstanceId=iid, Attribute='disableApiTermination')[
            'DisableApiTermination']['Value'] is False

    # a running instance: refused, nothing changes
    assert code_of(c.modify_instance_attribute, InstanceId=iid,
                   InstanceType={'Value': 'm1.small'}) == 'IncorrectInstanceState'
    c.stop_instances(InstanceIds=[iid])
    ec2.wait(lambda: state_of(c, iid) == 'stopped', what='stopped')
    # bad requests change nothing either
    assert code_of(c.modify_instance_attribute, InstanceId=iid,
                   InstanceType={'Value': 'no.such'}) == 'InvalidParameterValue'
    assert code_of(c.modify_instance_attribute, InstanceId=iid,
                   InstanceType={'Value': 'm1.small'},
                   SourceDestCheck={'Value': False}) == 'InvalidParameterCombination'
    assert code_of(c.modify_instance_attribute, InstanceId=iid,
                   DisableApiTermination={'Value': True}) == 'UnsupportedOperation'
    assert code_of(c.modify_instance_attribute, InstanceId=iid) == 'MissingParameter'
    assert _type(c, iid) == 'm1.tiny'

    c.modify_instance_attribute(InstanceId=iid, InstanceType={'Value': 'm1.small'})
    assert _type(c, iid) == 'm1.small' and state_of(c, iid) == 'stopped'
    uuid = ids.to_uuid('instance', [iid])[iid]
    srv = ec2.os.ok('compute', 'GET', f'/v2.1/servers/{uuid}', ec2.os.admin).json['server']
    assert srv['status'] == 'SHUTOFF' and srv['flavor']['id'] == '2'
    # the same type again is a no-op; the Attribute/Value form works too
    c.modify_instance_attribute(InstanceId=iid, Attribute='instanceType', Value='m1.small')
    c.modify_instance_attribute(InstanceId=iid, Attribute='instanceType', Value='m1.medium')
    assert _type(c, iid) == 'm1.medium'
    c.start_instances(InstanceIds=[iid])
    ec2.wait(lambda: state_of(c, iid) == 'running', what='running with the new type')
    inst = c.describe_instances(InstanceIds=[iid])['Reservations'][0]['Instances'][0]
    assert inst['InstanceType'] == 'm1.medium'


def test_start_confirms_a_type_change_still_unconfirmed(ec2, conf):
    """A type change that outlived ModifyInstanceAttribute's wait is shown as
    stopped and confirmed by StartInstances."""
    conf.set_override('allow_resize_to_same_host', True, group='compute')
    c = ec2.client('alice')
    _img, ami = ec2.image()
    _r, (iid,) = run(ec2, c, ami)
    c.stop_instances(InstanceIds=[iid])
    ec2.wait(lambda: state_of(c, iid) == 'stopped', what='stopped')
    uuid = ids.to_uuid('instance', [iid])[iid]
    ec2.os.ok('compute', 'POST', f'/v2.1/servers/{uuid}/action', ec2.tokens['alice'],
              {'resize': {'flavorRef': '2'}})
    ec2.wait(lambda: ec2.os.ok('compute', 'GET', f'/v2.1/servers/{uuid}', ec2.os.admin).json[
        'server']['status'] == 'VERIFY_RESIZE', what='resized')
    assert state_of(c, iid) == 'stopped'
    c.start_instances(InstanceIds=[iid])
    ec2.wait(lambda: state_of(c, iid) == 'running', what='running')
    assert _type(c, iid) == 'm1.small'


def test_another_project_cannot_read_or_change_attributes(ec2, victim):
    c = ec2.client('bob')
    for call, kw in ((c.describe_instance_attribute, {'Attribute': 'instanceType'}),
                     (c.modify_instance_attribute, {'InstanceType': {'Value': 'm1.small'}})):
        assert code_of(call, InstanceId=victim['instance'], **kw) == \
            'InvalidInstanceID.NotFound'
