"""Identity tokens end to end: iaas-api (identity) and iaas-objectstore as
real daemons; unmodified `swift` (Keystone v3 auth, catalog endpoint
…/v1/AUTH_<project_id>), `openstack container/object` and boto3 with EC2
credentials made by `openstack ec2 credentials create`."""
import os
import subprocess
import sys

import boto3
import pytest
from botocore.config import Config

pytestmark = pytest.mark.slow
SWIFT = os.path.join(os.path.dirname(sys.executable), 'swift')


@pytest.fixture
def objcloud(cloud):
    cloud.start('iaas-objectstore', wait_port=cloud.ports['objectstore'])
    return cloud


def test_swift_and_openstack_with_identity_tokens(objcloud, tmp_path):
    cloud = objcloud
    env = cloud.env()
    env.update({'OS_AUTH_VERSION': '3'})
    (tmp_path / 'hello.txt').write_bytes(b'hello from keystone auth\n')
    p = subprocess.run([SWIFT, 'upload', 'kcont', 'hello.txt'], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([SWIFT, 'list', 'kcont'], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.stdout.split() == ['hello.txt'], p.stderr
    stat = subprocess.run([SWIFT, 'stat'], env=env, capture_output=True, text=True, timeout=60)
    project = cloud.openstack('project', 'show', 'admin')['id']
    assert f'AUTH_{project}' in stat.stdout
    objs = cloud.openstack('object', 'list', 'kcont')
    assert [o['Name'] for o in objs] == ['hello.txt']
    cloud.openstack('container', 'create', 'oc')
    assert 'oc' in [c['Name'] for c in cloud.openstack('container', 'list')]
    cred = cloud.openstack('ec2', 'credentials', 'create')
    s3 = boto3.client('s3', endpoint_url=f"http://127.0.0.1:{cloud.ports['objectstore']}",
                      region_name='us-east-1', aws_access_key_id=cred['access'],
                      aws_secret_access_key=cred['secret'],
                      config=Config(s3={'addressing_style': 'path'}))
    # (S3 bucket names have 3 to 63 characters: a Swift container 'kc' would be
    # InvalidBucketName through S3, as in Swift's s3api)
    body = s3.get_object(Bucket='kcont', Key='hello.txt')['Body'].read()
    assert body == b'hello from keystone auth\n'
