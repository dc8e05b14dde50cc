"""The EC2 API over HTTP on a free port, in a cloud of this process
(identity, compute, network, image, volume apps on SQLite; conductor,
scheduler and a fake compute host on ``memory://``), with boto3 clients
signed by EC2 credentials of real users:

    ec2.client('alice')          # boto3 EC2 client of alice (project alpha)
    ec2.client('bob')            # bob: another project (beta)
    ec2.client('reader')         # a reader of alpha
    ec2.cred['alice']            # (access, secret)
"""
import base64

import boto3
import botocore.config
import pytest

from iaas import identity
from iaas.api import ratelimit
from iaas.api.ec2 import app as ec2_app
from iaas.api.image import app as image_app
from iaas.image import stores
from iaas.service import WSGIService
from tests.functional.security import cloud as cloud_mod
from tests.inprocess import control_plane, running

USERS = {'alice': ('alpha', 'member'), 'bob': ('beta', 'member'),
         'reader': ('alpha', 'reader'), 'carol': ('alpha', 'member')}
FLAVORS = [('m1.tiny', 512, 1, 1), ('m1.small', 2048, 1, 20), ('m1.medium', 4096, 2, 40),
           ('m1.large', 8192, 4, 80), ('m1.xlarge', 16384, 8, 160), ('t1.nano', 64, 1, 0),
           ('c1.big', 1024, 16, 10)]


class EC2Cloud:
    def __init__(self, conf, port):
        from iaas.identity import bootstrap
        conf.set_override('bcrypt_rounds', 4, group='identity')
        bootstrap.first_start(cloud_mod.ADMIN_PW)
        self.url = f'http://127.0.0.1:{port}'
        c = self.os = cloud_mod.Cloud()
        c.admin = c.token('admin', 'admin', password=cloud_mod.ADMIN_PW)
        self.project_ids, self.user_ids, self.cred, self.tokens = {}, {}, {}, {}
        for i, (name, ram, vcpus, disk) in enumerate(FLAVORS):
            c.ok('compute', 'POST', '/v2.1/flavors', c.admin, {'flavor': {
                'name': name, 'ram': ram, 'vcpus': vcpus, 'disk': disk, 'id': str(i + 1)}})
        for name, (project, role) in USERS.items():
            if project not in self.project_ids:
                self.project_ids[project] = c.project(project)
            pid = self.project_ids[project]
            uid = self.user_ids[name] = c.user(name, pid, role)
            tok = self.tokens[name] = c.token(name, project)
            r = c.ok('identity', 'POST', f'/v3/users/{uid}/credentials/OS-EC2', tok,
                     {'tenant_id': pid})
            self.cred[name] = (r.json['credential']['access'], r.json['credential']['secret'])

    def image(self, user='alice', name='img', visibility='private'):
        """(uuid, ami id) of a new active image with a few bytes."""
        from iaas.ec2 import ids
        c, tok = self.os, self.tokens[user]
        img = c.ok('image', 'POST', '/v2/images', tok, {
            'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': visibility}).json
        r = c.call('image', 'PUT', f"/v2/images/{img['id']}/file", tok, raw=b'ec2-bytes' * 64,
                   headers={'Content-Type': 'application/octet-stream'})
        assert r.status == 204, r
        return img['id'], ids.one('image', img['id'])

    def wait(self, check, timeout=30, what='condition'):
        return cloud_mod.wait_for(check, timeout=timeout, what=what)

    def client(self, name=None, access=None, secret=None, region='RegionOne'):
        if name is not None:
            access, secret = self.cred[name]
        return boto3.client(
            'ec2', endpoint_url=self.url, region_name=region, aws_access_key_id=access,
            aws_secret_access_key=secret,
            config=botocore.config.Config(retries={'max_attempts': 1}))


@pytest.fixture
def ec2(conf, sqlite_db, tmp_path):
    conf.set_override('transport_url', 'memory://')
    conf.set_override('spawn_delay', 0, group='fake_driver')
    conf.set_override('user_write_rate', 0, group='api')
    conf.set_override('filesystem_store_datadir', str(tmp_path / 'images'), group='image')
    conf.set_override('enabled_backends', ['file'], group='volume')
    stores.reset()
    ratelimit.reset()
    identity.reset_state()
    svc = WSGIService('ec2', ec2_app.build_app(), '127.0.0.1', 0, threads=8)
    svc.start()
    # the image API on a port: CreateImage makes its image record over HTTP
    image_svc = WSGIService('image', image_app.build_app(), '127.0.0.1', 0, threads=4)
    image_svc.start()
    conf.set_override('port', image_svc.port, group='image')
    conf.set_override('public_host', '127.0.0.1', group='api')
    try:
        with running(control_plane('ec2-', compute=['ec2-c1'], volume=['ec2-v1'])):
            yield EC2Cloud(conf, svc.port)
    finally:
        svc.stop()
        image_svc.stop()
        stores.reset()
        ratelimit.reset()
        identity.reset_state()


@pytest.fixture
def victim(ec2):
    """alice's resources the attackers aim at (test_action_matrix, test_fuzz)."""
    c = ec2.client('alice')
    _img, ami = ec2.image(name='victim-image')
    kp = c.create_key_pair(KeyName='victim-key')
    pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEjvVC6NCvvFz0vt3QHQK4SMRCq/ObUBd2cEDMBwVbA5 v'
    r = c.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType='m1.tiny',
                        KeyName='victim-key', ClientToken='victim-token',
                        TagSpecifications=[{'ResourceType': 'instance',
                                            'Tags': [{'Key': 'Name', 'Value': 'victim'}]}])
    iid = r['Instances'][0]['InstanceId']
    ec2.wait(lambda: c.describe_instances(InstanceIds=[iid])['Reservations'][0][
        'Instances'][0]['State']['Name'] == 'running', what='victim running')
    v = {'ami': ami, 'instance': iid, 'key_name': 'victim-key', 'key_id': kp['KeyPairId'],
         'reservation': r['ReservationId'], 'client_token': 'victim-token',
         'public_key_b64': base64.b64encode(pub.encode()).decode()}
    sg = c.create_security_group(GroupName='victim-sg', Description='victim')['GroupId']
    c.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22,
        'IpRanges': [{'CidrIp': '192.0.2.0/24'}]}])
    ext = ec2.os.ok('network', 'POST', '/v2.0/networks', ec2.os.admin, {'network': {
        'name': 'public', 'router:external': True}}).json['network']
    ec2.os.ok('network', 'POST', '/v2.0/subnets', ec2.os.admin, {'subnet': {
        'network_id': ext['id'], 'cidr': '203.0.113.0/28', 'ip_version': 4}})
    addr = c.allocate_address(Domain='vpc')
    vol = c.create_volume(Size=1, AvailabilityZone='nova')['VolumeId']
    ec2.wait(lambda: c.describe_volumes(VolumeIds=[vol])['Volumes'][0]['State'] ==
             'available', what='victim volume')
    snap = c.create_snapshot(VolumeId=vol)['SnapshotId']
    ec2.wait(lambda: c.describe_snapshots(SnapshotIds=[snap])['Snapshots'][0]['State'] ==
             'completed', what='victim snapshot')
    v.update(volume=vol, snapshot=snap)
    v.update(sg=sg, allocation=addr['AllocationId'], public_ip=addr['PublicIp'])
    v['secret_ids'] = [iid, kp['KeyPairId'], r['ReservationId'], ami, sg,
                       addr['AllocationId'], vol, snap]
    return v
