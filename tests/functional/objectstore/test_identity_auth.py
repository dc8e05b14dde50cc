"""Identity tokens (X-Auth-Token → AUTH_<project_id>) and EC2 credentials
(S3) against the object store, with the real identity service in-process."""
import boto3
import botocore
import pytest
import requests
from botocore.config import Config

from tests.functional.objectstore.conftest import Store


@pytest.fixture
def cloud(sqlite_db, conf, tmp_path):
    from iaas import identity
    from iaas.db import identity as db
    from iaas.identity import bootstrap, core, credentials, passwords, tokens
    conf.set_override('bcrypt_rounds', 4, group='identity')
    identity.reset_state()
    tokens.key_repository().setup()
    boot = bootstrap.bootstrap('adminpw')
    domain = boot['domain']['id']
    proj = db.project_create('demo', domain)
    user = db.user_create('alice', domain, passwords.hash_password('alicepw'),
                          default_project_id=proj['id'])
    db.assignment_add(user['id'], 'project', proj['id'], boot['roles']['member']['id'])

    def token(name, pw, project):
        tok, _ = core.authenticate({'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': name, 'password': pw, 'domain': {'id': domain}}}},
            'scope': {'project': {'id': project}}}})
        return tok
    store = Store(tmp_path / 'os')
    from iaas.api.objectstore.auth import Auth
    store.proxy.auth = Auth([], 'secret', use_identity=True)
    yield {'store': store, 'alice': token('alice', 'alicepw', proj['id']),
           'admin': token('admin', 'adminpw', boot['project']['id']),
           'project': proj['id'], 'ec2': credentials.create_ec2(user['id'], proj['id'])}
    store.stop()
    identity.reset_state()
    conf.clear_override('bcrypt_rounds', group='identity')


def test_identity_token_owns_its_project_account(cloud):
    url = f"{cloud['store'].url}/v1/AUTH_{cloud['project']}"
    h = {'X-Auth-Token': cloud['alice']}
    assert requests.put(url + '/c', headers=h).status_code == 201
    assert requests.put(url + '/c/o', data=b'mine', headers=h).status_code == 201
    assert requests.get(url + '/c/o', headers=h).content == b'mine'
    other = f"{cloud['store'].url}/v1/AUTH_someoneelse"
    assert requests.get(other, headers=h).status_code == 403
    assert requests.get(url, headers={'X-Auth-Token': 'garbage'}).status_code == 401
    # the admin role may use any account
    assert requests.get(url + '/c/o', headers={'X-Auth-Token': cloud['admin']}).content == \
        b'mine'


def test_ec2_credentials_for_s3(cloud):
    ec2 = cloud['ec2']
    s3 = boto3.client('s3', endpoint_url=cloud['store'].url, region_name='us-east-1',
                      aws_access_key_id=ec2['access'], aws_secret_access_key=ec2['secret'],
                      config=Config(s3={'addressing_style': 'path'},
                                    retries={'max_attempts': 1}))
    s3.create_bucket(Bucket='ec2bucket')
    s3.put_object(Bucket='ec2bucket', Key='k', Body=b'via ec2')
    url = f"{cloud['store'].url}/v1/AUTH_{cloud['project']}/ec2bucket/k"
    assert requests.get(url, headers={'X-Auth-Token': cloud['alice']}).content == b'via ec2'
    bad = boto3.client('s3', endpoint_url=cloud['store'].url, region_name='us-east-1',
                       aws_access_key_id=ec2['access'], aws_secret_access_key='nope',
                       config=Config(retries={'max_attempts': 1}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.list_buckets()
    assert e.value.response['Error']['Code'] == 'SignatureDoesNotMatch'
