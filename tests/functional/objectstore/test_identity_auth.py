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


@pytest.mark.parametrize('enforce', [True, False])
def test_enforced_budget_refuses_new_containers_and_objects_only(cloud, conf, enforce):
    """A project at 100 % of an enforced budget: Swift and S3 creates are
    refused with the budget's message; reads, deletes and metadata posts
    still work. An unenforced budget refuses nothing."""
    import datetime
    import uuid

    from iaas.billing import api as billing
    from iaas.billing import budgets, enforcement, events, ingest, prices
    conf.set_override('enforcement_cache', 0, group='billing')
    enforcement.reset()
    url = f"{cloud['store'].url}/v1/AUTH_{cloud['project']}"
    h = {'X-Auth-Token': cloud['alice']}
    assert requests.put(url + '/cont', headers=h).status_code == 201
    assert requests.put(url + '/cont/kept', data=b'kept', headers=h).status_code == 201
    ec2 = cloud['ec2']
    s3 = boto3.client('s3', endpoint_url=cloud['store'].url, region_name='us-east-1',
                      aws_access_key_id=ec2['access'], aws_secret_access_key=ec2['secret'],
                      config=Config(s3={'addressing_style': 'path'},
                                    retries={'max_attempts': 1}))
    # 3 hours of a 1.00/hour server against a 1.00 budget
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    start = now - datetime.timedelta(hours=3)
    prices.set_price('instance.running', '1.00', start - datetime.timedelta(days=1), '*',
                     now=start - datetime.timedelta(days=1))
    ingest.ingest([events.envelope('compute.instance.create.end', {
        'resource_type': 'instance', 'resource_id': str(uuid.uuid4()),
        'project_id': cloud['project'], 'user_id': None, 'state': 'active',
        'at': events.format_time(start), 'flavor_id': 'f1', 'flavor_name': 'f1',
        'vcpus': 1, 'memory_mb': 256, 'root_gb': 1}, str(uuid.uuid4()), start)])
    billing.budget_set(None, cloud['project'], '1.00', enforce=enforce)
    budgets.check(publish=False)
    assert billing.over_budget(cloud['project']) is enforce

    new_obj = requests.put(url + '/cont/new', data=b'x', headers=h)
    new_container = requests.put(url + '/cont2', headers=h)
    copy = requests.request('COPY', url + '/cont/kept', headers={**h, 'Destination': 'cont/copy'})
    if enforce:
        for r in (new_obj, new_container, copy):
            assert r.status_code == 403 and '100 % of its monthly budget' in r.text, r.text
        for call in (lambda: s3.put_object(Bucket='cont', Key='s3new', Body=b'y'),
                     lambda: s3.create_bucket(Bucket='newbucket'),
                     lambda: s3.create_multipart_upload(Bucket='cont', Key='mp')):
            with pytest.raises(botocore.exceptions.ClientError) as e:
                call()
            err = e.value.response['Error']
            assert err['Code'] == 'AccessDenied' and 'monthly budget' in err['Message']
    else:
        assert [r.status_code for r in (new_obj, new_container, copy)] == [201, 201, 201]
        s3.put_object(Bucket='cont', Key='s3new', Body=b'y')
    # what exists stays readable, changeable and deletable
    assert requests.get(url + '/cont/kept', headers=h).content == b'kept'
    assert s3.get_object(Bucket='cont', Key='kept')['Body'].read() == b'kept'
    assert requests.post(url + '/cont/kept', headers={**h, 'X-Object-Meta-A': 'b'}
                         ).status_code == 202
    assert requests.delete(url + '/cont/kept', headers=h).status_code == 204
    # another project is not affected
    admin_url = url.replace(cloud['project'], 'other-project')
    assert requests.put(admin_url + '/cont', headers={'X-Auth-Token': cloud['admin']}
                        ).status_code == 201
