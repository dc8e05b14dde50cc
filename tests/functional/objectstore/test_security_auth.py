"""Object store authorization against the real identity service (issue 12,
findings 1, 5, 10 and the object store's part of "reader is read-only
everywhere"): unscoped tokens own no account, S3 credentials follow their
user's state, revocation is seen within 3 s."""
import botocore
import pytest
import requests

from tests.functional.objectstore.conftest import wait_for


def _s3_code(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return e.value.response['Error']['Code']


def test_unscoped_token_owns_no_account(cloud):
    a = cloud.account('A')
    h = {'X-Auth-Token': cloud.token('alice')}
    assert requests.put(a + '/c', headers=h).status_code == 201
    assert requests.put(a + '/c/o', data=b'secret', headers=h).status_code == 201
    unscoped = {'X-Auth-Token': cloud.token('bob', project=None)}
    other_unscoped = {'X-Auth-Token': cloud.token('carol', project=None)}
    # the account every unscoped token used to share
    r = requests.put(f'{cloud.url}/v1/AUTH_/c', headers=unscoped)
    assert r.status_code == 403
    assert requests.put(f'{cloud.url}/v1/AUTH_/c/o', data=b'x',
                        headers=unscoped).status_code == 403
    assert requests.get(f'{cloud.url}/v1/AUTH_', headers=other_unscoped).status_code == 403
    for method in ('GET', 'HEAD', 'PUT', 'POST', 'DELETE'):
        for url in (a, a + '/c', a + '/c/o'):
            assert requests.request(method, url, headers=unscoped).status_code == 403, \
                (method, url)
    assert requests.get(a + '/c/o', headers=h).content == b'secret'


def test_ec2_credential_without_project_is_refused(cloud):
    s3 = cloud.s3(cloud.ec2('bob', project=None))
    assert _s3_code(s3.list_buckets) in ('InvalidAccessKeyId', 'AccessDenied')
    assert _s3_code(lambda: s3.create_bucket(Bucket='nobody')) in (
        'InvalidAccessKeyId', 'AccessDenied')


def test_reader_only_reads_over_s3_and_swift(cloud):
    alice = cloud.s3(cloud.ec2('alice'))
    alice.create_bucket(Bucket='shared')
    alice.put_object(Bucket='shared', Key='k', Body=b'data')
    rita = cloud.s3(cloud.ec2('rita'))
    assert rita.get_object(Bucket='shared', Key='k')['Body'].read() == b'data'
    assert rita.head_object(Bucket='shared', Key='k')['ContentLength'] == 4
    assert [b['Name'] for b in rita.list_buckets()['Buckets']] == ['shared']
    assert _s3_code(lambda: rita.put_object(Bucket='shared', Key='k',
                                            Body=b'evil')) == 'AccessDenied'
    assert _s3_code(lambda: rita.delete_object(Bucket='shared', Key='k')) == 'AccessDenied'
    assert _s3_code(lambda: rita.create_bucket(Bucket='mine')) == 'AccessDenied'
    assert _s3_code(lambda: rita.create_multipart_upload(Bucket='shared',
                                                         Key='m')) == 'AccessDenied'
    assert _s3_code(lambda: rita.delete_objects(Bucket='shared', Delete={
        'Objects': [{'Key': 'k'}]})) == 'AccessDenied'
    assert _s3_code(lambda: rita.delete_bucket(Bucket='shared')) == 'AccessDenied'
    assert alice.get_object(Bucket='shared', Key='k')['Body'].read() == b'data'
    h = {'X-Auth-Token': cloud.token('rita')}
    url = cloud.account('A') + '/shared/k'
    assert requests.get(url, headers=h).content == b'data'
    assert requests.put(url, data=b'evil', headers=h).status_code == 403
    assert requests.delete(url, headers=h).status_code == 403


@pytest.mark.parametrize('change', ['disable_user', 'disable_project', 'remove_roles'])
def test_s3_credentials_follow_the_users_state(cloud, change):
    user, project = ('carol', 'C') if change == 'disable_project' else ('dave', 'A')
    s3 = cloud.s3(cloud.ec2(user, project))
    s3.create_bucket(Bucket='bkt1')
    s3.put_object(Bucket='bkt1', Key='k', Body=b'v1')
    if change == 'disable_project':
        cloud.disable_project(project)
    elif change == 'disable_user':
        cloud.disable_user(user)
    else:
        cloud.remove_roles(user, project)

    def refused():
        try:
            s3.list_buckets()
        except botocore.exceptions.ClientError as e:
            return e.response['Error']['Code'] in ('AccessDenied', 'InvalidAccessKeyId')
        return False
    wait_for(refused, 3)
    assert _s3_code(lambda: s3.put_object(Bucket='bkt1', Key='k', Body=b'v2')) in (
        'AccessDenied', 'InvalidAccessKeyId')
    assert _s3_code(lambda: s3.delete_object(Bucket='bkt1', Key='k')) in (
        'AccessDenied', 'InvalidAccessKeyId')
    admin = {'X-Auth-Token': cloud.token('admin')}
    assert requests.get(cloud.account(project) + '/bkt1/k', headers=admin).content == b'v1'


@pytest.mark.parametrize('change', ['disable_user', 'remove_roles', 'revoke'])
def test_revoked_access_seen_within_3s(cloud, change):
    a = cloud.account('A')
    tok = cloud.token('frank')
    h = {'X-Auth-Token': tok}
    assert requests.put(a + '/c', headers=h).status_code == 201
    assert requests.put(a + '/c/o', data=b'1', headers=h).status_code == 201
    if change == 'disable_user':
        cloud.disable_user('frank')
    elif change == 'remove_roles':
        cloud.remove_roles('frank')
    else:
        cloud.revoke(tok)
    took = wait_for(lambda: requests.put(a + '/c/o', data=b'2', headers=h).status_code
                    in (401, 403), 3)
    assert took < 3
    assert requests.get(a + '/c/o', headers=h).status_code in (401, 403)
    assert requests.delete(a + '/c/o', headers=h).status_code in (401, 403)
